# Invalid size: A lone letter is ambiguous: decimal or binary.
image "a" {
  match = ["a:*"]
  max_size = "500M"
}
