# A function call inside an interpolation.
image "a" {
  match = ["a:*"]
  older_than = "${max(1, 2)}d"
}
