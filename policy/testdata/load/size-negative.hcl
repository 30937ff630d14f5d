# Invalid size: Sizes are positive.
image "a" {
  match = ["a:*"]
  max_size = "-1GB"
}
