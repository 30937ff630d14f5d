# Label keys are strings.
container "c" {
  status = ["exited"]
  labels = { 1 = "x" }
}
