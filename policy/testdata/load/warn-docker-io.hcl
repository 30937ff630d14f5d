# docker.io prefixes are normalised with a warning; the policy still loads.
protect "hub" {
  images = ["docker.io/library/postgres:*"]
}

image "hub" {
  match = ["docker.io/library/nginx:*", "docker.io/acme/tool:*", "index.docker.io/library/redis:*"]
  keep  = 2
}
