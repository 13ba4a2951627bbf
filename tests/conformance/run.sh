#!/bin/bash
# run.sh [-o OUTDIR] [-e EXPECTED] RUNTIME [PROGRAM...]
#
# Run the OCI validation suite that build.sh built (in $URUN_CONFORMANCE_DIR,
# default ${URUN_TEST_CACHE:-/tmp/urun-test-cache}/conformance) against
# RUNTIME (a path; the programs find it in $RUNTIME), as whoever runs this
# script: root, or an unprivileged user with no wrapper at all.  PROGRAMs
# are names like `default` or `linux_sysctl`; all 58 by default.
#
# Each program runs in a scratch directory holding rootfs-amd64.tar.gz and
# runtimetest, with TMPDIR inside it (the bundles go there), under
# reaper (a subreaper).  Afterwards exactly what it left behind goes:
# containers whose bundle is in that TMPDIR (`RUNTIME delete --force`),
# mounts under it, its leftover processes (by PID, through the reaper), and
# the empty cgroups the suite names (`cgrouptest`, `testdir/cgrouptest/
# container`) when they did not exist before the run.
#
# Counts: an assertion is a TAP line; `ok` lines are passed (`# SKIP` ones
# skipped), `not ok` lines failed, and a program that exits non-zero is
# errored (util.Fatal: it could not even make its assertions).  With -e, a
# failing assertion or errored program not listed in EXPECTED (see
# expected.txt) is unexpected and makes the exit status 1.  OUTDIR keeps
# each program's TAP and stderr (default: a temporary directory, removed).
set -euo pipefail

HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
SUITE=${URUN_CONFORMANCE_DIR:-${URUN_TEST_CACHE:-/tmp/urun-test-cache}/conformance}
TIMEOUT=${URUN_CONFORMANCE_TIMEOUT:-120s}
TEST_CGROUPS=(cgrouptest testdir/cgrouptest/container testdir/cgrouptest testdir)

log() {
	echo "conformance/run.sh: $*" >&2
}

# The cgroup directories the suite may create, absolute and relative to
# this process's own cgroup, in every mounted hierarchy (deepest first).
candidate_cgroups() {
	local line hier path mnt c
	while IFS= read -r line; do
		hier=${line#*:}
		path=${hier#*:}
		hier=${hier%%:*}
		hier=${hier#name=}
		if [ -z "$hier" ]; then
			mnt=$(findmnt -n -o TARGET -t cgroup2 | head -1)
		else
			mnt=/sys/fs/cgroup/${hier%%,*}
		fi
		[ -d "$mnt" ] || continue
		for c in "${TEST_CGROUPS[@]}"; do
			echo "$mnt/$c"
			[ "$path" = / ] || echo "$mnt${path%/}/$c"
		done
	done </proc/self/cgroup
}

# cleanup RUNTIME TMPDIR: what one program left (run by reaper, as -cleanup).
cleanup() {
	local runtime=$1 tmp=$2 id m c
	for id in $("$runtime" list -f json 2>/dev/null |
		jq -r --arg p "$tmp/" '.[]? | select(.bundle | startswith($p)) | .id' 2>/dev/null); do
		echo "cleanup: deleting container $id" >&2
		"$runtime" delete --force "$id" >&2 || true
	done
	# Mount points under TMPDIR, deepest first (mountinfo field 5).
	awk -v p="$tmp/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while IFS= read -r m; do
			echo "cleanup: unmounting $m" >&2
			umount -l -- "$m" || true
		done
	if [ -s "$tmp.cgroups-before" ]; then
		while IFS= read -r c; do
			if [ -d "$c" ] && ! grep -qxF -- "$c" "$tmp.cgroups-before" && rmdir -- "$c" 2>/dev/null; then
				echo "cleanup: removed cgroup $c" >&2
			fi
		done < <(candidate_cgroups)
	fi
	find "$tmp" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} + 2>/dev/null || true
}

# Print "passed failed skipped" for one TAP file.
count() {
	awk '/^ok .*# [Ss][Kk][Ii][Pp]/ { s++; next } /^ok / { p++ } /^not ok / { f++ }
		END { printf "%d %d %d\n", p, f, s }' "$1"
}

# Is this failure (program, TAP description or "errored") listed for MODE?
is_expected() {
	local file=$1 mode=$2 prog=$3 what=$4
	[ -n "$file" ] || return 1
	awk -F'\t' -v m="$mode" -v p="$prog" -v w="$what" '
		/^#/ || NF < 3 { next }
		($1 == m || $1 == "any") && $2 == p && index(w, $3) == 1 { found = 1 }
		END { exit !found }' "$file"
}

main() {
	local out="" expected="" runtime mode progs=() p
	while getopts 'o:e:' opt; do
		case $opt in
		o) out=$OPTARG ;;
		e) expected=$(readlink -f "$OPTARG") ;;
		*) exit 2 ;;
		esac
	done
	shift $((OPTIND - 1))
	[ $# -ge 1 ] || { echo "usage: run.sh [-o OUTDIR] [-e EXPECTED] RUNTIME [PROGRAM...]" >&2; exit 2; }
	runtime=$(readlink -f "$(command -v "$1")")
	shift
	mode=$([ "$(id -u)" -eq 0 ] && echo root || echo rootless)
	[ -x "$SUITE/runtimetest" ] || { log "no suite in $SUITE: run tests/conformance/build.sh"; exit 1; }
	if [ $# -gt 0 ]; then progs=("$@"); else
		for p in "$SUITE"/validation/*.t; do progs+=("$(basename "$p" .t)"); done
	fi

	local scratch
	scratch=$(mktemp -d /tmp/urun-conformance.XXXXXX)
	# The mapped root of a user-namespace test must reach the bundles.
	chmod 755 "$scratch"
	[ -n "$out" ] || out=$scratch/results
	mkdir -p "$out" "$scratch/tmp"
	RUNTIME_PATH=$runtime SCRATCH=$scratch
	trap 'cleanup "$RUNTIME_PATH" "$SCRATCH/tmp" 2>/dev/null; rm -rf -- "$SCRATCH"' EXIT
	cp "$SUITE/rootfs-amd64.tar.gz" "$SUITE/runtimetest" "$scratch/"
	candidate_cgroups | while IFS= read -r c; do
		if [ -d "$c" ]; then echo "$c"; fi
	done >"$scratch/tmp.cgroups-before"
	echo "# none" >>"$scratch/tmp.cgroups-before"

	local rc P=0 F=0 S=0 E=0 U=0 pc fc sc line desc t0
	exec > >(tee "$out/summary.txt")
	printf '%-34s %6s %6s %6s %5s %s\n' program passed failed skipped secs status
	for p in "${progs[@]}"; do
		rc=0 t0=$SECONDS
		(cd "$scratch" && TMPDIR=$scratch/tmp RUNTIME=$runtime \
			"$SUITE/reaper" -timeout "$TIMEOUT" \
			-cleanup "URUN_CONFORMANCE_CLEANUP=1 bash '$HERE/run.sh' '$runtime' '$scratch/tmp'" \
			-- "$SUITE/validation/$p.t" >"$out/$p.tap" 2>"$out/$p.stderr" </dev/null) || rc=$?
		read -r pc fc sc < <(count "$out/$p.tap")
		P=$((P + pc)) F=$((F + fc)) S=$((S + sc))
		printf '%-34s %6d %6d %6d %5d %s\n' "$p" "$pc" "$fc" "$sc" $((SECONDS - t0)) \
			"$([ $rc -eq 0 ] && echo ok || echo "errored ($rc)")"
		if [ $rc -ne 0 ]; then
			E=$((E + 1))
			if [ -n "$expected" ] && ! is_expected "$expected" "$mode" "$p" errored; then
				U=$((U + 1)); echo "  unexpected: errored: $(tail -1 "$out/$p.stderr")"
			fi
		fi
		while IFS= read -r line; do
			desc=$(sed -E 's/^not ok [0-9]+ (- )?//' <<<"$line")
			if [ -n "$expected" ] && ! is_expected "$expected" "$mode" "$p" "$desc"; then
				U=$((U + 1)); echo "  unexpected: not ok: $desc"
			fi
		done < <(grep '^not ok' "$out/$p.tap" || true)
	done
	echo "conformance $(basename "$runtime") ($mode): $P assertions passed, $F failed, $S skipped; $E of ${#progs[@]} programs errored"
	if [ -n "$expected" ]; then
		echo "conformance $(basename "$runtime") ($mode): $U unexpected (not in $(basename "$expected"))"
		[ "$U" -eq 0 ]
	fi
}

if [ "${URUN_CONFORMANCE_CLEANUP:-}" = 1 ]; then
	cleanup "$@"
else
	main "$@"
fi
