# Invalid globs are errors on the pattern itself.
image "a" {
  match   = ["app:{dev,staging", "app:v[0-9"]
  exclude = ["app:ok"]
}

container "b" {
  status = ["exited"]
  names  = ["ci-{a,b"]
}

protect "c" {
  volumes = [""]
}
