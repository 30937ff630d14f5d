# Invalid size: Larger than any disk.
image "a" {
  match = ["a:*"]
  max_size = "99999999PB"
}
