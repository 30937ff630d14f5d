# Each element of networks is a string.
protect "p" {
  networks = ["ci_*", 7]
}
