# Sizes are decimal, as docker system df prints them.
image "a" {
  match    = ["a:*"]
  max_size = "30G"
}

image "b" {
  match    = ["b:*"]
  max_size = 30000000000
}

build_cache {
  keep_storage = "20XB"
}
