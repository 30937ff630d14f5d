# An unknown block type with a typo of a known one.
contianer "c" {
  status = ["exited"]
}
