# An image attribute in a container rule: the container attribute is images.
container "c" {
  status = ["exited"]
  image = ["ci/*:*"]
}
