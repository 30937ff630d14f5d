# A repository with no '/' that looks like a registry host is read by
# docker as an image name: the loader refuses to guess which was meant.
protect "local registry" {
  images = ["localhost:5000"]
}

image "mirror" {
  match = ["registry.example.com:*"]
}

container "c" {
  status = ["exited"]
  images = ["localhost:5000:*"]
}

# "registry:5000" is the image "registry" with tag "5000", as docker reads
# it: no '.', no "localhost", so it is not taken for a host.
image "registry image" {
  match = ["registry:5000"]
}
