# Indexing a map.
image "a" {
  match = ["a:*"]
  keep = { a = 3 }["a"]
}
