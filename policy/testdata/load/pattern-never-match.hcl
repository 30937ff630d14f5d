# Patterns no reference docker can hold would match are refused: in a
# protect block its author believes something is kept.
protect "typos" {
  images = ["python:3.12 slim", "debian:", "app@latest", "app@sha256:xyz"]
}

container "c" {
  status = ["exited"]
  images = ["app:1@sha256:*"]
}
