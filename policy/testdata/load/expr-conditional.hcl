# A conditional is code, not data.
image "a" {
  match = ["a:*"]
  keep  = true ? 0 : 3
}
