# Two minus signs make an expression.
image "a" {
  match = ["a:*"]
  keep = --1
}
