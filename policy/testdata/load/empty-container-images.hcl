# images = [] in a container rule matches nothing, leaving it out means any image.
container "c" {
  status = ["exited"]
  images = []
}
