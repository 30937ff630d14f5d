# Unknown blocks, and an attribute written as a block.
images "old" {
  match = ["app:*"]
}

image "pull requests" {
  match {
    pattern = "app:pr-*"
  }
}

buildcache {
  unused_for = "7d"
}
