# An attribute given twice in one block.
image "a" {
  match = ["a:*"]
  keep = 3
  keep = 4
}
