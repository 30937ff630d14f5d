# names is a list.
container "c" {
  status = ["exited"]
  names = "ci-*"
}
