# labels = {} in a volume rule.
volume "v" {
  labels = {}
}
