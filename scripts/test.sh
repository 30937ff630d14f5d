#!/usr/bin/env bash
# scripts/test.sh: the one test command of docker-shaper (CI runs it too).
#
#   ./scripts/test.sh                 gofmt, go vet, builds for macOS and
#                                     Windows, staticcheck, every test, the
#                                     CLI scripts against a throwaway daemon,
#                                     and a few seconds of each fuzz target
#   ./scripts/test.sh GOTESTARGS...   the same, but `go test -count=1 GOTESTARGS`
#                                     instead of the full test run, e.g.
#                                     ./scripts/test.sh -v -run TestLoad ./internal/fixture/
#   SHAPER_ENGINE=podman ./scripts/test.sh GOTESTARGS...
#                                     the same against a throwaway Podman
#                                     service instead of dockerd
#
# The full run then runs the daemon-backed tests that guard images in use,
# parents, dangling images, prune reporting, first sightings and last use
# a second time, against a throwaway `podman system service` (PODMAN_TESTS
# below; docs/podman.md). It installs podman with apt-get when missing.
#
# It never touches your Docker daemon: it always starts its own dockerd in a
# fresh temporary directory (labelled shaper.test=1, which the tests insist
# on before they wipe anything) and stops and removes it on exit. It needs
# root for that, and installs docker.io with apt-get when dockerd is missing
# (and tmux, which the scripts of docker shaper status drive).
# The exit status is the tests'.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'test.sh: %s\n' "$*" >&2; exit 1; }

started=$SECONDS
[ "$(id -u)" -eq 0 ] || die "this starts a throwaway dockerd, which needs root: run it as root (e.g. sudo -E env \"PATH=\$PATH\" ./scripts/test.sh)"
command -v go >/dev/null || die "go is not on PATH"

# shellcheck source=scripts/lib-daemon.sh
. scripts/lib-daemon.sh

cleanup() {
	local status=$?
	trap - EXIT INT TERM
	daemon_stop
	podman_stop
	[ -z "$TOOLS_DIR" ] || rm -rf "$TOOLS_DIR"
	say "done in $((SECONDS - started))s: exit status $status"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# staticcheck_install puts staticcheck (a fixed version) in a directory of
# this run's, from the module proxy, and sets STATICCHECK.
STATICCHECK_VERSION=v0.8.2
staticcheck_install() {
	local bin
	bin=$(mktemp -d /tmp/shaper-tools-XXXXXX) || return 1
	TOOLS_DIR=$bin
	if ! GOBIN=$bin GOFLAGS= go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"; then
		say "installing staticcheck $STATICCHECK_VERSION failed"
		return 1
	fi
	STATICCHECK=$bin/staticcheck
}
TOOLS_DIR=""

# tmux_install installs tmux when it is missing: the scripts that drive
# docker shaper status run it in a tmux session.
tmux_install() {
	command -v tmux >/dev/null && return 0
	say "installing tmux (the live view's scripts run it)"
	apt_install tmux
}

# The tests run against Podman's Docker-compatible API: the ones that guard
# what must hold on every engine, and not those about Docker's own figures
# (load speed, scale, benchmarks) or timing-sensitive watcher details a
# Podman service, seconds slow to say who it is, cannot keep up with here.
PODMAN_TESTS='^(TestLoad|TestRunnableImage|TestPruneBuildCacheOnTheDaemon|TestApplyRechecksEachObject|TestPruneMixedPlan|TestPruneSafety|TestDanglingNeverTakesAParent|TestOldBuildLoadedNowIsNotDue|TestRecordOlderThanCreatedNeverAgesAnImage|TestWatchRecordsArrivalAndLastUse)$'
PODMAN_PACKAGES="./internal/fixture/ ./internal/docker/ ./internal/commands/"

if [ $# -gt 0 ] && [ "${SHAPER_ENGINE:-docker}" = podman ]; then
	podman_install || exit 1
	podman_start || exit 1
	export DOCKER_HOST=$PODMAN_HOST SHAPER_TEST_DAEMON=1
	unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION
else
	daemon_install || exit 1
	tmux_install || exit 1
	daemon_start || exit 1
fi

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

# Docker Desktop users are on macOS and Windows: the plugin must build there.
# And statically for Linux, as the container image carries it (the
# container test then finds it built).
for target in darwin/amd64 darwin/arm64 windows/amd64 linux/amd64; do
	say "go build for $target"
	CGO_ENABLED=0 GOOS=${target%/*} GOARCH=${target#*/} go build -o /dev/null ./cmd/docker-shaper || status=1
done

say "staticcheck ./..."
if staticcheck_install; then
	"$STATICCHECK" ./... || status=1
else
	status=1
fi

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
	t=$SECONDS
	say "go test against Podman: $PODMAN_TESTS"
	if podman_install && podman_start; then
		# shellcheck disable=SC2086
		DOCKER_HOST=$PODMAN_HOST go test -count=1 -timeout 15m -run "$PODMAN_TESTS" $PODMAN_PACKAGES || status=1
	else
		status=1
	fi
	say "the Podman pass took $((SECONDS - t))s"
	# Each fuzz target briefly (its seed corpus runs in go test anyway):
	# FUZZTIME=60s scripts/fuzz.sh runs them long (docs/fuzzing.md).
	say "fuzzing each policy target for ${FUZZTIME:-5s}"
	FUZZTIME=${FUZZTIME:-5s} scripts/fuzz.sh || status=1
fi

if [ "$status" -ne 0 ]; then
	say "FAILED; the end of the daemon's log:"
	daemon_log_tail 20
	podman_log_tail 20
fi
exit "$status"
