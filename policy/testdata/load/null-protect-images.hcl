# null for a protect list.
protect "p" {
  images = null
}
