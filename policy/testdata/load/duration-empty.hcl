# Invalid duration: An empty duration.
image "a" {
  match = ["a:*"]
  older_than = ""
}
