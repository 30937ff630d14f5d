# A block that is never closed.
image "a" {
  match = ["a:*"]
