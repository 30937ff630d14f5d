# Invalid size: A number has at most one decimal point.
image "a" {
  match = ["a:*"]
  max_size = "1.2.3GB"
}
