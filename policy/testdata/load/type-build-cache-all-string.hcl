# all is true or false.
build_cache {
  all = "yes"
}
