#!/usr/bin/env bash
# scripts/bench.sh: every figure of issue 11 in one run, each against its
# baseline measured in the same run, with the target and whether it is met.
#
#   ./scripts/bench.sh [ROUNDS]     (default 3)
#
# It starts a throwaway dockerd (scripts/lib-daemon.sh; never your own
# daemon), and on it, one after the other:
#
#   prune   150 images with 600 tags (5 repositories), loaded afresh before
#           every sample, removed by
#             docker shaper prune -f (a policy claiming every tag),
#             docker rmi of the same 600 tags in one call, and
#             docker image prune -a -f (on a host holding nothing else);
#           then start-up: docker shaper --help against docker --help;
#   S host  2,000 tags on 300 images (20 repositories, CI-style tags), 45
#           containers (10 exited with an anonymous volume, 5 running, 30
#           created), 5 networks;
#   L host  10,000 tags on 2,000 images (40 repositories), 1,000 containers
#           (500 exited with an anonymous volume each: 500 volumes; 20
#           running; the rest created), 5 networks;
#           on both: docker shaper check --format json against the baseline
#           docker image ls -a && docker ps -a, alternated sample by sample
#           (SAMPLES per round, after a warm-up), and check's peak memory
#           (the largest resident set of the docker CLI and the plugin, GNU
#           time's %M); and, for the record, the first look at the host
#           (inspected.json deleted first) against the same baseline;
#   watch   docker shaper watch on the L host: its CPU and memory idle for
#           IDLE seconds, then the events it follows per second during a
#           burst of BURST container runs (docker run --rm, 8 at a time),
#           read from its own metrics (docker_shaper_events_total);
#   engine  go test -bench Evaluate -benchmem ./policy/ (no daemon):
#           100,000 tags, 25,000 images, 10,000 containers.
#
# and prints the table of docs/benchmarks.md. Medians of all samples. The
# machine is shared: compare the ratios, which come from one run.
# Environment: SAMPLES (10), IDLE (60), BURST (2000). Needs root, like
# test.sh. Nothing here asserts: the exit status is 0 whatever the figures.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench.sh: %s\n' "$*" >&2; exit 1; }

ROUNDS=${1:-3}
SAMPLES=${SAMPLES:-10}
IDLE=${IDLE:-60}
BURST=${BURST:-2000}
for v in "$ROUNDS" "$SAMPLES" "$IDLE" "$BURST"; do
	case $v in '' | *[!0-9]* | 0) die "ROUNDS, SAMPLES, IDLE and BURST must be positive numbers, not '$v'" ;; esac
done

[ "$(id -u)" -eq 0 ] || die "this starts a throwaway dockerd, which needs root"
command -v go >/dev/null || die "go is not on PATH"
[ -x /usr/bin/time ] || die "GNU time (/usr/bin/time) is missing: apt-get install time"

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
WORK=$(mktemp -d /tmp/shaper-bench-XXXXXX)
mkdir -p "$WORK/config/cli-plugins"
say "building docker-shaper"
go build -o "$WORK/config/cli-plugins/docker-shaper" ./cmd/docker-shaper
go build -o "$WORK/mkfixtures" ./scripts/mkfixtures
plugin_size=$(stat -c %s "$WORK/config/cli-plugins/docker-shaper")

daemon_start || exit 1
export DOCKER_CONFIG="$WORK/config"
POLICY=examples/policies/ci-node.hcl
ROWS="$WORK/rows" # what|ours|baseline|unit|target|ratio or limit|met
: >"$ROWS"

# median FILE: the median of the numbers in FILE, one a line.
median() {
	sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# time_into FILE COMMAND appends COMMAND's wall time in ms to FILE, timed
# with bash's own clock (no fork).
time_into() {
	local a b
	a=${EPOCHREALTIME/[.,]/}
	eval "$2"
	b=${EPOCHREALTIME/[.,]/}
	awk -v d=$((b - a)) 'BEGIN { printf "%.3f\n", d / 1000 }' >>"$1"
}
# row WHAT OURS BASELINE UNIT MAXRATIO: a row compared with a baseline,
# met when ours / baseline <= MAXRATIO. Rows are said as they come too.
row() {
	say "$1: $2 $4 against $3 $4"
	awk -v w="$1" -v o="$2" -v b="$3" -v u="$4" -v m="$5" 'BEGIN {
		r = o / b
		printf "%s|%.1f %s|%.1f %s|%.2f|<= %.1f|%s\n", w, o, u, b, u, r, m, (r <= m ? "met" : "NOT met")
	}' >>"$ROWS"
}
# info WHAT OURS BASELINE UNIT: a row compared with a baseline, for the
# record: it has no target.
info() {
	say "$1: $2 $4 against $3 $4"
	awk -v w="$1" -v o="$2" -v b="$3" -v u="$4" 'BEGIN {
		printf "%s|%.1f %s|%.1f %s|%.2f|-|-\n", w, o, u, b, u, o / b
	}' >>"$ROWS"
}
# limit WHAT OURS UNIT LIMIT: a row with an absolute limit, met when
# ours < LIMIT.
limit() {
	say "$1: $2 $3"
	awk -v w="$1" -v o="$2" -v u="$3" -v l="$4" 'BEGIN {
		printf "%s|%.2f %s|-|-|< %s %s|%s\n", w, o, u, l, u, (o < l ? "met" : "NOT met")
	}' >>"$ROWS"
}
# wipe removes every container, image, volume and user network.
wipe() {
	local ids
	ids=$(docker ps -aq)
	[ -z "$ids" ] || docker rm -f $ids >/dev/null
	docker system prune -a -f --volumes >/dev/null
	ids=$(docker volume ls -q)
	[ -z "$ids" ] || docker volume rm $ids >/dev/null
}

# --- prune ---------------------------------------------------------------------
# The prune shape: 150 images, 600 tags, on a host holding nothing else (so
# that docker image prune -a removes exactly them).
PRUNE_POLICY="$WORK/prune.hcl"
cat >"$PRUNE_POLICY" <<'EOF'
image "bench" {
  match = ["prunebench/**:*"]
}
EOF
"$WORK/mkfixtures" -images 150 -tags 600 -repos 5 -prefix prunebench/app >"$WORK/prune.tar"
load_prune() {
	wipe
	docker load -q <"$WORK/prune.tar" >/dev/null
	docker image ls --format '{{.Repository}}:{{.Tag}}' >"$WORK/prune.tags"
	[ "$(wc -l <"$WORK/prune.tags")" -eq 600 ] || die "the prune fixture has $(wc -l <"$WORK/prune.tags") tags, want 600"
}
: >"$WORK/prune-ours.ms"
: >"$WORK/prune-rmi.ms"
: >"$WORK/prune-image-prune.ms"
for r in $(seq 1 "$ROUNDS"); do
	say "prune, round $r/$ROUNDS: docker shaper prune -f, docker rmi, docker image prune -a -f"
	load_prune
	time_into "$WORK/prune-ours.ms" "docker shaper prune -f --policy $PRUNE_POLICY >/dev/null 2>\"$WORK/prune.err\"" ||
		{ cat "$WORK/prune.err" >&2; die "docker shaper prune failed"; }
	[ -z "$(docker image ls -q)" ] || die "docker shaper prune left images behind"
	load_prune
	time_into "$WORK/prune-rmi.ms" 'docker rmi $(cat "$WORK/prune.tags") >/dev/null'
	load_prune
	time_into "$WORK/prune-image-prune.ms" 'docker image prune -a -f >/dev/null'
	[ -z "$(docker image ls -q)" ] || die "docker image prune -a left images behind"
done
po=$(median "$WORK/prune-ours.ms")
row "prune -f, 150 images / 600 tags, vs docker rmi of the tags" "$po" "$(median "$WORK/prune-rmi.ms")" ms 1.0
row "prune -f, 150 images / 600 tags, vs docker image prune -a -f" "$po" "$(median "$WORK/prune-image-prune.ms")" ms 1.5

# --- check on the S and L hosts --------------------------------------------------
# containers N RUNNING EXITED: N containers from the host's tags, the first
# EXITED run to completion with an anonymous volume each, the next RUNNING
# left running, the rest only created; 8 at a time.
containers() {
	local n=$1 running=$2 exited=$3
	# (Not piped into head: under pipefail its early exit fails the list.)
	docker image ls --format '{{.Repository}}:{{.Tag}}' >"$WORK/all-refs"
	head -n "$n" "$WORK/all-refs" >"$WORK/refs"
	[ "$(wc -l <"$WORK/refs")" -eq "$n" ] || die "fewer than $n tags to make containers from"
	for i in $(seq 0 4); do docker network create "ci_bench_$i" >/dev/null; done
	awk -v r="$running" -v e="$exited" '{
		i = NR - 1
		if (i < e) printf "run --network none --name ci-job-%d -v /data %s true\n", i, $0
		else if (i < e + r) printf "run -d --network ci_bench_%d --name ci-job-%d %s sleep 3600\n", i % 5, i, $0
		else printf "create --network none --name ci-job-%d %s\n", i, $0
	}' "$WORK/refs" | xargs -P 8 -L 1 docker >/dev/null
}
# time_check NAME: check against the baseline on the host as it is, and
# check's peak memory.
time_check() {
	local name=$1 tags ids ctrs vols
	tags=$(docker image ls --format '{{.Repository}}:{{.Tag}}' | wc -l)
	ids=$(docker image ls -aq | sort -u | wc -l)
	ctrs=$(docker ps -aq | wc -l)
	vols=$(docker volume ls -q | wc -l)
	say "$name host: $tags tags, $ids images, $ctrs containers, $vols volumes"
	local baseline='docker image ls -a >/dev/null && docker ps -a >/dev/null'
	local check="docker shaper check --policy $POLICY --format json >/dev/null"
	: >"$WORK/$name-baseline.ms"
	: >"$WORK/$name-check.ms"
	: >"$WORK/$name-rss.kb"
	eval "$baseline"
	eval "$check"
	for r in $(seq 1 "$ROUNDS"); do
		say "$name host, round $r/$ROUNDS: check against image ls + ps"
		for _ in $(seq 1 "$SAMPLES"); do
			time_into "$WORK/$name-baseline.ms" "$baseline"
			time_into "$WORK/$name-check.ms" "$check"
		done
		/usr/bin/time -f %M -a -o "$WORK/$name-rss.kb" docker shaper check --policy "$POLICY" --format json >/dev/null
	done
	row "check --format json, $name host ($tags tags / $ids images / $ctrs containers), vs image ls -a + ps -a" \
		"$(median "$WORK/$name-check.ms")" "$(median "$WORK/$name-baseline.ms")" ms 1.0
	# The first look at a host has no inspected.json to start from, and
	# inspects every image and container: how much that costs, for the
	# record (no target).
	: >"$WORK/$name-cold.ms"
	: >"$WORK/$name-cold-baseline.ms"
	for _ in $(seq 1 "$ROUNDS"); do
		rm -f "$WORK"/config/shaper/daemons/*/inspected.json
		time_into "$WORK/$name-cold.ms" "$check"
		time_into "$WORK/$name-cold-baseline.ms" "$baseline"
	done
	info "check, $name host, first look (no inspected.json: every object inspected), vs image ls -a + ps -a" \
		"$(median "$WORK/$name-cold.ms")" "$(median "$WORK/$name-cold-baseline.ms")" ms
}

# --- plugin start-up ----------------------------------------------------------------
# What running docker-shaper costs before it does anything: the docker CLI
# starts the plugin twice (its metadata, then the command), against one
# start of the docker CLI alone. For the record (no target).
: >"$WORK/start-plugin.ms"
: >"$WORK/start-cli.ms"
for _ in $(seq 1 $((ROUNDS * SAMPLES))); do
	time_into "$WORK/start-plugin.ms" 'docker shaper --help >/dev/null'
	time_into "$WORK/start-cli.ms" 'docker --help >/dev/null'
done
info "start-up: docker shaper --help, vs docker --help" "$(median "$WORK/start-plugin.ms")" "$(median "$WORK/start-cli.ms")" ms

say "S host: loading 300 images with 2,000 tags, 45 containers"
wipe
"$WORK/mkfixtures" -images 300 -tags 2000 -repos 20 -style ci -run -prefix registry.example.com/ci/app | docker load -q >/dev/null
containers 45 5 10
time_check S

say "L host: loading 2,000 images with 10,000 tags, 1,000 containers, 500 volumes"
t=$SECONDS
wipe
# One tag per image through docker load, the other 8,000 written into the
# stopped daemon's reference store at once (mkfixtures -more-tags): a load
# of all 10,000 takes minutes, the daemon saving its store for every tag.
"$WORK/mkfixtures" -images 2000 -tags 10000 -repos 40 -style ci -run -prefix registry.example.com/ci/app \
	-more-tags "$WORK/more-tags" | docker load -q >/dev/null
daemon_restart "$WORK/mkfixtures" -add-tags "$WORK/more-tags" \
	-repositories "$DAEMON_DIR/root/image/$(docker info --format '{{.Driver}}')/repositories.json"
containers 1000 20 500
say "L host ready in $((SECONDS - t))s"
time_check L
limit "check peak memory, L host (largest RSS of docker CLI and plugin)" \
	"$(awk '{ if ($1 > m) m = $1 } END { print m / 1024 }' "$WORK/L-rss.kb")" MB 100

# --- the watcher on the L host ------------------------------------------------------
PORT=$((20000 + RANDOM % 20000))
say "starting docker shaper watch --no-initial (metrics on 127.0.0.1:$PORT)"
docker shaper watch --no-initial --policy "$POLICY" --metrics-addr "127.0.0.1:$PORT" >"$WORK/watch.log" 2>&1 </dev/null &
WATCH_PID=$!
t=$SECONDS
until grep -q "following the daemon's events" "$WORK/watch.log"; do
	kill -0 "$WATCH_PID" 2>/dev/null || { cat "$WORK/watch.log" >&2; die "the watcher exited"; }
	[ $((SECONDS - t)) -lt 120 ] || { cat "$WORK/watch.log" >&2; die "the watcher did not start within 120s"; }
	sleep 0.2
done
PLUGIN_PID=$(cat /proc/"$WATCH_PID"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -m1 . || true)
[ -n "$PLUGIN_PID" ] && [ -r "/proc/$PLUGIN_PID/stat" ] || die "cannot find the plugin process under pid $WATCH_PID"
sleep 2
cputicks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
memkb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
HZ=$(getconf CLK_TCK)
say "watcher idle for ${IDLE}s"
p0=$(cputicks "$PLUGIN_PID")
s0=${EPOCHREALTIME/[.,]/}
sleep "$IDLE"
p1=$(cputicks "$PLUGIN_PID")
s1=${EPOCHREALTIME/[.,]/}
limit "watcher idle CPU, L host (share of one core)" \
	"$(awk -v t=$((p1 - p0)) -v hz="$HZ" -v us=$((s1 - s0)) 'BEGIN { print t / hz / (us / 1e6) * 100 }')" % 1
limit "watcher idle RSS, L host" "$(awk -v kb="$(memkb "$PLUGIN_PID" VmRSS)" 'BEGIN { print kb / 1024 }')" MB 50

# events: the watcher's own count of the daemon events it followed.
events() {
	curl -fsS "http://127.0.0.1:$PORT/metrics" | awk '/^docker_shaper_events_total/ { n += $NF } END { printf "%d\n", n }'
}
command -v curl >/dev/null || apt_install curl
IMG=$(head -n 1 "$WORK/refs")
e0=$(events)
# The daemon's own count of the events the watcher follows (create, start,
# die, destroy per run), from a subscription of the docker CLI's.
docker events --filter type=container --filter event=create --filter event=start \
	--filter event=die --filter event=destroy --format '{{.Action}}' >"$WORK/events.txt" &
EVENTS_PID=$!
say "burst: $BURST container runs (docker run --rm, 8 at a time)"
s0=${EPOCHREALTIME/[.,]/}
seq 1 "$BURST" | xargs -P 8 -I{} docker run --rm --network none "$IMG" true >/dev/null
s1=${EPOCHREALTIME/[.,]/}
# Let the watcher drain what is still in flight, then count.
prev=-1
e1=$(events)
while [ "$e1" != "$prev" ]; do
	prev=$e1
	sleep 1
	e1=$(events)
done
kill "$EVENTS_PID" 2>/dev/null || true
wait "$EVENTS_PID" 2>/dev/null || true
sent=$(wc -l <"$WORK/events.txt")
followed=$((e1 - e0))
rate=$(awk -v n="$followed" -v us=$((s1 - s0)) 'BEGIN { printf "%.1f", n / (us / 1e6) }')
say "the watcher followed $followed of the daemon's $sent events in $(awk -v us=$((s1 - s0)) 'BEGIN { printf "%.1f", us / 1e6 }')s"
printf 'watcher: events followed per second during a burst of %d container runs|%s events/s (%d of %d)|-|-|every event|%s\n' \
	"$BURST" "$rate" "$followed" "$sent" "$([ "$followed" -ge "$sent" ] && echo met || echo "NOT met")" >>"$ROWS"
kill -TERM "$WATCH_PID"
wait "$WATCH_PID" || die "the watcher did not exit cleanly on SIGTERM"
WATCH_PID=""

# --- the engine -------------------------------------------------------------------------
say "go test -bench Evaluate: the engine (./policy/)"
go test -run '^$' -bench 'Evaluate' -benchmem ./policy/ | tee "$WORK/engine.txt" >&2
awk '/BenchmarkEvaluate\/tags=100000/ {
	for (i = 1; i <= NF; i++) { if ($i == "ns/op") ns = $(i - 1); if ($i == "B/op") by = $(i - 1) }
} END { print ns / 1e6, by / 1e6 }' "$WORK/engine.txt" | {
	read -r ms mb
	limit "Evaluate, 100,000 tags / 25,000 images / 10,000 containers: time" "$ms" ms 150
	limit "Evaluate, 100,000 tags: allocated per run" "$mb" MB 50
}

# --- the table --------------------------------------------------------------------------
{
	echo
	echo "docker-shaper benchmarks (issue 11): dockerd $(docker info --format '{{.ServerVersion}}'), $(nproc) CPUs,"
	echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); plugin binary $((plugin_size / 1024 / 1024)) MB;"
	echo "medians of $ROUNDS rounds x $SAMPLES samples (prune: $ROUNDS samples), alternated with their baselines"
	echo
	printf '| %s | %s | %s | %s | %s | %s |\n' what ours baseline ratio target met
	printf '|---|---:|---:|---:|---|---|\n'
	awk -F'|' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$ROWS"
	echo
}
