# An attribute nothing like any known one gets no hint.
image "a" {
  match = ["a:*"]
  frobnicate = true
}
