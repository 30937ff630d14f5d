# Invalid duration: A year inside a longer duration.
image "a" {
  match = ["a:*"]
  older_than = "1d1y"
}
