# A regex with library/ can never match an official image.
image "a" {
  match_regex = ["library/redis:7.*"]
}
