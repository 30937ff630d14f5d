# A whole number in quotes: the hint is the same number without them.
image "old" {
  match = ["app:*"]
  keep  = " 2"
}
