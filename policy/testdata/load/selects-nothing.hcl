# A rule that can remove nothing is an error that points to protect.
image "keep my images" {
  keep = 5
}

image "empty lists" {
  match       = []
  match_regex = []
}

image "not dangling" {
  dangling   = false
  older_than = "7d"
}

# Volume and network rules need no selector: unused anonymous volumes and
# unused user-defined networks.
volume "anonymous" {}
network "all" {}
