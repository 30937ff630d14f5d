# A pattern with no repository.
image "a" {
  match = ["a:*"]
  exclude = [":latest"]
}
