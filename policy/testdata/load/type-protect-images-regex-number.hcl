# images_regex is a list of strings.
protect "p" {
  images_regex = 42
}
