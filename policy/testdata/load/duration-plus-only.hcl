# Invalid duration: A sign without a number.
image "a" {
  match = ["a:*"]
  older_than = "+"
}
