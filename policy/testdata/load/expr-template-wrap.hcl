# A string that is only an interpolation.
image "a" {
  match = ["a:*"]
  older_than = "${"7d"}"
}
