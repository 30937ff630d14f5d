# max_size is a size string.
image "a" {
  match = ["a:*"]
  max_size = true
}
