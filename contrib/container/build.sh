#!/bin/sh
# contrib/container/build.sh [IMAGE]: build docker-shaper's container image
# (default tag docker-shaper:local) from this checkout: a static binary
# built with the local Go toolchain, copied onto an empty base. It needs no
# registry: nothing is pulled.
set -eu
image=${1:-docker-shaper:local}
root=$(cd "$(dirname "$0")/../.." && pwd)
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
version=$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo dev)
(cd "$root" && CGO_ENABLED=0 go build -buildvcs=false -trimpath \
	-ldflags "-s -w -X main.version=$version" -o "$ctx/docker-shaper" ./cmd/docker-shaper)
cp "$root/contrib/container/Dockerfile" "$ctx/Dockerfile"
DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0} docker build -q -t "$image" "$ctx"
echo "built $image"
