# Strings are in double quotes.
image "a" {
  match = ["a:*"]
  older_than = '7d'
}
