# Rule blocks take exactly one name; build_cache takes none.
image {
  match = ["a:*"]
}

image "two" "names" {
  match = ["b:*"]
}

image "" {
  match = ["c:*"]
}

build_cache "main" {
  all = true
}
