# Invalid duration: More than about 292 years.
image "a" {
  match = ["a:*"]
  older_than = "1000000w"
}
