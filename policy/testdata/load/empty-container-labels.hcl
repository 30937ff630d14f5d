# labels = {} in a container rule.
container "c" {
  status = ["exited"]
  labels = {}
}
