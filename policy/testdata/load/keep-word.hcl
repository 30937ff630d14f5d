# A count written in words: the hint asks for a whole number, not for the
# word without its quotes.
image "old" {
  match = ["app:*"]
  keep  = "two"
}
