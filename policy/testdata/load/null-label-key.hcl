# null as a label key.
container "c" {
  status = ["exited"]
  exclude_labels = { null = "*" }
}
