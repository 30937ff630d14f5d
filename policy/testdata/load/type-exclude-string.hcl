# exclude is a list.
image "a" {
  match = ["a:*"]
  exclude = "a:keep"
}
