# null for a label map.
image "a" {
  match = ["a:*"]
  labels = null
}
