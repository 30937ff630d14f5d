# volumes is a list of names.
protect "p" {
  volumes = true
}
