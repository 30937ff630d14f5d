# Invalid duration: Units are single letters: d, not days.
image "a" {
  match = ["a:*"]
  older_than = "7days"
}
