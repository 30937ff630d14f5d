# ** in the tag part (after the last ':') could only mean *: a tag never
# contains '/'. "registry:**" does not reach into registry:5000/x:y.
image "registry" {
  match = ["registry:**"]
}

protect "pull requests" {
  images = ["ghcr.io/acme/app:pr-**"]
}
