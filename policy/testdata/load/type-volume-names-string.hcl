# names in a volume rule is a list.
volume "v" {
  names = "cache-*"
}
