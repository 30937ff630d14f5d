# A list element without quotes.
container "c" {
  status = [exited]
}
