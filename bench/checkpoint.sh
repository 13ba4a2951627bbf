#!/bin/bash
# bench/checkpoint.sh [RUNS]: how long checkpoint + restore of the test
# container take — urun rootless, urun as root, runc as root — all with the
# same CRIU (tests/build-criu.sh's 4.1.1; runc gets it with --criu).
#
# The container is the one of tests/integration/checkpoint.bats: a
# read-only root, a tmpfs /tmp, a counter appending to /tmp/log; its stdio
# is /dev/null (which runc hands back on restore; other files it does not).  Each run: `run
# -d`, let it count, then time `checkpoint` and `restore -d` separately,
# then delete it (untimed).  Prints a markdown table of medians over RUNS
# (default 10) with the ratio of each total to runc's.  The bundles keep
# the cgroup namespace of `runc spec` (root and rootless).
#
# Run as root (tests/setup.sh first).  Environment: URUN_BINARY (default
# build/urun), RUNC_BINARY, URUN_CRIU (default /opt/urun-criu/sbin/criu),
# KINDS (a subset of "urun-rootless urun-root runc-root").
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${1:-10}
URUN=${URUN_BINARY:-$REPO/build/urun}
RUNC=${RUNC_BINARY:-$(command -v runc || echo /usr/sbin/runc)}
CRIU=${URUN_CRIU:-/opt/urun-criu/sbin/criu}
# Where the VM's hardware breakpoints never fire criu dump hangs; criu's
# FI_NO_BREAKPOINTS avoids them (see tests/integration/checkpoint.bats).
export CRIU_FAULT=${CRIU_FAULT-130}
BENCH_USER=urun-test
CLEAN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

die() {
	echo "checkpoint.sh: $*" >&2
	KEEP=1 # the images and logs, to look at
	exit 1
}

as_user() {
	setpriv --reuid="$BENCH_UID" --regid="$BENCH_GID" --init-groups \
		env -i PATH="$CLEAN_PATH" HOME="$WORK" XDG_RUNTIME_DIR="/run/user/$BENCH_UID" \
			CRIU_FAULT="$CRIU_FAULT" "$@"
}

# make_bundle DIR [--rootless]
make_bundle() {
	local dir=$1
	shift
	"$REPO/tests/make-bundle.sh" "$dir" "$@" --user "$BENCH_USER" >&2
	jq '.root.readonly = true
		| .process.args = ["sh", "-c", "i=0; while :; do i=$((i+1)); echo $i >>/tmp/log; sleep 0.1; done"]
		| .mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
		               "options": ["nosuid", "nodev", "mode=1777"]}]' "$dir/config.json" >"$dir/c.tmp"
	mv "$dir/c.tmp" "$dir/config.json"
	if [ "${1:-}" = --rootless ]; then
		chown -R "$BENCH_UID:$BENCH_GID" "$dir"
	fi
}

# rt KIND ARGS...: the runtime of KIND with its state root and criu.
rt() {
	local kind=$1
	shift
	case $kind in
	urun-rootless) as_user "$URUN" --root "$WORK/state-$kind" --criu "$CRIU" "$@" ;;
	urun-root) "$URUN" --root "$WORK/state-$kind" --criu "$CRIU" "$@" ;;
	runc-root) "$RUNC" --root "$WORK/state-$kind" --criu "$CRIU" "$@" ;;
	esac
}

bundle_of() {
	[ "$1" = urun-rootless ] && echo "$WORK/bundle-rootless" || echo "$WORK/bundle-root"
}

now_ns() {
	date +%s%N
}

# cycle KIND N: one timed checkpoint and restore; appends "ckpt restore" (ms).
cycle() {
	local kind=$1 id=bench$2 img=$WORK/img-$1-$2 bundle t0 t1 t2 pid
	bundle=$(bundle_of "$kind")
	mkdir -p "$img"
	[ "$kind" = urun-rootless ] && chown "$BENCH_UID:$BENCH_GID" "$img"
	rt "$kind" run -d -b "$bundle" "$id" </dev/null >/dev/null 2>&1
	sleep 0.5
	t0=$(now_ns)
	rt "$kind" checkpoint --image-path "$img" "$id" 2>>"$WORK/stderr-$kind" ||
		die "$kind: checkpoint failed (see $WORK/stderr-$kind, $img/dump.log)"
	t1=$(now_ns)
	rt "$kind" restore -d -b "$bundle" --image-path "$img" "$id" </dev/null >/dev/null 2>&1 ||
		die "$kind: restore failed (see $img/restore.log)"
	t2=$(now_ns)
	pid=$(rt "$kind" state "$id" | jq -r .pid)
	rt "$kind" delete -f "$id" 2>/dev/null
	while [ -e "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; do
		sleep 0.05
	done
	echo "$(((t1 - t0) / 1000000)) $(((t2 - t1) / 1000000))" >>"$WORK/times-$kind"
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

report() {
	local kind c r total base=""
	[ -f "$WORK/times-runc-root" ] && base=$(awk '{ print $1 + $2 }' "$WORK/times-runc-root" | median)
	echo "| runtime | checkpoint (ms) | restore (ms) | total (ms) | total vs runc as root |"
	echo "| --- | ---: | ---: | ---: | ---: |"
	for kind in urun-rootless urun-root runc-root; do
		[ -f "$WORK/times-$kind" ] || continue
		c=$(awk '{ print $1 }' "$WORK/times-$kind" | median)
		r=$(awk '{ print $2 }' "$WORK/times-$kind" | median)
		total=$(awk '{ print $1 + $2 }' "$WORK/times-$kind" | median)
		echo "| $kind | $c | $r | $total | $(awk -v t="$total" -v b="$base" 'BEGIN { if (b) printf "%.2fx", t / b; else print "-" }') |"
	done
	echo
	echo "medians of $RUNS runs; criu $("$CRIU" --version | awk '/^Version/ { print $2 }'), $("$RUNC" --version | head -1)"
}

main() {
	[ "$(id -u)" -eq 0 ] || die "run as root"
	[ -x "$URUN" ] || die "\`$URUN\` not found (ninja -C build)"
	[ -x "$RUNC" ] || die "runc not found"
	[ -x "$CRIU" ] || die "criu not found at \`$CRIU\` (tests/build-criu.sh)"
	BENCH_UID=$(id -u "$BENCH_USER") || die "no user $BENCH_USER (tests/setup.sh)"
	BENCH_GID=$(id -g "$BENCH_USER")
	WORK=$(mktemp -d /tmp/urun-bench-checkpoint.XXXXXX)
	chmod 755 "$WORK"
	KEEP=0
	trap '[ "$KEEP" = 1 ] || rm -rf -- "$WORK"' EXIT
	make_bundle "$WORK/bundle-root"
	make_bundle "$WORK/bundle-rootless" --rootless
	mkdir -m 700 "$WORK/state-urun-rootless" "$WORK/state-urun-root" "$WORK/state-runc-root"
	chown "$BENCH_UID:$BENCH_GID" "$WORK/state-urun-rootless"
	local i kind
	for ((i = 0; i < RUNS; i++)); do
		for kind in ${KINDS:-urun-rootless urun-root runc-root}; do
			cycle "$kind" "$i"
		done
	done
	report
}

main "$@"
