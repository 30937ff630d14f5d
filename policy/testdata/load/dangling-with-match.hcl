# Dangling images have no tags: patterns cannot select them.
image "dangling" {
  dangling   = true
  match      = ["**:*"]
  exclude    = ["app:*"]
  older_than = "1d"
}

image "dangling with labels is fine" {
  dangling = true
  labels   = { "stage" = "build" }
}
