# A policy is plain data: no variables, no functions.
age_basis = seen

image "a" {
  match      = [lower("APP:*")]
  older_than = "${days}d"
}

image "b" {
  match = [for t in ["x", "y"] : "${t}:*"]
}
