# max_age is not an attribute and is no close misspelling of one, so there
# is no "did you mean" (older_than is what it would mean).
image "a" {
  match = ["a:*"]
  max_age = "7d"
}
