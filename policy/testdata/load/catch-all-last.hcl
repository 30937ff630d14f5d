# A catch-all that is last (before a dangling rule), or narrowed by exclude
# or labels, is not a problem.
image "everything but releases" {
  match   = ["**:*"]
  exclude = ["**:v*"]
  keep    = 3
}

image "labelled" {
  match  = ["**:*"]
  labels = { "ci" = "*" }
}

image "rest" {
  match      = ["**:*"]
  unused_for = "30d"
}

image "dangling" {
  dangling = true
}
