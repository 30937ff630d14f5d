# A label value with an interpolation.
container "c" {
  status = ["exited"]
  labels = { "ci" = "${true}" }
}
