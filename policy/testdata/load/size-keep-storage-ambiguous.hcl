# Invalid size in build_cache: a lone letter is ambiguous.
build_cache {
  keep_storage = "20G"
}
