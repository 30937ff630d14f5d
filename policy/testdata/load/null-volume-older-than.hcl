# null in a volume rule: the rule would remove every unused anonymous volume at once.
volume "v" {
  older_than = null
}
