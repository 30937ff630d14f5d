# Unknown attributes in a network rule.
network "n" {
  older = "1d"
}
