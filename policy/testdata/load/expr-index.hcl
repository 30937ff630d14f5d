# Indexing a list is an expression: write the value itself.
image "a" {
  match      = ["a:*"]
  older_than = ["7d", "1d"][1]
}
