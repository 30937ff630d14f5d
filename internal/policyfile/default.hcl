# docker-shaper's embedded default policy.
#
# It applies when no policy is given: no --policy flag, no
# $DOCKER_SHAPER_POLICY, and no $DOCKER_CONFIG/shaper/policy.hcl
# (~/.docker/shaper/policy.hcl). It is deliberately conservative: it only
# goes after things that are old and that nothing uses. Write your own policy
# to be stricter; `docker shaper check` shows what a policy would do.
#
# Built in, whatever the policy says: images used by any container are kept,
# running containers are never touched unless a rule names "running", tags
# named "latest" are kept (protect_latest), and named volumes are left alone.

# Anything labelled shaper.keep=true stays, whatever the rules below say:
# the way to keep one image, container, network or volume without writing a
# policy (docker build --label shaper.keep=true, docker run --label ...).
protect "labelled" {
  labels = { "shaper.keep" = "true" }
}

# Stopped containers that finished more than 30 days ago. Containers of
# Compose projects are left to `docker compose down`, which knows which ones
# belong together.
container "stopped" {
  status         = ["exited", "dead"]
  older_than     = "30d"
  exclude_labels = { "com.docker.compose.project" = "*" }
}

# Dangling images (no tag left, typically the leftovers of rebuilds) once
# they are a week old.
image "dangling" {
  dangling   = true
  older_than = "7d"
}

# Every other tag, last so that rules you add above it claim first: keep the
# 3 newest images of each repository, and let the rest go once no container
# has used them for 90 days.
image "unused" {
  match      = ["**:*"]
  keep       = 3
  unused_for = "90d"
}

# User-defined networks that no container is attached to, a month after
# their creation. The default networks (bridge, host, none) are never
# removed.
network "unused" {
  names      = ["*"]
  older_than = "30d"
}

# Build cache records not used for 30 days.
build_cache {
  unused_for = "30d"
}

# No volume rule: volumes hold data. Add one in your own policy if you want
# anonymous volumes cleaned up, e.g.
#
#   volume "anonymous" {
#     older_than = "7d"
#   }
