# A registry host and port before a digest, with no path.
protect "p" {
  images = ["localhost:5000@sha256:*"]
}
