#!/bin/bash
# run.sh [-o OUTDIR] [-e EXPECTED] RUNTIME [PROGRAM...]
#
# Run the OCI validation suite that build.sh built (in $URUN_CONFORMANCE_DIR,
# default ${URUN_TEST_CACHE:-/tmp/urun-test-cache}/conformance) against
# RUNTIME (a path; the programs find it in $RUNTIME), as whoever runs this
# script: root, or an unprivileged user with no wrapper at all.  PROGRAMs
# are names like `default` or `linux_sysctl`; all 58 by default.
#
# Each program runs in a scratch directory of its own holding
# rootfs-amd64.tar.gz and runtimetest, with TMPDIR inside it (the bundles go
# there), under reaper (a subreaper).  Afterwards exactly what it left
# behind goes: containers whose bundle is in that TMPDIR (`RUNTIME delete
# --force`), mounts under it, its leftover processes (by PID, through the
# reaper), and for the programs that use them, the empty cgroups the suite
# names (`cgrouptest`, `testdir/cgrouptest/container`) when they did not
# exist before the run.
#
# The programs mostly wait (they poll once a second), so $URUN_CONFORMANCE_JOBS
# (default 3) run at once.  Those that use the suite's fixed cgroup paths
# (CGROUP_PROGRAMS) take turns among themselves, as one job.  Results are
# printed in the programs' order.
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
JOBS=${URUN_CONFORMANCE_JOBS:-3}
TEST_CGROUPS=(cgrouptest testdir/cgrouptest/container testdir/cgrouptest testdir)
# The programs that create TEST_CGROUPS (their Go sources name them).
CGROUP_PROGRAMS='^(linux_cgroups_.*|delete_resources|delete_only_create_resources)$'


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

# cleanup RUNTIME TMPDIR [BEFORE]: what one program left (run by reaper, as
# -cleanup); BEFORE lists the cgroups that existed before the run, for a
# program of CGROUP_PROGRAMS.
cleanup() {
	local runtime=$1 tmp=$2 before=${3:-} id m c
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
	if [ -n "$before" ] && [ -s "$before" ]; then
		while IFS= read -r c; do
			if [ -d "$c" ] && ! grep -qxF -- "$c" "$before" && rmdir -- "$c" 2>/dev/null; then
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

# run_program PROGRAM BEFORE: PROGRAM in a scratch directory of its own
# (under $scratch); $out/PROGRAM.tap, .stderr and .rc ("STATUS SECONDS").
# BEFORE: see cleanup.
run_program() {
	local p=$1 before=$2 dir=$scratch/$1 rc=0 t0=$SECONDS
	mkdir -p "$dir/tmp"
	chmod 755 "$dir"
	ln "$scratch/rootfs-amd64.tar.gz" "$scratch/runtimetest" "$dir/" 2>/dev/null ||
		cp "$scratch/rootfs-amd64.tar.gz" "$scratch/runtimetest" "$dir/"
	(cd "$dir" && TMPDIR=$dir/tmp RUNTIME=$runtime \
		"$SUITE/reaper" -timeout "$TIMEOUT" \
		-cleanup "URUN_CONFORMANCE_CLEANUP=1 bash '$HERE/run.sh' '$runtime' '$dir/tmp' '$before'" \
		-- "$SUITE/validation/$p.t" >"$out/$p.tap" 2>"$out/$p.stderr" </dev/null) || rc=$?
	echo "$rc $((SECONDS - t0))" >"$out/$p.rc"
}

# unexpected EXPECTED MODE PROGRAM RC OUT: the failures of PROGRAM that
# EXPECTED does not list, a line each.
unexpected() {
	local expected=$1 mode=$2 p=$3 rc=$4 out=$5 line desc
	if [ "$rc" -ne 0 ] && ! is_expected "$expected" "$mode" "$p" errored; then
		echo "errored: $(tail -1 "$out/$p.stderr")"
	fi
	while IFS= read -r line; do
		desc=$(sed -E 's/^not ok [0-9]+ (- )?//' <<<"$line")
		is_expected "$expected" "$mode" "$p" "$desc" || echo "not ok: $desc"
	done < <(grep '^not ok' "$out/$p.tap" || true)
}

# cleanup_all RUNTIME SCRATCH: after an interruption, what every program
# left.
cleanup_all() {
	local d
	for d in "$2"/*/tmp; do
		[ -d "$d" ] && cleanup "$1" "$d" "$2/cgroups-before" 2>/dev/null
	done
	return 0
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
	mkdir -p "$out"
	RUNTIME_PATH=$runtime SCRATCH=$scratch
	trap 'cleanup_all "$RUNTIME_PATH" "$SCRATCH"; rm -rf -- "$SCRATCH"' EXIT
	cp "$SUITE/rootfs-amd64.tar.gz" "$SUITE/runtimetest" "$scratch/"
	candidate_cgroups | while IFS= read -r c; do
		if [ -d "$c" ]; then echo "$c"; fi
	done >"$scratch/cgroups-before"
	echo "# none" >>"$scratch/cgroups-before"

	local cgroup_progs=() other_progs=()
	for p in "${progs[@]}"; do
		if [[ $p =~ $CGROUP_PROGRAMS ]]; then cgroup_progs+=("$p"); else other_progs+=("$p"); fi
	done
	# One job takes the cgroup programs in turn; the others run JOBS at a
	# time beside it.
	(for p in "${cgroup_progs[@]}"; do
		run_program "$p" "$scratch/cgroups-before"
	done) &
	for p in "${other_progs[@]}"; do
		while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
		run_program "$p" "" &
	done
	wait

	local P=0 F=0 S=0 E=0 U=0 pc fc sc rc secs
	exec > >(tee "$out/summary.txt")
	printf '%-34s %6s %6s %6s %5s %s\n' program passed failed skipped secs status
	for p in "${progs[@]}"; do
		read -r rc secs <"$out/$p.rc"
		read -r pc fc sc < <(count "$out/$p.tap")
		P=$((P + pc)) F=$((F + fc)) S=$((S + sc))
		printf '%-34s %6d %6d %6d %5d %s\n' "$p" "$pc" "$fc" "$sc" "$secs" \
			"$([ "$rc" -eq 0 ] && echo ok || echo "errored ($rc)")"
		[ "$rc" -eq 0 ] || E=$((E + 1))
		[ -n "$expected" ] || continue
		while IFS= read -r line; do
			U=$((U + 1)); echo "  unexpected: $line"
		done < <(unexpected "$expected" "$mode" "$p" "$rc" "$out")
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
