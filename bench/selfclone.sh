#!/bin/bash
# bench/selfclone.sh [OUT_DIR]: what the self-protection (src/selfclone.c)
# adds to a rootless `urun run` of /bin/true.
#
# One hyperfine run (-N --warmup 10 --runs 100) of the same rootless bundle
# with the protection on (URUN_SELFCLONE=auto: rootless, that is the sealed
# memfd copy and a re-exec) and off (URUN_SELFCLONE=off), both through
# env(1) so that both pay the same extra exec.  Prints both medians, the
# added milliseconds (difference of the medians; target <= 0.3 ms), the added
# CPU time (less noisy on a busy host) and which clone the protected run used.  OUT_DIR, if given, receives hyperfine.json.
#
# Run as root (it switches to urun-test, see tests/setup.sh) or as the
# rootless user itself.  Environment: URUN_BINARY (default build/urun).
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

# cmd MODE: the measured command line, with its own state dir.
cmd() {
	echo "env URUN_SELFCLONE=$1 $URUN --root $WORK/root-$1 run --bundle $WORK/bundle bench"
}

# The clone the protected run uses, from its --debug lines.
clone_used() {
	as_user env URUN_SELFCLONE=auto "$URUN" --debug --root "$WORK/root-auto" \
		run --bundle "$WORK/bundle" bench-debug 2>&1 >/dev/null |
		sed -n 's/^urun: debug: selfclone: //p'
}

main() {
	local out=${1:-} json median_on median_off mode argv
	URUN=$(realpath "${URUN_BINARY:-$REPO/build/urun}")
	[ -x "$URUN" ] || die "no urun at \`$URUN\`: build it (ninja -C build)"
	command -v hyperfine >/dev/null || die "hyperfine is missing: run tests/setup.sh"
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
	mkdir -m 700 "$WORK/root-auto" "$WORK/root-off"
	[ "$(id -u)" -eq 0 ] && chown -R "$BENCH_UID:$BENCH_GID" "$WORK"

	for mode in auto off; do
		read -ra argv <<<"$(cmd "$mode")"
		as_user "${argv[@]}" </dev/null >/dev/null || die "trial run with URUN_SELFCLONE=$mode failed"
	done
	json="$WORK/hyperfine.json"
	as_user hyperfine -N --warmup 10 --runs 100 --export-json "$json" \
		-n protected "$(cmd auto)" -n unprotected "$(cmd off)" >&2

	median_on=$(jq -r '.results[] | select(.command == "protected") | .median * 1000' "$json")
	median_off=$(jq -r '.results[] | select(.command == "unprotected") | .median * 1000' "$json")
	printf 'protected (URUN_SELFCLONE=auto):  median %.3f ms\n' "$median_on"
	printf 'unprotected (URUN_SELFCLONE=off): median %.3f ms\n' "$median_off"
	printf 'added by the clone: %.3f ms (target <= 0.3 ms)\n' \
		"$(awk -v a="$median_on" -v b="$median_off" 'BEGIN { print a - b }')"
	# CPU time suffers less than wall time from other load on the host.
	printf 'added CPU time (user + system, means): %.3f ms\n' "$(jq -r '
		[.results[] | {(.command): ((.user + .system) * 1000)}] | add
		| .protected - .unprotected' "$json")"
	echo "protected run, as $BENCH_USER, $(nproc) CPUs, kernel $(uname -r):"
	clone_used | sed 's/^/  /'
	if [ -n "$out" ]; then
		mkdir -p "$out"
		cp "$json" "$out/"
	fi
}

main "$@"
