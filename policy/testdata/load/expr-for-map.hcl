# A for expression that builds a map.
container "c" {
  status = ["exited"]
  labels = { for k in ["a"] : k => "*" }
}
