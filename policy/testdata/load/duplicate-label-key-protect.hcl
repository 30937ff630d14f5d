# A label key twice in one selector.
protect "p" {
  labels = { "tier" = "db", tier = "cache" }
}
