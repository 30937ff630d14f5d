# unused_for is a duration string.
build_cache {
  unused_for = 7
}
