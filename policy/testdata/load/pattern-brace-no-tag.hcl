# Each alternative of a brace needs a tag.
image "a" {
  match = ["{nginx,redis:7}"]
}
