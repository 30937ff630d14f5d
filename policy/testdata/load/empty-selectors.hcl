# An empty selector list matches nothing, but leaving it out means "any":
# the loader refuses to guess which was meant.
container "c" {
  status = ["exited"]
  names  = []
}

volume "v" {
  names = []
}

network "n" {
  labels = {}
}

image "i" {
  match  = []
  labels = { "ci" = "true" }
}

# An empty exclude or protect list is harmless.
image "ok" {
  match   = ["a:*"]
  exclude = []
}
