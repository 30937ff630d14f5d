# Each status is a string.
container "c" {
  status = ["exited", 1]
}
