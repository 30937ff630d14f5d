# Values of the wrong type say what to write instead.
protect_latest = "yes"

image "a" {
  match    = "app:*"
  dangling = "false"
  labels   = ["ci"]
}

container "c" {
  status         = "exited"
  remove_volumes = 1
}

protect "p" {
  images = ["a:*", 42]
}
