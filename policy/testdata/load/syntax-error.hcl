# A syntax error stops loading: nothing after it could be trusted.
image "a" {
  match = ["a:*"
}
