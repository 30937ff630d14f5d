# A reference has one '@'.
protect "p" {
  images = ["app@sha256:*@x"]
}
