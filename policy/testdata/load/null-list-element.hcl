# null in a list is not a value either.
protect "p" {
  images = ["a:*", null]
}
