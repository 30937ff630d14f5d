# labels is a map.
container "c" {
  status = ["exited"]
  labels = ["ci"]
}
