# images in a container rule is a list.
container "c" {
  status = ["exited"]
  images = "ci/*:*"
}
