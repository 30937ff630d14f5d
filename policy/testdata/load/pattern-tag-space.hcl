# A tag never has a space.
container "c" {
  status = ["exited"]
  images = ["ci/runner:v 1"]
}
