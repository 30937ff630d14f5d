# unused_for is a duration string.
image "a" {
  match = ["a:*"]
  unused_for = 14
}
