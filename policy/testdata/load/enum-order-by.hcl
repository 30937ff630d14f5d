# order_by is age or version; a close misspelling gets a hint.
image "a" {
  match = ["a:*"]
  order_by = "newest"
}
