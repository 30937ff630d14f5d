# A policy is data: arithmetic is not evaluated, it is refused.
image "a" {
  match = ["a:*"]
  keep  = 3 - 3
}
