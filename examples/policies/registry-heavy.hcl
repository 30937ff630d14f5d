# A deployment host that pulls many tagged images from several registries:
# every deploy brings a new version, and rollbacks need the previous ones.
#
# Judge by version, not by date: a rollback re-pulls an old tag and makes it
# look new; its version number does not change.

# Never lose what is deployed right now: images used by containers are kept
# anyway, and these labels mark the releases an operator pinned.
protect "pinned" {
  labels = { "com.example.pinned" = "true" }
}

# The platform's own images.
protect "platform" {
  images       = ["ghcr.io/example/platform/**:*", "traefik:*"]
  images_regex = ["quay\\.io/prometheus/.+:v\\d+\\..*"]
  containers   = ["traefik", "node-exporter"]
}

# Application releases, semantic versions: the ten highest per repository
# stay for rollbacks, older ones go once they have been here a week.
image "app releases" {
  match_regex = ["(ghcr\\.io/example|registry\\.example\\.com)/.+:v?\\d+\\.\\d+\\.\\d+"]
  keep        = 10
  order_by    = "version"
  older_than  = "7d"
}

# Release candidates and previews are short-lived.
image "previews" {
  match      = ["ghcr.io/example/**:*-rc*", "ghcr.io/example/**:preview-*"]
  exclude    = ["ghcr.io/example/**:preview-keep-*"]
  keep       = 2
  older_than = "2d"
}

# Commit-sha tags from continuous deployment: the newest five per repository.
image "commit builds" {
  match_regex = [".+:(sha-)?[0-9a-f]{7,40}"]
  keep        = 5
}

image "dangling" {
  dangling   = true
  older_than = "1d"
}

# Anything else that was pulled and never ran for two weeks, and never more
# than 100GB of it.
image "rest" {
  match      = ["**:*"]
  unused_for = "14d"
  max_size   = "100GB"
  age_basis  = "last_used"
}

# One-off migration and debug containers.
container "one-offs" {
  status     = ["exited", "dead", "created"]
  older_than = "1d"
  exclude_labels = {
    "com.docker.compose.project" = "*"
    "com.docker.swarm.service.id" = "*"
  }
}
