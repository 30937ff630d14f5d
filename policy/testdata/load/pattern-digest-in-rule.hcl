# Image rules decide per tag, and a digest is not a tag: digest patterns in
# match, exclude and match_regex could never claim anything.
image "by digest" {
  match = ["ghcr.io/acme/app@sha256:*"]
}

image "exclude by digest" {
  match   = ["ghcr.io/acme/**:*"]
  exclude = ["ghcr.io/acme/app@*"]
}

image "regex by digest" {
  match_regex = ["app@sha256:.*"]
}

# In protect blocks and container rules, digest patterns are fine.
protect "pinned" {
  images       = ["ghcr.io/acme/app@*"]
  images_regex = ["ghcr\\.io/acme/tool@sha256:.*"]
}

container "pinned jobs" {
  status = ["exited"]
  images = ["ghcr.io/acme/job@*"]
}
