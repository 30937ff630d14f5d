# An empty name pattern.
protect "p" {
  networks = [""]
}
