# Label values are strings: a number is shown quoted.
protect "p" {
  labels = { "tier" = 1 }
}
