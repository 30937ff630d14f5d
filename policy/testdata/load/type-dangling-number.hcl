# dangling is true or false.
image "d" {
  dangling = 1
}
