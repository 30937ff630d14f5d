#!/bin/sh
# install.sh: build docker-shaper from this checkout and install it as a
# Docker CLI plugin, so that `docker shaper ...` works; or uninstall it.
# ./install.sh --help says how. POSIX sh; needs Go and the docker CLI.
set -eu

usage() {
	cat <<'USAGE'
Usage: ./install.sh [--service]
       ./install.sh --uninstall [--purge]

Build docker-shaper from this checkout and install it as a Docker CLI
plugin, ${DOCKER_CONFIG:-~/.docker}/cli-plugins/docker-shaper, so that
"docker shaper ..." works. Run it again at any time: it replaces the plugin
atomically. Needs Go (see go.mod for the version) and the docker CLI.

Options:
  --service     Also install "docker shaper watch" as a user service: the
                systemd user unit contrib/systemd/docker-shaper-watch.service
                (Linux) or the launchd agent
                contrib/launchd/io.docker-shaper.watch.plist (macOS); it
                prints the command that starts it.
  --uninstall   Remove the plugin, and the user service if one was
                installed (stopped first). The policy and each daemon's
                state and journal (${DOCKER_CONFIG:-~/.docker}/shaper) stay.
  --purge       With --uninstall: remove those too, and the launchd log.
  -h, --help    Print this help.
USAGE
}

cd "$(dirname "$0")"

service=false uninstall=false purge=false
for arg in "$@"; do
	case $arg in
	-h | --help)
		usage
		exit 0
		;;
	--service) service=true ;;
	--uninstall) uninstall=true ;;
	--purge) purge=true ;;
	*)
		echo "install.sh: unknown option: $arg (see ./install.sh --help)" >&2
		exit 2
		;;
	esac
done
if $purge && ! $uninstall; then
	echo "install.sh: --purge goes with --uninstall" >&2
	exit 2
fi
if $service && $uninstall; then
	echo "install.sh: --uninstall removes the service too: drop --service" >&2
	exit 2
fi

config="${DOCKER_CONFIG:-$HOME/.docker}"
dir="$config/cli-plugins"
dest="$dir/docker-shaper"
unit="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user/docker-shaper-watch.service"
plist="$HOME/Library/LaunchAgents/io.docker-shaper.watch.plist"
launchd_log="$HOME/Library/Logs/docker-shaper-watch.log"

# --- Uninstall ----------------------------------------------------------------
if $uninstall; then
	removed=0
	remove() { # remove FILE: remove it and say so, when it is there
		if [ -e "$1" ] || [ -L "$1" ]; then
			rm -f "$1"
			echo "removed $1"
			removed=$((removed + 1))
		fi
	}
	# The service first: it runs the plugin.
	if [ -e "$unit" ]; then
		if command -v systemctl >/dev/null 2>&1; then
			systemctl --user disable --now docker-shaper-watch.service >/dev/null 2>&1 ||
				echo "install.sh: could not stop docker-shaper-watch.service (no user session?); removing it anyway" >&2
		fi
		remove "$unit"
		if command -v systemctl >/dev/null 2>&1; then
			systemctl --user daemon-reload >/dev/null 2>&1 || true
		fi
	fi
	if [ -e "$plist" ]; then
		if command -v launchctl >/dev/null 2>&1; then
			# Not loaded is fine: it is being removed.
			launchctl bootout "gui/$(id -u)/io.docker-shaper.watch" >/dev/null 2>&1 || true
		fi
		remove "$plist"
	fi
	remove "$dest"
	if $purge; then
		remove "$launchd_log"
		if [ -d "$config/shaper" ]; then
			rm -rf "$config/shaper"
			echo "removed $config/shaper (the policy, each daemon's state and journal)"
			removed=$((removed + 1))
		fi
	elif [ -d "$config/shaper" ]; then
		echo "kept $config/shaper (the policy, each daemon's state and journal; --uninstall --purge removes it)"
	fi
	if [ "$removed" -eq 0 ]; then
		echo "nothing to remove: docker-shaper is not installed in $dir"
	fi
	exit 0
fi

# --- Install ------------------------------------------------------------------
command -v go >/dev/null 2>&1 || {
	echo "install.sh: go is not on PATH; install Go (https://go.dev/dl/) first" >&2
	exit 1
}

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
	mkdir -p "$(dirname "$unit")"
	cp contrib/systemd/docker-shaper-watch.service "$unit.tmp"
	mv -f "$unit.tmp" "$unit"
	echo "installed $unit"
	echo "start the watcher now and at every login with:"
	echo "  systemctl --user daemon-reload && systemctl --user enable --now docker-shaper-watch.service"
	echo "(already running? systemctl --user restart docker-shaper-watch.service picks up the new plugin;"
	echo " logs: journalctl --user -u docker-shaper-watch; to run while logged out: loginctl enable-linger \"\$USER\")"
	;;
Darwin)
	mkdir -p "$(dirname "$plist")" "$(dirname "$launchd_log")"
	# launchd expands no ~ or $HOME: write the home directory in.
	home_sed=$(printf '%s' "$HOME" | sed 's/[\\&|]/\\&/g')
	sed "s|@HOME@|$home_sed|g" contrib/launchd/io.docker-shaper.watch.plist >"$plist.tmp"
	mv -f "$plist.tmp" "$plist"
	echo "installed $plist"
	echo "start the watcher now and at every login with:"
	echo "  launchctl bootstrap gui/$(id -u) $plist"
	echo "(already running? launchctl kickstart -k gui/$(id -u)/io.docker-shaper.watch picks up the new plugin;"
	echo " logs: ~/Library/Logs/docker-shaper-watch.log: open -a Console ~/Library/Logs/docker-shaper-watch.log)"
	;;
*)
	echo "install.sh: --service knows systemd (Linux) and launchd (macOS), not $(uname -s);" >&2
	echo "run \"docker shaper watch\" under your service manager (contrib/ has examples)" >&2
	exit 1
	;;
esac
