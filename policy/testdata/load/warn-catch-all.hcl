# A catch-all image rule before other image rules leaves them nothing.
image "everything" {
  match      = ["**:*"]
  unused_for = "14d"
}

image "pull requests" {
  match = ["ghcr.io/acme/**:pr-*"]
  keep  = 3
}

image "regex catch-all" {
  match_regex = [".*"]
}

image "releases" {
  match_regex = ["app:v.*"]
}

# A dangling rule after a catch-all is fine: it selects untagged images.
image "dangling" {
  dangling = true
}
