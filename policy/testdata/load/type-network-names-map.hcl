# names in a network rule is a list.
network "n" {
  names = { a = "b" }
}
