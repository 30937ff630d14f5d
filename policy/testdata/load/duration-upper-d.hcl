# Invalid duration: Units are lower case.
image "a" {
  match = ["a:*"]
  older_than = "7D"
}
