# exclude_labels = {} excludes nothing: its author meant to exclude
# something.
container "c" {
  status         = ["exited"]
  exclude_labels = {}
}
