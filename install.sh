#!/bin/sh
# install.sh: build docker-shaper from this checkout and install it as a
# Docker CLI plugin, so that `docker shaper ...` works.
#
#   ./install.sh
#
# It installs into ${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins/docker-shaper
# and can be run again at any time (it replaces the plugin atomically).
# Needs Go (see go.mod for the version) and the docker CLI.
set -eu

cd "$(dirname "$0")"

for arg in "$@"; do
	case $arg in
	-h | --help)
		sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	# --service (run `docker shaper watch` as a system service) is planned.
	*)
		echo "install.sh: unknown option: $arg" >&2
		exit 2
		;;
	esac
done

command -v go >/dev/null 2>&1 || {
	echo "install.sh: go is not on PATH; install Go (https://go.dev/dl/) first" >&2
	exit 1
}

dir="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
dest="$dir/docker-shaper"
version=$(git describe --always --dirty 2>/dev/null || echo dev)

mkdir -p "$dir"
tmp=$(mktemp "$dir/.docker-shaper.XXXXXX")
trap 'rm -f "$tmp"' EXIT INT TERM

echo "building docker-shaper $version"
go build -buildvcs=false -trimpath -ldflags "-X main.version=$version" -o "$tmp" ./cmd/docker-shaper
chmod 755 "$tmp"
mv -f "$tmp" "$dest"
trap - EXIT INT TERM

echo "installed $dest"
if command -v docker >/dev/null 2>&1; then
	echo "run it with: docker shaper check"
else
	echo "install the docker CLI, then run: docker shaper check"
fi
