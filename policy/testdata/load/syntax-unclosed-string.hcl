# A string that is never closed.
image "a" {
  match = ["a:*"]
  older_than = "7d
}
