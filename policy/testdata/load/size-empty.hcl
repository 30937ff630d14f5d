# Invalid size: An empty size.
image "a" {
  match = ["a:*"]
  max_size = ""
}
