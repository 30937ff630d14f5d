# Every mistake is reported, not just the first.
protect "base images" {
  images = ["python:*", "debian"]
}

image "pull requests" {
  match      = ["ghcr.io/acme/**:pr-*"]
  keep       = 3
  older_than = "1mo"
}

container "finished jobs" {
  status = ["exited", "finished"]
}
