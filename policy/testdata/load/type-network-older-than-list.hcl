# older_than is a string, not a list.
network "n" {
  older_than = ["1d"]
}
