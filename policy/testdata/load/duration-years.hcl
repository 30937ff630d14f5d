# Invalid duration: Years are ambiguous.
image "a" {
  match = ["a:*"]
  older_than = "2y"
}
