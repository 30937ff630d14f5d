#!/bin/sh
# install.sh: build docker-shaper from this checkout and install it as a
# Docker CLI plugin, so that `docker shaper ...` works.
#
#   ./install.sh
#   ./install.sh --service    also install `docker shaper watch` as a user service
#
# It installs into ${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins/docker-shaper
# and can be run again at any time (it replaces the plugin atomically).
# --service installs contrib/systemd/docker-shaper-watch.service as a systemd
# user unit (Linux) or contrib/launchd/io.docker-shaper.watch.plist as a
# launchd agent (macOS), and prints the command that starts it.
# Needs Go (see go.mod for the version) and the docker CLI.
set -eu

cd "$(dirname "$0")"

service=false
for arg in "$@"; do
	case $arg in
	-h | --help)
		sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	--service)
		service=true
		;;
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
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || true)

mkdir -p "$dir"
tmp=$(mktemp "$dir/.docker-shaper.XXXXXX")
trap 'rm -f "$tmp"' EXIT INT TERM

echo "building docker-shaper $version"
go build -buildvcs=false -trimpath -ldflags "-X main.version=$version -X main.commit=$commit" -o "$tmp" ./cmd/docker-shaper
chmod 755 "$tmp"
mv -f "$tmp" "$dest"
trap - EXIT INT TERM

echo "installed $dest"
if command -v docker >/dev/null 2>&1; then
	echo "run it with: docker shaper check"
else
	echo "install the docker CLI, then run: docker shaper check"
fi

$service || exit 0

# --- The watcher as a user service (docs/watch.md) ---------------------------
case $(uname -s) in
Linux)
	unitdir="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user"
	mkdir -p "$unitdir"
	cp contrib/systemd/docker-shaper-watch.service "$unitdir/docker-shaper-watch.service.tmp"
	mv -f "$unitdir/docker-shaper-watch.service.tmp" "$unitdir/docker-shaper-watch.service"
	echo "installed $unitdir/docker-shaper-watch.service"
	echo "start the watcher now and at every login with:"
	echo "  systemctl --user daemon-reload && systemctl --user enable --now docker-shaper-watch.service"
	echo "(already running? systemctl --user restart docker-shaper-watch.service picks up the new plugin;"
	echo " logs: journalctl --user -u docker-shaper-watch; to run while logged out: loginctl enable-linger \"\$USER\")"
	;;
Darwin)
	agents="$HOME/Library/LaunchAgents"
	plist="$agents/io.docker-shaper.watch.plist"
	mkdir -p "$agents" "$HOME/Library/Logs"
	# launchd expands no ~ or $HOME: write the home directory in.
	home_sed=$(printf '%s' "$HOME" | sed 's/[\\&|]/\\&/g')
	sed "s|@HOME@|$home_sed|g" contrib/launchd/io.docker-shaper.watch.plist >"$plist.tmp"
	mv -f "$plist.tmp" "$plist"
	echo "installed $plist"
	echo "start the watcher now and at every login with:"
	echo "  launchctl bootstrap gui/$(id -u) $plist"
	echo "(already running? launchctl kickstart -k gui/$(id -u)/io.docker-shaper.watch picks up the new plugin;"
	echo " logs: ~/Library/Logs/docker-shaper-watch.log)"
	;;
*)
	echo "install.sh: --service knows systemd (Linux) and launchd (macOS), not $(uname -s);" >&2
	echo "run \"docker shaper watch\" under your service manager (contrib/ has examples)" >&2
	exit 1
	;;
esac
