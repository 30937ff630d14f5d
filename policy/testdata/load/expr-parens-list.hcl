# A list in parentheses.
image "a" {
  match = ["a:*"]
  exclude = (["a:x"])
}
