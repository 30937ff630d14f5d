# top-level settings (all optional)
protect_latest = true        # default true: tags named "latest" are never removed
age_basis      = "seen"      # default basis for image ages: "seen" | "created" | "last_used"

protect "base images" {                      # absolute, order-independent
  images     = ["python:*", "debian:*", "**:stable"]
  labels     = { "shaper.keep" = "true" }    # any object carrying this label
  containers = ["buildkitd*"]                # container name globs
  volumes    = ["pgdata"]
}

image "pull requests" {                      # first matching image rule claims a tag
  match       = ["ghcr.io/acme/**:pr-*"]     # reference globs REPOSITORY:TAG, any of
  exclude     = ["ghcr.io/acme/**:pr-keep-*"]
  keep        = 3                            # newest 3 distinct images per repository
  older_than  = "7d"                         # AND: the rest go once older than 7 days
}

image "releases" {
  match_regex = ["registry.example.com/app:v\\d+\\.\\d+\\.\\d+"]   # RE2, anchored ^(?:...)$
  keep        = 5
  order_by    = "version"                    # "age" (default) | "version"
}

image "everything else" {
  match      = ["**:*"]
  unused_for = "14d"                         # by last use (containers, watch state)
  max_size   = "30GB"                        # LRU-evict claimed images beyond this total
}

image "dangling" {
  dangling   = true                          # images without tags
  older_than = "1d"
}

container "finished jobs" {
  status     = ["exited", "dead", "created"]
  older_than = "6h"                          # exited/dead: since FinishedAt; created: since Created
  exclude_labels = { "com.docker.compose.project" = "*" }
}

container "runaway ci jobs" {
  status     = ["running"]                   # running only when named explicitly
  names      = ["ci-*"]
  older_than = "12h"                         # running: since StartedAt
}

volume "anonymous" {                         # unused volumes only; anonymous only unless names given
  older_than = "3d"
}

network "leftovers" {                        # unused, user-defined networks only
  names      = ["ci_*", "*_default"]
  older_than = "1d"
}

build_cache {
  unused_for   = "7d"
  keep_storage = "20GB"
}
