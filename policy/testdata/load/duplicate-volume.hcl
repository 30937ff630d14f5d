# Two volume rules with one name.
volume "v" {}

volume "v" {
  names = ["cache-*"]
}
