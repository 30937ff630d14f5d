# Invalid duration: M (months) is ambiguous.
image "a" {
  match = ["a:*"]
  older_than = "1M"
}
