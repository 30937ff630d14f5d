# Parentheses are an expression too.
image "a" {
  match = ["a:*"]
  keep  = (3)
}
