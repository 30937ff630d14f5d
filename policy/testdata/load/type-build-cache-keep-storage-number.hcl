# keep_storage is a size string.
build_cache {
  keep_storage = 20000000000
}
