#!/usr/bin/env bash
# scripts/bench-watch.sh: what an idle `docker shaper watch` costs on a host
# with 1,000 images. Not a test: a measurement, for the acceptance figures
# (under 1% of one core on average, under 50 MB resident).
#
#   ./scripts/bench-watch.sh [SECONDS] [IMAGES]    (default 60 s, 1000 images)
#
# It starts a throwaway dockerd (scripts/lib-daemon.sh; never your own
# daemon), loads IMAGES images (scripts/mkfixtures), starts
# `docker shaper watch --no-initial` with the CI example policy, waits
# until it follows the daemon's events, then leaves it idle for SECONDS and
# reads utime+stime and VmRSS/VmHWM from /proc for the plugin process (the
# watcher) and for the docker CLI process that runs it. It prints the CPU
# used as a percentage of one core and the memory in MB, then stops the
# watcher with SIGTERM (it must exit 0) and removes everything. The exit
# status is 1 when the watcher is over the limits. Needs root, like test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench-watch.sh: %s\n' "$*" >&2; exit 1; }

SECS=${1:-60}
IMAGES=${2:-1000}
case $SECS in '' | *[!0-9]* | 0) die "SECONDS must be a positive number, not '$SECS'" ;; esac
case $IMAGES in '' | *[!0-9]* | 0) die "IMAGES must be a positive number, not '$IMAGES'" ;; esac

[ "$(id -u)" -eq 0 ] || die "this starts a throwaway dockerd, which needs root"
command -v go >/dev/null || die "go is not on PATH"

# shellcheck source=scripts/lib-daemon.sh
. scripts/lib-daemon.sh

WORK=""
WATCH_PID="" # the docker CLI running `docker shaper watch`
cleanup() {
	local status=$?
	trap - EXIT INT TERM
	if [ -n "$WATCH_PID" ] && kill -0 "$WATCH_PID" 2>/dev/null; then
		kill -TERM "$WATCH_PID" 2>/dev/null || true
		wait "$WATCH_PID" 2>/dev/null || true
	fi
	daemon_stop
	[ -z "$WORK" ] || rm -rf "$WORK"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

daemon_install || exit 1

export GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false"
WORK=$(mktemp -d /tmp/shaper-benchw-XXXXXX)
mkdir -p "$WORK/config/cli-plugins"
say "building docker-shaper"
go build -o "$WORK/config/cli-plugins/docker-shaper" ./cmd/docker-shaper
go build -o "$WORK/mkfixtures" ./scripts/mkfixtures

daemon_start || exit 1
export DOCKER_CONFIG="$WORK/config"

t=$SECONDS
say "loading $IMAGES images"
"$WORK/mkfixtures" -images "$IMAGES" -repos 20 -style ci -prefix registry.example.com/ci/app | docker load -q >/dev/null
loaded=$(docker image ls -q | sort -u | wc -l)
say "loaded $loaded images in $((SECONDS - t))s"

say "starting docker shaper watch --no-initial"
docker shaper watch --no-initial --policy examples/policies/ci-node.hcl >"$WORK/watch.log" 2>&1 </dev/null &
WATCH_PID=$!

# The plugin is the docker CLI's child.
PLUGIN_PID=""
t=$SECONDS
until grep -q "following the daemon's events" "$WORK/watch.log"; do
	kill -0 "$WATCH_PID" 2>/dev/null || { cat "$WORK/watch.log" >&2; die "the watcher exited"; }
	[ $((SECONDS - t)) -lt 60 ] || { cat "$WORK/watch.log" >&2; die "the watcher did not start within 60s"; }
	sleep 0.2
done
PLUGIN_PID=$(cat /proc/"$WATCH_PID"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -m1 . || true)
[ -n "$PLUGIN_PID" ] && [ -r "/proc/$PLUGIN_PID/stat" ] || die "cannot find the plugin process under pid $WATCH_PID"
say "watcher up in $((SECONDS - t))s (docker CLI pid $WATCH_PID, plugin pid $PLUGIN_PID); letting it settle 2s"
sleep 2

# cputicks PID: utime + stime, in clock ticks (fields 14 and 15 of stat;
# the command name, field 2, has no spaces here).
cputicks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# memkb PID FIELD: VmRSS or VmHWM, in kB.
memkb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

HZ=$(getconf CLK_TCK)
p0=$(cputicks "$PLUGIN_PID")
c0=$(cputicks "$WATCH_PID")
s0=$(date +%s.%N)
say "idle for ${SECS}s"
sleep "$SECS"
p1=$(cputicks "$PLUGIN_PID")
c1=$(cputicks "$WATCH_PID")
s1=$(date +%s.%N)
p_rss=$(memkb "$PLUGIN_PID" VmRSS)
p_hwm=$(memkb "$PLUGIN_PID" VmHWM)
c_rss=$(memkb "$WATCH_PID" VmRSS)

say "stopping the watcher (SIGTERM)"
kill -TERM "$WATCH_PID"
watch_status=0
wait "$WATCH_PID" || watch_status=$?
WATCH_PID=""

# The daemon's state file: one directory per daemon under shaper/daemons.
state=$(ls "$DOCKER_CONFIG"/shaper/daemons/*/state.json 2>/dev/null | head -n 1)
[ -n "$state" ] || die "the watcher left no state file under $DOCKER_CONFIG/shaper/daemons"
records=$(grep -c '"first_seen"' "$state" || true)

awk -v p0="$p0" -v p1="$p1" -v c0="$c0" -v c1="$c1" -v hz="$HZ" -v s0="$s0" -v s1="$s1" \
	-v prss="$p_rss" -v phwm="$p_hwm" -v crss="$c_rss" -v images="$loaded" -v records="$records" \
	-v ssize="$(wc -c <"$state")" 'BEGIN {
	el = s1 - s0
	pcpu = (p1 - p0) / hz / el * 100
	ccpu = (c1 - c0) / hz / el * 100
	printf "images on the host:     %d (state records: %d, state.json: %.1f KB)\n", images, records, ssize / 1024
	printf "idle window:            %.1f s\n", el
	printf "watcher (plugin) CPU:   %.3f%% of one core (%d ticks of 1/%d s)\n", pcpu, p1 - p0, hz
	printf "watcher (plugin) RSS:   %.1f MB now, %.1f MB peak\n", prss / 1024, phwm / 1024
	printf "docker CLI parent CPU:  %.3f%% of one core; RSS %.1f MB\n", ccpu, crss / 1024
	printf "both together:          %.3f%% of one core; RSS %.1f MB\n", pcpu + ccpu, (prss + crss) / 1024
	ok = (pcpu < 1 && prss / 1024 < 50)
	printf "acceptance (watcher < 1%% CPU, < 50 MB RSS): %s\n", ok ? "met" : "NOT met"
	exit ok ? 0 : 1
}' || { say "the watcher is over the limits; its log:"; cat "$WORK/watch.log" >&2; exit 1; }
[ "$watch_status" -eq 0 ] || { cat "$WORK/watch.log" >&2; die "the watcher exited $watch_status on SIGTERM, want 0"; }
grep -q "stopped" "$WORK/watch.log" || { cat "$WORK/watch.log" >&2; die "the watcher did not say it stopped"; }
say "the watcher stopped cleanly (exit 0)"
