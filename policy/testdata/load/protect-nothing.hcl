# A protect block that protects nothing is a warning.
protect "placeholder" {}

protect "empty lists" {
  images = []
}
