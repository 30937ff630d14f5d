# Enumerations are lower case.
age_basis = "Created"
