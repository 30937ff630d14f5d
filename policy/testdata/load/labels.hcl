# Label selectors map quoted keys to value globs.
protect "keep" {
  labels = { shaper.keep = "true" }
}

container "c" {
  status         = ["exited"]
  labels         = { "ci" = true, "ci" = "yes", "" = "x" }
  exclude_labels = { "com.docker.compose.project" = "*", "bad" = "{x" }
}
