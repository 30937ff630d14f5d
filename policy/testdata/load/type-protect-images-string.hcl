# images in a protect block is a list.
protect "p" {
  images = "python:*"
}
