# A policy saved as Latin-1: café.
image "a" {
  match = ["a:*"]
}
