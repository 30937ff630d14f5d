# Reference patterns are REPOSITORY:TAG.
protect "base" {
  images = ["nginx", "python:*"]
}

image "registry" {
  match   = ["localhost:5000/app"]
  exclude = ["localhost:5000/app:keep-*"]
}

image "regex in a glob" {
  match = [".*-cache"]
}

container "c" {
  status = ["exited"]
  images = ["ghcr.io/acme/**"]
}
