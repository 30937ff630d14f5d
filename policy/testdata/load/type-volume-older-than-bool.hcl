# older_than is a duration string.
volume "v" {
  older_than = true
}
