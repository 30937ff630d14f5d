# A logical not is an expression.
build_cache {
  all = !false
}
