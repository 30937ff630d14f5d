# Each element of exclude is a string.
image "a" {
  match = ["a:*"]
  exclude = [true]
}
