# null as a label value is refused; "*" accepts any value.
container "c" {
  status = ["exited"]
  labels = { "ci" = null }
}
