# Braces expand to at most 64 patterns.
image "a" {
  match = ["{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}:*"]
}
