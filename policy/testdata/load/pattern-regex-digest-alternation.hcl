# Every branch of this regex needs an '@': it matches digests only.
image "a" {
  match_regex = ["app@sha256:.*|api@sha256:.*"]
}
