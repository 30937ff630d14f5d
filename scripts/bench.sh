#!/usr/bin/env bash
# scripts/bench.sh: how long `docker shaper check` takes on a busy host,
# against what a person would run to see the same data.
#
#   ./scripts/bench.sh            [ROUNDS]   (default 5 rounds)
#
# It starts a throwaway dockerd (scripts/lib-daemon.sh; never your own
# daemon), loads 2,000 tags on 300 images (20 repositories, tags named as on
# a CI host) and 45 containers (10 exited with an anonymous volume each, 5
# running, 30 created) plus 5 networks, then times, in ROUNDS interleaved
# rounds:
#
#   baseline   docker image ls -a; docker ps -a
#   check      docker shaper check --policy examples/policies/ci-node.hcl --format json
#   system df  docker system df (for reference: check asks the daemon for the
#              same disk usage)
#   validate   docker shaper validate POLICY (for reference: starting the
#              plugin through the docker CLI and loading the policy, no daemon)
#
# and prints each one's median and the ratio check / baseline. It uses
# hyperfine when it is installed (or installable with apt-get), else (or
# with BENCH_LOOP=1) a shell loop that alternates the commands sample by
# sample. Then it runs
# the engine's benchmarks (go test -bench, ./policy/) and the daemon-backed
# breakdown of check (./internal/commands/ BenchmarkCheck: snapshot, evaluate,
# render). docs/benchmarks.md has the figures. Needs root, like test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench.sh: %s\n' "$*" >&2; exit 1; }

ROUNDS=${1:-5}
case $ROUNDS in '' | *[!0-9]* | 0) die "ROUNDS must be a positive number, not '$ROUNDS'" ;; esac
SAMPLES=10 # per command and round

[ "$(id -u)" -eq 0 ] || die "this starts a throwaway dockerd, which needs root"
command -v go >/dev/null || die "go is not on PATH"

# shellcheck source=scripts/lib-daemon.sh
. scripts/lib-daemon.sh

WORK=""
cleanup() {
	local status=$?
	trap - EXIT INT TERM
	daemon_stop
	[ -z "$WORK" ] || rm -rf "$WORK"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

daemon_install || exit 1

use_hyperfine() { [ "${BENCH_LOOP:-}" != 1 ] && command -v hyperfine >/dev/null; }
if [ "${BENCH_LOOP:-}" != 1 ] && ! command -v hyperfine >/dev/null; then
	say "hyperfine is missing: trying apt-get install hyperfine (else a shell loop times the commands)"
	{ apt-get install -y -q --no-install-recommends hyperfine || { apt-get update -q && apt-get install -y -q --no-install-recommends hyperfine; }; } </dev/null >/dev/null 2>&1 || true
fi

export GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false"
WORK=$(mktemp -d /tmp/shaper-bench-XXXXXX)
mkdir -p "$WORK/config/cli-plugins"
say "building docker-shaper"
go build -o "$WORK/config/cli-plugins/docker-shaper" ./cmd/docker-shaper
go build -o "$WORK/mkfixtures" ./scripts/mkfixtures

daemon_start || exit 1
export DOCKER_CONFIG="$WORK/config"
POLICY=examples/policies/ci-node.hcl

# --- The host -----------------------------------------------------------------
t=$SECONDS
say "loading 300 images with 2,000 tags"
"$WORK/mkfixtures" -images 300 -tags 2000 -repos 20 -style ci -run \
	-prefix registry.example.com/ci/app | docker load -q >/dev/null
mapfile -t refs < <(docker image ls --format '{{.Repository}}:{{.Tag}}' | head -n 45)
[ "${#refs[@]}" -eq 45 ] || die "expected at least 45 tags, got ${#refs[@]}"
say "creating 45 containers and 5 networks"
for i in $(seq 0 4); do docker network create "ci_bench_$i" >/dev/null; done
for i in $(seq 0 44); do
	if [ "$i" -lt 10 ]; then
		docker run --network none --name "ci-job-$i" -v /data "${refs[$i]}" true >/dev/null
	elif [ "$i" -lt 15 ]; then
		docker run -d --network "ci_bench_$((i % 5))" --name "ci-job-$i" "${refs[$i]}" sleep 600 >/dev/null
	else
		docker create --network none --name "ci-job-$i" "${refs[$i]}" >/dev/null
	fi
done
tags=$(docker image ls --format '{{.Repository}}:{{.Tag}}' | wc -l)
ids=$(docker image ls -aq | sort -u | wc -l)
ctrs=$(docker ps -aq | wc -l)
say "host ready in $((SECONDS - t))s: $tags tags, $ids images, $ctrs containers"
docker shaper check --policy "$POLICY" --format json >"$WORK/plan.json"
say "the plan: $(grep -c '"action":' "$WORK/plan.json") actions ($POLICY)"

# --- CLI timings --------------------------------------------------------------
BASELINE='docker image ls -a >/dev/null && docker ps -a >/dev/null'
CHECK="docker shaper check --policy $POLICY --format json >/dev/null"
SYSDF='docker system df >/dev/null'
VALIDATE="docker shaper validate $POLICY >/dev/null"

# median FILE: the median of the numbers in FILE, one a line.
median() {
	sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

: >"$WORK/baseline.ms"
: >"$WORK/check.ms"
: >"$WORK/sysdf.ms"
: >"$WORK/validate.ms"
if use_hyperfine; then
	method="hyperfine $(hyperfine --version | awk '{ print $2 }'), $SAMPLES runs per command per round after 2 warm-ups, medians of all runs"
	for r in $(seq 1 "$ROUNDS"); do
		say "round $r/$ROUNDS (hyperfine)"
		hyperfine --style none --warmup 2 --runs "$SAMPLES" --export-json "$WORK/round$r.json" \
			-n baseline "$BASELINE" -n check "$CHECK" -n sysdf "$SYSDF" -n validate "$VALIDATE" \
			>/dev/null 2>"$WORK/hyperfine.err" || { cat "$WORK/hyperfine.err" >&2; die "hyperfine failed"; }
		# Each command's "times" (seconds), without jq: one number a line.
		for name in baseline check sysdf validate; do
			awk -v name="$name" '
				/"command":/ { inside = index($0, "\"" name "\"") > 0 }
				inside && /"times":/ { grab = 1; next }
				grab && /\]/ { grab = 0; inside = 0 }
				grab { gsub(/[ ,]/, ""); printf "%.3f\n", $0 * 1000 }
			' "$WORK/round$r.json" >>"$WORK/$name.ms"
		done
	done
else
	method="a shell loop alternating the commands sample by sample ($SAMPLES samples each per round, after one warm-up)"
	# time_into FILE COMMAND appends COMMAND's wall time in ms to FILE,
	# timed with bash's own clock (no fork).
	time_into() {
		local a b
		a=${EPOCHREALTIME/[.,]/}
		eval "$2"
		b=${EPOCHREALTIME/[.,]/}
		awk -v d=$((b - a)) 'BEGIN { printf "%.3f\n", d / 1000 }' >>"$1"
	}
	eval "$BASELINE"
	eval "$CHECK"
	eval "$SYSDF"
	eval "$VALIDATE"
	for r in $(seq 1 "$ROUNDS"); do
		say "round $r/$ROUNDS (shell loop)"
		for _ in $(seq 1 "$SAMPLES"); do
			time_into "$WORK/baseline.ms" "$BASELINE"
			time_into "$WORK/check.ms" "$CHECK"
			time_into "$WORK/sysdf.ms" "$SYSDF"
			time_into "$WORK/validate.ms" "$VALIDATE"
		done
	done
fi

b=$(median "$WORK/baseline.ms")
c=$(median "$WORK/check.ms")
s=$(median "$WORK/sysdf.ms")
v=$(median "$WORK/validate.ms")
n=$(wc -l <"$WORK/check.ms")
{
	echo
	echo "docker shaper check vs the docker CLI, $tags tags on $ids images, $ctrs containers"
	echo "(dockerd $(docker info --format '{{.ServerVersion}}'), $(nproc) CPUs; $method; $n samples each)"
	echo
	printf '  %-58s %9s\n' "command" "median"
	printf '  %-58s %7.1f ms\n' "baseline: docker image ls -a + docker ps -a" "$b"
	printf '  %-58s %7.1f ms\n' "docker shaper check --format json" "$c"
	printf '  %-58s %7.1f ms\n' "docker system df (reference)" "$s"
	printf '  %-58s %7.1f ms\n' "docker shaper validate (reference: plugin start, no daemon)" "$v"
	awk -v b="$b" -v c="$c" 'BEGIN { printf "\n  ratio check / baseline: %.2f\n\n", c / b }'
} | tee "$WORK/summary.txt"

# --- Engine and breakdown ------------------------------------------------------
say "go test -bench: the engine (./policy/)"
go test -run '^$' -bench . -benchmem ./policy/
say "go test -bench: check's phases on this daemon (./internal/commands/, BenchmarkCheck; it wipes and reloads the host)"
go test -run '^$' -bench Check -benchmem ./internal/commands/
