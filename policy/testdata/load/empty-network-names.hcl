# names = [] in a network rule.
network "n" {
  names = []
}
