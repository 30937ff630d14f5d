#!/usr/bin/env bash
# scripts/bench-status.sh: what an idle `docker shaper status` costs on a
# host with 1,000 images. Not a test: a measurement, for the acceptance
# figure (under 2% of one core while nothing happens).
#
#   ./scripts/bench-status.sh [SECONDS] [IMAGES]    (default 60 s, 1000 images)
#
# It starts a throwaway dockerd (scripts/lib-daemon.sh; never your own
# daemon), loads IMAGES images (scripts/mkfixtures, CI-style tags, two per
# image) and starts 5 running containers, runs `docker shaper status` with
# the CI example policy in a tmux session of 160×45 on the containers pane
# (so the resource use of the running ones is sampled too), waits until
# the view shows them, lets it settle, then reads utime+stime from /proc
# for the plugin process over SECONDS of idleness. It prints the CPU used
# as a percentage of one core, and the plugin's memory, then quits the
# view with q and removes everything. The exit status is 1 over 2%.
# Needs root, like test.sh, and tmux.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench-status.sh: %s\n' "$*" >&2; exit 1; }

SECS=${1:-60}
IMAGES=${2:-1000}
case $SECS in '' | *[!0-9]* | 0) die "SECONDS must be a positive number, not '$SECS'" ;; esac
case $IMAGES in '' | *[!0-9]* | 0) die "IMAGES must be a positive number, not '$IMAGES'" ;; esac

[ "$(id -u)" -eq 0 ] || die "this starts a throwaway dockerd, which needs root"
command -v go >/dev/null || die "go is not on PATH"
command -v tmux >/dev/null || die "tmux is not installed (apt-get install tmux)"

# shellcheck source=scripts/lib-daemon.sh
. scripts/lib-daemon.sh

WORK=""
SOCK=""
cleanup() {
	local status=$?
	trap - EXIT INT TERM
	[ -z "$SOCK" ] || tmux -S "$SOCK" kill-server 2>/dev/null || true
	daemon_stop
	[ -z "$WORK" ] || rm -rf "$WORK"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

daemon_install || exit 1

export GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false"
WORK=$(mktemp -d /tmp/shaper-benchs-XXXXXX)
SOCK=$WORK/tmux.sock
mkdir -p "$WORK/config/cli-plugins"
say "building docker-shaper"
go build -o "$WORK/config/cli-plugins/docker-shaper" ./cmd/docker-shaper
go build -o "$WORK/mkfixtures" ./scripts/mkfixtures

daemon_start || exit 1
export DOCKER_CONFIG="$WORK/config"

t=$SECONDS
say "loading $IMAGES images"
"$WORK/mkfixtures" -images "$IMAGES" -tags $((2 * IMAGES)) -repos 20 -style ci -run -prefix registry.example.com/ci/app | docker load -q >/dev/null
loaded=$(docker image ls -q | sort -u | wc -l)
img=$(docker image ls --format '{{.Repository}}:{{.Tag}}' | sed -n 1p)
for i in 1 2 3 4 5; do docker run -d --network none --name "bench-$i" "$img" sleep 3600 >/dev/null; done
say "loaded $loaded images and started 5 containers in $((SECONDS - t))s"

say "starting docker shaper status in tmux"
tmux -S "$SOCK" new-session -d -s bench -x 160 -y 45 \
	"env DOCKER_HOST=$DOCKER_HOST DOCKER_CONFIG=$DOCKER_CONFIG docker shaper status --policy examples/policies/ci-node.hcl"
t=$SECONDS
until tmux -S "$SOCK" capture-pane -p -t bench | grep -q 'docker shaper status ·'; do
	[ $((SECONDS - t)) -lt 60 ] || { tmux -S "$SOCK" capture-pane -p -t bench >&2; die "the view did not start within 60s"; }
	sleep 0.2
done
tmux -S "$SOCK" send-keys -t bench 2
until tmux -S "$SOCK" capture-pane -p -t bench | grep -q 'bench-5 .*running'; do
	[ $((SECONDS - t)) -lt 60 ] || { tmux -S "$SOCK" capture-pane -p -t bench >&2; die "the containers pane did not show"; }
	sleep 0.2
done
say "view up in $((SECONDS - t))s; letting it settle 5s"
sleep 5

# The docker CLI is the pane's process; the plugin is its child.
CLI_PID=$(tmux -S "$SOCK" display -p -t bench '#{pane_pid}')
PLUGIN_PID=$(cat /proc/"$CLI_PID"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -m1 . || true)
[ -n "$PLUGIN_PID" ] && [ -r "/proc/$PLUGIN_PID/stat" ] || die "cannot find the plugin process under pid $CLI_PID"

cputicks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
memkb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
HZ=$(getconf CLK_TCK)
p0=$(cputicks "$PLUGIN_PID")
c0=$(cputicks "$CLI_PID")
s0=$(date +%s.%N)
say "idle for ${SECS}s"
sleep "$SECS"
p1=$(cputicks "$PLUGIN_PID")
c1=$(cputicks "$CLI_PID")
s1=$(date +%s.%N)
p_rss=$(memkb "$PLUGIN_PID" VmRSS)
p_hwm=$(memkb "$PLUGIN_PID" VmHWM)
screen=$(tmux -S "$SOCK" capture-pane -p -t bench)

tmux -S "$SOCK" send-keys -t bench q
t=$SECONDS
while kill -0 "$PLUGIN_PID" 2>/dev/null; do
	[ $((SECONDS - t)) -lt 20 ] || die "the view did not quit on q"
	sleep 0.2
done
say "the view quit on q"
printf '%s\n' "$screen" | sed -n 1,8p >&2

awk -v p0="$p0" -v p1="$p1" -v c0="$c0" -v c1="$c1" -v hz="$HZ" -v s0="$s0" -v s1="$s1" \
	-v prss="$p_rss" -v phwm="$p_hwm" -v images="$loaded" 'BEGIN {
	el = s1 - s0
	pcpu = (p1 - p0) / hz / el * 100
	ccpu = (c1 - c0) / hz / el * 100
	printf "images on the host:     %d, 5 running containers (shown, sampled every 5s)\n", images
	printf "idle window:            %.1f s\n", el
	printf "status (plugin) CPU:    %.3f%% of one core (%d ticks of 1/%d s)\n", pcpu, p1 - p0, hz
	printf "status (plugin) RSS:    %.1f MB now, %.1f MB peak\n", prss / 1024, phwm / 1024
	printf "docker CLI parent CPU:  %.3f%% of one core\n", ccpu
	ok = (pcpu < 2)
	printf "acceptance (status < 2%% of a core idle): %s\n", ok ? "met" : "NOT met"
	exit ok ? 0 : 1
}'
