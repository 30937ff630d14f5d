# An invalid regex: a repetition of nothing.
protect "p" {
  images_regex = ["*app:.*"]
}
