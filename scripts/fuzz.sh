#!/usr/bin/env bash
# scripts/fuzz.sh: run the fuzz targets of the policy package, one at a
# time (go test runs one fuzz target per invocation).
#
#   scripts/fuzz.sh                      every target for 10s
#   FUZZTIME=60s scripts/fuzz.sh         every target for 60s (or 10m, 2h, or
#                                        an exec count such as 100000x)
#   scripts/fuzz.sh FuzzRefGlob ...      only the named targets
#
# A finding stops that target: go test prints it and writes the input to
# policy/testdata/fuzz/<Target>/, where plain `go test ./policy/` replays it
# from then on. The script runs the remaining targets and exits 1 if any
# target found something. See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-10s}
if [ $# -gt 0 ]; then
	targets=("$@")
else
	mapfile -t targets < <(go test -list '^Fuzz' ./policy/ | grep '^Fuzz')
fi
[ ${#targets[@]} -gt 0 ] || { echo "fuzz.sh: no fuzz targets found" >&2; exit 1; }

# A backstop on wall-clock time: the fuzzing coordinator has no timeout of
# its own, so an input that hangs a worker could hang the run.
seconds() {
	case $1 in
	*s) echo "${1%s}" ;;
	*m) echo $(( ${1%m} * 60 )) ;;
	*h) echo $(( ${1%h} * 3600 )) ;;
	*) echo "" ;;
	esac
}
limit=$(seconds "$fuzztime")
backstop=()
if [ -n "$limit" ] && command -v timeout >/dev/null; then
	backstop=(timeout --signal=INT --kill-after=30s "$(( limit + 300 ))")
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
summary=()
for t in "${targets[@]}"; do
	printf '==> %s for %s\n' "$t" "$fuzztime" >&2
	if "${backstop[@]}" go test -run='^$' -fuzz="^${t}\$" -fuzztime="$fuzztime" ./policy/ >"$log" 2>&1; then
		result=ok
	else
		result=FOUND
		status=1
	fi
	execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
	tail -n 3 "$log" >&2
	if [ "$result" = FOUND ]; then
		grep -E 'Failing input written to|go test -run=|--- FAIL|failure while testing|_test.go:' "$log" >&2 || cat "$log" >&2
	fi
	summary+=("$(printf '%-20s %-6s %s execs in %s' "$t" "$result" "${execs:-?}" "$fuzztime")")
done
printf '\n' >&2
printf '%s\n' "${summary[@]}"
exit "$status"
