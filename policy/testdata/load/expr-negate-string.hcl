# A minus is only accepted on a number.
image "a" {
  match = ["a:*"]
  older_than = -"7d"
}
