# An attribute without its equals sign.
image "a" {
  match ["a:*"]
}
