# Two container rules with one name.
container "done" {
  status = ["exited"]
}

container "done" {
  status = ["dead"]
}
