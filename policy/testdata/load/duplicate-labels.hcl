# Names are unique per block type; the same name in another type is fine.
image "ci" {
  match = ["ci/**:*"]
  keep  = 3
}

container "ci" {
  status = ["exited"]
}

image "ci" {
  match = ["ci-cache/**:*"]
}

protect "base" {
  images = ["python:*"]
}

protect "base" {
  images = ["debian:*"]
}
