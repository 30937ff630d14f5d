# Invalid size: A unit needs a number.
image "a" {
  match = ["a:*"]
  max_size = "GB"
}
