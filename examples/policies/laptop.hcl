# A developer laptop: a few projects with Docker Compose, experiments with
# images from everywhere, and a disk that fills up slowly. Conservative: it
# only removes what you have not touched for weeks.
#
# Try it with `docker shaper check --policy laptop.hcl`, then save it as
# ~/.docker/shaper/policy.hcl to make it your default.

# Tags named "latest" are what `docker run IMAGE` picks: keep them.
protect_latest = true

# Databases and anything you labelled by hand are never touched.
protect "my data" {
  images  = ["postgres:*", "mysql:*", "redis:*"]
  volumes = ["*pgdata*", "*_db*"]
  labels  = { "shaper.keep" = "true" }
}

# Stopped containers, except Compose ones (`docker compose down` knows which
# of those belong together), once they have been stopped for two weeks.
container "stopped" {
  status         = ["exited", "dead", "created"]
  older_than     = "14d"
  exclude_labels = { "com.docker.compose.project" = "*" }
}

# Images you build locally while iterating: the two newest builds of each
# repository stay, older ones go after a week.
image "local builds" {
  match      = ["dev/**:*", "*:dev-*", "*:wip*"]
  keep       = 2
  older_than = "7d"
}

# Untagged images: the leftovers of every rebuild.
image "dangling" {
  dangling   = true
  older_than = "3d"
}

# Everything else you pulled to try once: gone when no container has used it
# for a month.
image "pulled" {
  match      = ["**:*"]
  unused_for = "30d"
}

# Anonymous volumes (no name of yours) that nothing mounts, after two weeks.
volume "anonymous" {
  older_than = "14d"
}

# Networks left behind by Compose projects you no longer run.
network "compose leftovers" {
  names      = ["*_default"]
  older_than = "14d"
}

build_cache {
  unused_for   = "30d"
  keep_storage = "10GB"
}
