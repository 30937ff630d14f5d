# Docker has no stopped state: exited is the one.
container "c" {
  status = ["stopped"]
}
