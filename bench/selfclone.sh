#!/bin/bash
# bench/selfclone.sh [OUT_DIR]: what the self-protection (src/selfclone.c)
# adds to a rootless `urun run` of /bin/true.
#
# Four variants of the same rootless bundle: the default (URUN_SELFCLONE=
# auto: the remap kind, mappings and exe link re-made from a detached
# read-only mount clone in the container's user namespace, no copy, no
# re-exec), the anonymous copy (anon), the re-exec from a sealed memfd copy
# that was the default before (memfd), and no protection (off), all through
# env(1) so that all pay the same extra exec.
#
# This VM drifts by milliseconds over a minute, more than the differences
# measured, so the runs interleave: ROUNDS (default 100) hyperfine runs of
# -N --warmup 1 --runs 8, the order of the variants rotated each round, and
# the medians taken over the times of all rounds. Prints the medians, the
# milliseconds each protection adds (difference of the medians; target
# <= 0.3 ms), the added CPU time (less noisy on a busy host) and which clone
# the default used. OUT_DIR, if given, receives each round's JSON.
#
# URUN_BASELINE=PATH adds a second binary (an earlier build) with and
# without protection to the same rounds, to compare a change with what it
# changes: the figures of one binary move by 0.1 ms between runs here.
#
# Run as root (it switches to urun-test, see tests/setup.sh) or as the
# rootless user itself.  Environment: URUN_BINARY (default build/urun),
# URUN_BASELINE, ROUNDS.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_USER=urun-test
CLEAN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

die() {
	echo "selfclone.sh: $*" >&2
	exit 1
}

# Run "$@" as the bench user with a clean environment.
as_user() {
	local env=(PATH="$CLEAN_PATH" HOME="$WORK" USER="$BENCH_USER"
		XDG_RUNTIME_DIR="/run/user/$BENCH_UID")
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid="$BENCH_UID" --regid="$BENCH_GID" --init-groups env -i "${env[@]}" "$@"
	else
		env -i "${env[@]}" "$@"
	fi
}

make_bench_bundle() {
	"$REPO/tests/make-bundle.sh" "$WORK/bundle" --rootless --user "$BENCH_USER" >&2
	jq '.process.args = ["/bin/true"] | .process.terminal = false | .ociVersion = "1.0.2"' \
		"$WORK/bundle/config.json" >"$WORK/config.tmp"
	mv "$WORK/config.tmp" "$WORK/bundle/config.json"
}

# cmd MODE: the measured command line, with its own state dir; MODE
# base-KIND is the baseline binary with URUN_SELFCLONE=KIND.
cmd() {
	local bin=$URUN kind=$1
	if [[ $kind == base-* ]]; then
		bin=$BASELINE kind=${kind#base-}
	fi
	echo "env URUN_SELFCLONE=$kind $bin --root $WORK/root-$1 run --bundle $WORK/bundle bench"
}

# The clone the protected run uses, from its --debug lines.
clone_used() {
	as_user env URUN_SELFCLONE=auto "$URUN" --debug --root "$WORK/root-auto" \
		run --bundle "$WORK/bundle" bench-debug 2>&1 >/dev/null |
		sed -n 's/^urun: debug: selfclone: //p'
}

MODES=(auto anon memfd off)

# median_ms MODE: the median over every round's times of MODE, in ms.
median_ms() {
	jq -s -r --arg n "$1" '[.[].results[] | select(.command == $n) | .times[]] | sort
		| (if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end) * 1000' \
		"$WORK"/round-*.json
}

# cpu_ms MODE: the mean CPU time (user + system) of MODE, in ms.
cpu_ms() {
	jq -s -r --arg n "$1" '[.[].results[] | select(.command == $n) | (.user + .system)]
		| add / length * 1000' "$WORK"/round-*.json
}

# round N: one hyperfine run, the variants' order rotated by N.
round() {
	local n=$1 i mode args=()
	for ((i = 0; i < ${#MODES[@]}; i++)); do
		mode=${MODES[(i + n) % ${#MODES[@]}]}
		args+=(-n "$mode" "$(cmd "$mode")")
	done
	as_user hyperfine -N --warmup 1 --runs 8 --export-json "$WORK/round-$n.json" "${args[@]}" >/dev/null
}

main() {
	local out=${1:-} mode argv n off
	URUN=$(realpath "${URUN_BINARY:-$REPO/build/urun}")
	[ -x "$URUN" ] || die "no urun at \`$URUN\`: build it (ninja -C build)"
	command -v hyperfine >/dev/null || die "hyperfine is missing: run tests/setup.sh"
	if [ -n "${URUN_BASELINE:-}" ]; then
		BASELINE=$(realpath "$URUN_BASELINE")
		[ -x "$BASELINE" ] || die "no urun at \`$URUN_BASELINE\` (URUN_BASELINE)"
		MODES+=(base-auto base-off)
	fi
	if [ "$(id -u)" -eq 0 ]; then
		BENCH_UID=$(id -u "$BENCH_USER" 2>/dev/null) || die "no user $BENCH_USER: run tests/setup.sh"
		BENCH_GID=$(id -g "$BENCH_USER")
	else
		BENCH_USER=$(id -un) BENCH_UID=$(id -u) BENCH_GID=$(id -g)
	fi

	WORK=$(mktemp -d /tmp/urun-bench-selfclone.XXXXXX)
	trap 'rm -rf -- "$WORK"' EXIT
	chmod 755 "$WORK"
	make_bench_bundle
	for mode in "${MODES[@]}"; do
		mkdir -m 700 "$WORK/root-$mode"
	done
	[ "$(id -u)" -eq 0 ] && chown -R "$BENCH_UID:$BENCH_GID" "$WORK"

	for mode in "${MODES[@]}"; do
		read -ra argv <<<"$(cmd "$mode")"
		as_user "${argv[@]}" </dev/null >/dev/null || die "trial run with URUN_SELFCLONE=$mode failed"
	done
	for ((n = 0; n < ${ROUNDS:-100}; n++)); do
		round "$n"
	done

	for mode in "${MODES[@]}"; do
		off=off
		[[ $mode == base-* ]] && off=base-off
		printf 'URUN_SELFCLONE=%-9s median %7.3f ms, added %6.3f ms, added CPU %6.3f ms\n' "$mode" \
			"$(median_ms "$mode")" "$(awk -v a="$(median_ms "$mode")" -v b="$(median_ms "$off")" 'BEGIN { print a - b }')" \
			"$(awk -v a="$(cpu_ms "$mode")" -v b="$(cpu_ms "$off")" 'BEGIN { print a - b }')"
	done
	[ -n "${BASELINE:-}" ] && echo "(base-*: $BASELINE)"
	echo "(target: auto adds <= 0.3 ms; $((${ROUNDS:-100} * 8)) runs each, as $BENCH_USER, $(nproc) CPUs, kernel $(uname -r))"
	echo "the default's clone:"
	clone_used | sed 's/^/  /'
	if [ -n "$out" ]; then
		mkdir -p "$out"
		cp "$WORK"/round-*.json "$out/"
	fi
}

main "$@"
