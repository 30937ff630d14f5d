# Invalid duration: A number without a unit.
image "a" {
  match = ["a:*"]
  older_than = "7"
}
