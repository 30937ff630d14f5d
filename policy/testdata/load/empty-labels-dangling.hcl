# labels = {} in a dangling rule restricts nothing.
image "d" {
  dangling = true
  labels   = {}
}
