# A typo among valid states.
container "c" {
  status = ["exited", "runing"]
}
