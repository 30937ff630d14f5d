# Invalid size: An unknown unit.
image "a" {
  match = ["a:*"]
  max_size = "20XB"
}
