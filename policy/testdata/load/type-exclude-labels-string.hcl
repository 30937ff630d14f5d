# exclude_labels is a map.
container "c" {
  status = ["exited"]
  exclude_labels = "com.docker.compose.project"
}
