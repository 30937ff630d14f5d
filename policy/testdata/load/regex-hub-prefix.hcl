# Regexes are matched against references as docker image ls shows them and
# are not rewritten: a Docker Hub prefix means they can never match.
protect "hub" {
  images_regex = ["docker.io/library/postgres:.*"]
}

image "hub" {
  match_regex = ["docker\\.io/acme/app:v\\d+", "index.docker.io/.*", "(docker\\.io/)?nginx:.*"]
}
