# Enumerations list their allowed values, with a suggestion when close.
age_basis = "last-used"

image "a" {
  match     = ["a:*"]
  order_by  = "versoin"
  age_basis = "mtime"
}

container "c" {
  status = ["exited", "stopped", "Dead"]
}
