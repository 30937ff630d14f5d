# containers is a list, not a map.
protect "p" {
  containers = { name = "buildkitd" }
}
