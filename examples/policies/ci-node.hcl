# A CI runner: many short-lived jobs, images built per branch and per pull
# request, a disk that must not fill up between nightly rebuilds.
#
# Run it every hour with `docker shaper watch --policy ci-node.hcl`, or from
# cron with `docker shaper prune --policy ci-node.hcl --force`. Check first:
# `docker shaper check --policy ci-node.hcl` shows what would go and why.

# Judge images by when this host got them, not when they were built: a base
# image pulled today may have been built a year ago. Without the watcher
# (the cron path), an image pulled or loaded between two runs is dated by
# the first run that sees it, never by its build: so the first run after
# installing removes nothing by age, and each age can be up to one cron
# interval short. That errs on the side of keeping.
age_basis = "seen"

# The runner's own machinery and the base images every job pulls again stay,
# whatever the rules below say.
protect "runner" {
  images     = ["gitlab/gitlab-runner*:*", "moby/buildkit:*", "python:*", "node:*", "golang:*"]
  containers = ["gitlab-runner*", "buildx_buildkit_*"]
  volumes    = ["gitlab-runner-*", "buildx_buildkit_*"]
  labels     = { "shaper.keep" = "true" }
}

# Finished jobs: gone after two hours, with their anonymous volumes (caches
# the job created and no one else will mount).
container "finished jobs" {
  status         = ["exited", "dead", "created"]
  older_than     = "2h"
  remove_volumes = true
}

# A job that has been running for half a day is stuck. Only containers named
# like CI jobs: "running" is never implied, it has to be listed.
container "stuck jobs" {
  status     = ["running"]
  names      = ["runner-*-project-*", "ci-*"]
  older_than = "12h"
}

# Pull request images: the three newest per repository stay for reruns, the
# rest go after two days.
image "pull requests" {
  match      = ["registry.example.com/**:pr-*", "registry.example.com/**:mr-*"]
  keep       = 3
  older_than = "2d"
}

# Release images are versions: keep the five highest, whatever their age.
image "releases" {
  match_regex = ["registry\\.example\\.com/.+:v?\\d+\\.\\d+\\.\\d+"]
  keep        = 5
  order_by    = "version"
}

# Untagged leftovers of rebuilds.
image "dangling" {
  dangling   = true
  older_than = "6h"
}

# Everything else (branch builds, pulled tools), last so that the rules above
# claim first: unused for three days goes, and the whole lot stays under
# 40GB, least recently used first.
image "everything else" {
  match      = ["**:*"]
  unused_for = "3d"
  max_size   = "40GB"
  age_basis  = "last_used"
}

# Anonymous volumes no container mounts any more.
volume "anonymous" {
  older_than = "1d"
}

# Networks that jobs and compose projects created and left behind.
network "job networks" {
  names      = ["ci_*", "runner-*", "*_default"]
  older_than = "6h"
}

# The build cache is the biggest win on a builder: keep 20GB of it, and
# drop records no build used for a week.
build_cache {
  unused_for   = "7d"
  keep_storage = "20GB"
}
