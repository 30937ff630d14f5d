# age_basis is a string.
age_basis = 1
