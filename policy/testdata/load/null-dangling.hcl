# null for a bool.
image "d" {
  dangling = null
}
