# labels in a volume rule is a map.
volume "v" {
  labels = 1
}
