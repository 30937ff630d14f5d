# A label key in parentheses is an expression.
container "c" {
  status = ["exited"]
  labels = { ("ci") = "*" }
}
