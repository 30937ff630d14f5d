# A small server that runs a handful of Docker Compose projects and updates
# them with `docker compose pull && docker compose up -d`. Each update leaves
# the previous images behind, untagged or with an old tag.

# Named volumes hold the projects' data and are never removed unless a
# volume rule names them; this policy has no volume rule at all. Anything
# labelled shaper.keep=true stays too.
protect "labelled" {
  labels = { "shaper.keep" = "true" }
}

# Compose project containers are managed by compose; only clean up the ones
# started by hand with `docker run` and forgotten.
container "manual runs" {
  status         = ["exited", "dead", "created"]
  older_than     = "7d"
  exclude_labels = { "com.docker.compose.project" = "*" }
}

# The previous image of each service stays for a quick rollback; older ones
# go after a week.
image "services" {
  match      = ["**:*"]
  keep       = 2
  older_than = "7d"
}

# `compose pull` leaves the replaced image dangling.
image "replaced" {
  dangling   = true
  older_than = "7d"
}

build_cache {
  keep_storage = "5GB"
}
