# Durations are strings with a unit; months and years are ambiguous.
image "a" {
  match      = ["a:*"]
  older_than = "1mo"
}

image "b" {
  match      = ["b:*"]
  unused_for = "7x"
}

container "c" {
  status     = ["exited"]
  older_than = 6
}

volume "d" {
  older_than = "-3d"
}

network "e" {
  older_than = "2 days"
}

build_cache {
  unused_for = ""
}
