# Unknown attributes in a volume rule.
volume "v" {
  name = ["cache-*"]
}
