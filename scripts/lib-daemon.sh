# scripts/lib-daemon.sh: a throwaway Docker daemon for scripts (bash).
#
# Sourced by scripts/test.sh and scripts/bench.sh (and whatever else needs a
# daemon of its own). It never touches the machine's own daemon: it starts a
# dockerd in a fresh temporary directory, labelled shaper.test=1 (which the
# tests insist on before they wipe anything), and stops and removes it again.
#
#   . scripts/lib-daemon.sh
#   daemon_install            # apt-get install docker.io when dockerd is missing
#   trap 'daemon_stop' EXIT   # or call it from your own EXIT trap
#   daemon_start              # sets DAEMON_DIR, DAEMON_PID; exports DOCKER_HOST
#   ...
#   daemon_log_tail 20        # the end of the daemon's log, on stderr
#   daemon_restart CMD...     # stop it, run CMD on its stopped data root, start it again
#
# All of it needs root. Functions return non-zero (after saying why on
# stderr) instead of exiting, so the caller decides; callers run under
# `set -euo pipefail`. Messages go through `say`, which the caller may
# define; a default is provided.

if ! declare -F say >/dev/null; then
	say() { printf '==> %s\n' "$*" >&2; }
fi

DAEMON_DIR=""
DAEMON_PID=""

# apt_install PACKAGE installs a Debian package without letting it start a
# service of its own, and says how long it took.
apt_install() {
	local t=$SECONDS rc_policy="" install_status=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		rc_policy=/usr/sbin/policy-rc.d
	fi
	{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$1"; } </dev/null || install_status=$?
	[ -z "$rc_policy" ] || rm -f "$rc_policy"
	if [ "$install_status" -ne 0 ]; then
		say "installing $1 failed"
		return 1
	fi
	say "installed $1 in $((SECONDS - t))s"
}

# stop_process NAME PID stops process PID (TERM, then KILL after 20s).
stop_process() {
	local name=$1 pid=$2 i
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 40); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "$name did not stop within 20s: killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
}

# unmount_under DIR unmounts whatever is still mounted under DIR, deepest
# first.
unmount_under() {
	local m
	for m in $(awk -v d="$1" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "could not unmount $m"
	done
}

# daemon_install installs docker.io with apt-get when dockerd is missing,
# without letting the package start a system daemon of its own.
daemon_install() {
	# dockerd lives in sbin, which a root shell's PATH may lack.
	export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
	if ! command -v dockerd >/dev/null; then
		say "installing docker.io (dockerd is missing)"
		apt_install docker.io || return 1
	fi
	if ! command -v dockerd >/dev/null; then
		say "dockerd is still missing after installing docker.io"
		return 1
	fi
	if ! command -v docker >/dev/null; then
		say "the docker CLI is missing"
		return 1
	fi
}

# daemon_start starts dockerd in a new temporary directory and waits (up to
# 60s) until it answers. It sets DAEMON_DIR and DAEMON_PID, exports
# DOCKER_HOST and SHAPER_TEST_DAEMON=1, and unsets the variables that would
# point the docker CLI elsewhere.
daemon_start() {
	# Short paths: a unix socket path must stay under about 100 bytes.
	DAEMON_DIR=$(mktemp -d /tmp/shaper-XXXXXX) || return 1
	say "starting a throwaway dockerd in $DAEMON_DIR"
	export DOCKER_HOST="unix://$DAEMON_DIR/docker.sock"
	export SHAPER_TEST_DAEMON=1
	unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION
	daemon_launch
}

# daemon_launch starts dockerd in DAEMON_DIR and waits (up to 60s) until it
# answers.
daemon_launch() {
	# setsid: a ^C reaches the caller, whose trap stops the daemon in order.
	setsid dockerd \
		--host "unix://$DAEMON_DIR/docker.sock" \
		--data-root "$DAEMON_DIR/root" \
		--exec-root "$DAEMON_DIR/exec" \
		--pidfile "$DAEMON_DIR/docker.pid" \
		--iptables=false \
		--bridge=none \
		--label shaper.test=1 \
		>>"$DAEMON_DIR/dockerd.log" 2>&1 </dev/null &
	DAEMON_PID=$!

	local t=$SECONDS
	until docker info >/dev/null 2>&1; do
		if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
			say "dockerd exited; the end of its log:"
			daemon_log_tail 40
			return 1
		fi
		if [ $((SECONDS - t)) -ge 60 ]; then
			say "dockerd was not ready within 60s; the end of its log:"
			daemon_log_tail 40
			return 1
		fi
		sleep 0.5
	done
	say "dockerd $(docker info --format '{{.ServerVersion}}') ready in $((SECONDS - t))s"
}

# daemon_restart COMMAND... stops the daemon daemon_start started, keeping
# its directory, runs COMMAND while it is stopped (to edit its data root),
# and starts it again on the same directory. Its containers are stopped.
daemon_restart() {
	[ -n "$DAEMON_DIR" ] || { say "daemon_restart: no daemon"; return 1; }
	local pid=""
	[ -s "$DAEMON_DIR/docker.pid" ] && pid=$(cat "$DAEMON_DIR/docker.pid")
	stop_process dockerd "${pid:-$DAEMON_PID}"
	wait "$DAEMON_PID" 2>/dev/null || true
	"$@" || return 1
	daemon_launch
}

# daemon_log_tail N prints the last N lines of the daemon's log on stderr.
daemon_log_tail() {
	[ -n "$DAEMON_DIR" ] && [ -f "$DAEMON_DIR/dockerd.log" ] || return 0
	tail -n "${1:-20}" "$DAEMON_DIR/dockerd.log" >&2
}

# daemon_stop stops the daemon daemon_start started (TERM, then KILL after
# 20s), its containerd, unmounts what it left and removes its directory.
# It is safe to call more than once, and when nothing was started.
daemon_stop() {
	local D=$DAEMON_DIR pid="" bridges="" br
	[ -n "$D" ] || return 0
	# The bridges of the networks a failed test left: dockerd leaves their
	# interfaces on the host, holding address pools every later daemon on
	# the machine needs.
	bridges=$(DOCKER_HOST="unix://$D/docker.sock" timeout 10 docker network ls -q --filter driver=bridge 2>/dev/null) || true
	if [ -s "$D/docker.pid" ]; then
		pid=$(cat "$D/docker.pid")
	fi
	stop_process dockerd "${pid:-$DAEMON_PID}"
	if [ -n "$DAEMON_PID" ]; then
		wait "$DAEMON_PID" 2>/dev/null || true
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
	unmount_under "$D"
	rm -rf "$D" 2>/dev/null || say "could not remove $D"
	for br in $bridges; do
		ip link delete "br-$br" 2>/dev/null || true
	done
	DAEMON_DIR=""
	DAEMON_PID=""
}

# --- Podman -------------------------------------------------------------------
# A throwaway Podman service on a private socket and storage, for the pass
# of the daemon-backed tests against Podman's Docker-compatible API:
#
#   podman_install            # apt-get install podman when it is missing
#   podman_start              # sets PODMAN_DIR, PODMAN_PID, PODMAN_HOST (its DOCKER_HOST)
#   podman_stop               # removes its containers, stops it, removes everything it made
#
# Podman has no daemon labels: the file shaper.test beside its storage root
# marks it as a test daemon instead (internal/fixture.TestMarker).

PODMAN_DIR=""
PODMAN_PID=""
PODMAN_HOST=""
PODMAN_VARLIB_NEW=""

# podman_install installs Debian's podman when it is missing, without
# letting the package start a service of its own.
podman_install() {
	command -v podman >/dev/null && return 0
	say "installing podman (it is missing)"
	apt_install podman || return 1
	if ! command -v podman >/dev/null; then
		say "podman is still missing after installing it"
		return 1
	fi
}

# podman_cmd runs podman on the throwaway service's storage.
podman_cmd() {
	CONTAINERS_CONF="$PODMAN_DIR/containers.conf" podman --root "$PODMAN_DIR/root" \
		--runroot "$PODMAN_DIR/run" --storage-driver vfs "$@"
}

# podman_start starts `podman system service` in a new temporary directory
# (its storage, run root, events, volumes, networks and temporary files all
# in there) and waits (up to 60s) until it answers on its socket. It sets
# PODMAN_DIR, PODMAN_PID and PODMAN_HOST (the DOCKER_HOST that reaches it).
podman_start() {
	[ -d /var/lib/containers ] || PODMAN_VARLIB_NEW=1
	PODMAN_DIR=$(mktemp -d /tmp/shaper-pm-XXXXXX) || return 1
	local D=$PODMAN_DIR
	mkdir -p "$D/tmp" "$D/volumes" "$D/net"
	# cgroupfs: no systemd here; file events: no journald; the ulimits: the
	# machine's defaults are above what runc may set, and every container
	# start fails with a permission error on rlimits without them.
	cat >"$D/containers.conf" <<-CONF
		[containers]
		default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		events_logfile_path = "$D/events.log"
		tmp_dir = "$D/tmp"
		volume_path = "$D/volumes"
		[network]
		network_config_dir = "$D/net"
	CONF
	printf 'shaper.test=1\n' >"$D/shaper.test"
	say "starting a throwaway podman service in $D"
	setsid env CONTAINERS_CONF="$D/containers.conf" podman --root "$D/root" --runroot "$D/run" \
		--storage-driver vfs system service --time=0 "unix://$D/podman.sock" \
		>"$D/podman.log" 2>&1 </dev/null &
	PODMAN_PID=$!
	local t=$SECONDS
	until DOCKER_HOST="unix://$D/podman.sock" docker version >/dev/null 2>&1; do
		if ! kill -0 "$PODMAN_PID" 2>/dev/null; then
			say "podman exited; the end of its log:"
			tail -n 40 "$D/podman.log" >&2
			return 1
		fi
		if [ $((SECONDS - t)) -ge 60 ]; then
			say "podman was not ready within 60s; the end of its log:"
			tail -n 40 "$D/podman.log" >&2
			return 1
		fi
		sleep 0.5
	done
	say "podman $(podman --version | awk '{print $3}') ready in $((SECONDS - t))s"
	PODMAN_HOST="unix://$D/podman.sock"
}

# podman_log_tail N prints the last N lines of the service's log on stderr.
podman_log_tail() {
	[ -n "$PODMAN_DIR" ] && [ -f "$PODMAN_DIR/podman.log" ] || return 0
	tail -n "${1:-20}" "$PODMAN_DIR/podman.log" >&2
}

# podman_stop removes the service's containers (their conmon processes
# would outlive it), stops it (TERM, then KILL after 20s), unmounts what
# it left and removes its directory, and the cache podman keeps in
# /var/lib/containers when it was the one to create it. Safe to call more
# than once, and when nothing was started.
podman_stop() {
	local D=$PODMAN_DIR
	[ -n "$D" ] || return 0
	podman_cmd rm --all --force --time 0 >/dev/null 2>&1 || true
	stop_process podman "$PODMAN_PID"
	if [ -n "$PODMAN_PID" ]; then
		wait "$PODMAN_PID" 2>/dev/null || true
	fi
	unmount_under "$D"
	rm -rf "$D" 2>/dev/null || say "could not remove $D"
	[ -z "$PODMAN_VARLIB_NEW" ] || rm -rf /var/lib/containers
	PODMAN_DIR=""
	PODMAN_PID=""
	PODMAN_VARLIB_NEW=""
}
