# null for keep_storage.
build_cache {
  keep_storage = null
}
