# A policy has at most one build_cache block.
build_cache {
  unused_for = "7d"
}

build_cache {
  keep_storage = "20GB"
}
