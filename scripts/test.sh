#!/usr/bin/env bash
# scripts/test.sh: the one test command of docker-shaper (CI runs it too).
#
#   ./scripts/test.sh                 gofmt, go vet, every test, and the CLI
#                                     scripts against a throwaway daemon
#   ./scripts/test.sh GOTESTARGS...   the same, but `go test -count=1 GOTESTARGS`
#                                     instead of the full test run, e.g.
#                                     ./scripts/test.sh -v -run TestLoad ./internal/fixture/
#
# It never touches your Docker daemon: it always starts its own dockerd in a
# fresh temporary directory (labelled shaper.test=1, which the tests insist
# on before they wipe anything) and stops and removes it on exit. It needs
# root for that, and installs docker.io with apt-get when dockerd is missing.
# The exit status is the tests'.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'test.sh: %s\n' "$*" >&2; exit 1; }

started=$SECONDS
[ "$(id -u)" -eq 0 ] || die "this starts a throwaway dockerd, which needs root: run it as root (e.g. sudo -E env \"PATH=\$PATH\" ./scripts/test.sh)"
command -v go >/dev/null || die "go is not on PATH"
# dockerd lives in sbin, which a root shell's PATH may lack.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

# --- Install the daemon when it is missing ----------------------------------
if ! command -v dockerd >/dev/null; then
	say "installing docker.io (dockerd is missing)"
	t=$SECONDS
	# Keep the package from starting a system daemon of its own.
	rc_policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		rc_policy=/usr/sbin/policy-rc.d
	fi
	install_status=0
	{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker.io; } </dev/null || install_status=$?
	[ -z "$rc_policy" ] || rm -f "$rc_policy"
	[ "$install_status" -eq 0 ] || die "installing docker.io failed"
	say "installed docker.io in $((SECONDS - t))s"
fi
command -v dockerd >/dev/null || die "dockerd is still missing after installing docker.io"
command -v docker >/dev/null || die "the docker CLI is missing"

# --- Start a throwaway daemon ------------------------------------------------
# Short paths: a unix socket path must stay under about 100 bytes.
D=$(mktemp -d /tmp/shaper-XXXXXX)
DPID=""

cleanup() {
	local status=$? pid="" i
	trap - EXIT INT TERM
	if [ -s "$D/docker.pid" ]; then
		pid=$(cat "$D/docker.pid")
	fi
	pid=${pid:-$DPID}
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 1 40); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.5
		done
		if kill -0 "$pid" 2>/dev/null; then
			say "dockerd did not stop within 20s: killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	if [ -n "$DPID" ]; then
		wait "$DPID" 2>/dev/null || true
	fi
	# The daemon's own containerd, should it have outlived a killed dockerd.
	if [ -s "$D/exec/containerd/containerd.pid" ]; then
		pid=$(cat "$D/exec/containerd/containerd.pid")
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null || true
			sleep 2
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	# Anything still mounted under the daemon's directory, deepest first.
	umount -R "$D/root" "$D/exec" 2>/dev/null || true
	local m
	for m in $(awk -v d="$D" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "could not unmount $m"
	done
	rm -rf "$D" 2>/dev/null || say "could not remove $D"
	say "done in $((SECONDS - started))s: exit status $status"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "starting a throwaway dockerd in $D"
# setsid: a ^C reaches the tests, and the trap stops the daemon in order.
setsid dockerd \
	--host "unix://$D/docker.sock" \
	--data-root "$D/root" \
	--exec-root "$D/exec" \
	--pidfile "$D/docker.pid" \
	--iptables=false \
	--bridge=none \
	--label shaper.test=1 \
	>"$D/dockerd.log" 2>&1 </dev/null &
DPID=$!

export DOCKER_HOST="unix://$D/docker.sock"
export SHAPER_TEST_DAEMON=1
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION

t=$SECONDS
until docker info >/dev/null 2>&1; do
	if ! kill -0 "$DPID" 2>/dev/null; then
		say "dockerd exited; the end of its log:"
		tail -n 40 "$D/dockerd.log" >&2
		exit 1
	fi
	if [ $((SECONDS - t)) -ge 60 ]; then
		say "dockerd was not ready within 60s; the end of its log:"
		tail -n 40 "$D/dockerd.log" >&2
		exit 1
	fi
	sleep 0.5
done
say "dockerd $(docker info --format '{{.ServerVersion}}') ready in $((SECONDS - t))s"

# --- Checks and tests --------------------------------------------------------
# A checkout owned by another user must not stop builds.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false"
status=0

say "gofmt -l"
unformatted=$(gofmt -l .) || status=1
if [ -n "$unformatted" ]; then
	printf 'not gofmt-ed:\n%s\n' "$unformatted" >&2
	status=1
fi

say "go vet ./..."
go vet ./... || status=1

if [ $# -gt 0 ]; then
	say "go test -count=1 $*"
	go test -count=1 "$@" || status=1
else
	t=$SECONDS
	say "go test (all packages but the CLI scripts)"
	# shellcheck disable=SC2046
	go test -count=1 -timeout 15m $(go list ./... | grep -v '/cmd/docker-shaper$') || status=1
	say "go test: the CLI scripts against the daemon (cmd/docker-shaper)"
	go test -count=1 -timeout 15m -v ./cmd/docker-shaper/ || status=1
	say "tests took $((SECONDS - t))s"
fi

if [ "$status" -ne 0 ]; then
	say "FAILED; the end of the daemon's log:"
	tail -n 20 "$D/dockerd.log" >&2
fi
exit "$status"
