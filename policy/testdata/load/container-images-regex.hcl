# A regex in a container rule's images: container rules have no
# images_regex, so the hint does not send the user to one.
container "caches" {
  status = ["exited"]
  images = [".*-cache"]
}

# In a protect block, images_regex exists.
protect "caches" {
  images = [".*-cache"]
}
