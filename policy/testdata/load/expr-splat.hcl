# A splat is an expression.
image "a" {
  match = ["a:*"]
  exclude = [{ p = "a:x" }][*].p
}
