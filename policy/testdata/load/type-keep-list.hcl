# keep is a number.
image "a" {
  match = ["a:*"]
  keep = [3]
}
