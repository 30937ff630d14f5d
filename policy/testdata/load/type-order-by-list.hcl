# order_by is a string, not a list.
image "a" {
  match = ["a:*"]
  order_by = ["version"]
}
