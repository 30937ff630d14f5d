# age_basis in an image rule is a string.
image "a" {
  match = ["a:*"]
  age_basis = true
}
