# An enumeration value without quotes.
image "a" {
  match = ["a:*"]
  order_by = version
}
