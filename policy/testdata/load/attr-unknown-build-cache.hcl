# Unknown attributes in build_cache.
build_cache {
  keep_storge = "20GB"
}
