#!/bin/bash
# run.sh [-t SECONDS] [-b BUILD_DIR] [TARGET...]
#
# Build the libFuzzer harnesses (meson -Dfuzz=true with clang, ASan+UBSan,
# linking the static urun-core) and run each for SECONDS (default 30) from
# the seed corpus in tests/fuzz/corpus/<target>.  Prints TAP, one test
# point per target; a crash, leak, timeout or sanitizer report fails it and
# its input is kept in $URUN_FUZZ_OUT (default /tmp/urun-fuzz), with the
# command that reproduces it.  The corpus grows in $URUN_FUZZ_OUT/corpus
# (seeds merged in each run): tests/fuzz/corpus holds only the seeds.
# TARGETs are spec seccomp process state idmap mount-options signal.
#
# By hand, longer:  tests/fuzz/run.sh -t 3600 spec
set -euo pipefail

HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
REPO=$(cd "$HERE/../.." && pwd)
SECONDS_EACH=30
BUILD=$REPO/build-fuzz
OUT=${URUN_FUZZ_OUT:-/tmp/urun-fuzz}
ALL=(spec seccomp process state idmap mount-options signal)

# Inputs larger than this are not tried (podman's profile is 13 KiB).
max_len() {
	case $1 in
	signal) echo 64 ;;
	mount-options) echo 1024 ;;
	*) echo 32768 ;;
	esac
}

build() {
	local targets=() t
	for t in "$@"; do targets+=("tests/fuzz/fuzz-$t"); done
	if [ ! -d "$BUILD/meson-private" ]; then
		CC=clang meson setup "$BUILD" -Dfuzz=true -Db_sanitize=address,undefined \
			-Db_lundef=false >"$OUT/meson-setup.log" 2>&1 ||
			{ cat "$OUT/meson-setup.log" >&2; return 1; }
	fi
	# Only the harnesses and what they link: the other programs need not
	# build with clang.
	ninja -C "$BUILD" "${targets[@]}" >"$OUT/ninja.log" 2>&1 ||
		{ tail -40 "$OUT/ninja.log" >&2; return 1; }
}

# run_one N TARGET: one TAP line.
run_one() {
	local n=$1 t=$2 corpus=$OUT/corpus/$2 log=$OUT/$2.log dict=() rc=0 stats
	mkdir -p "$corpus" "$OUT/artifacts/$t"
	cp -n "$HERE/corpus/$t"/* "$corpus/" 2>/dev/null || true
	case $t in signal | mount-options) ;; *) dict=(-dict="$HERE/json.dict") ;; esac
	ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$BUILD/tests/fuzz/fuzz-$t" "${dict[@]}" -max_total_time="$SECONDS_EACH" \
		-max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$OUT/artifacts/$t/" "$corpus" >"$log" 2>&1 || rc=$?
	stats=$(awk '/stat::number_of_executed_units/ { r = $2 } /stat::peak_rss_mb/ { m = $2 }
		/^#[0-9]+.*cov: / { for (i = 1; i <= NF; i++) if ($i == "cov:") c = $(i + 1) }
		END { printf "%s runs, cov %s, %s MB", r, c, m }' "$log")
	if [ "$rc" -eq 0 ]; then
		echo "ok $n - fuzz-$t: ${SECONDS_EACH}s, $stats, corpus $(ls "$corpus" | wc -l)"
	else
		echo "not ok $n - fuzz-$t: exit status $rc ($stats)"
		grep -E 'ERROR|SUMMARY|Test unit written|runtime error' "$log" | head -5 | sed 's/^/# /'
		echo "# reproduce: $BUILD/tests/fuzz/fuzz-$t $(ls -t "$OUT/artifacts/$t"/* 2>/dev/null | head -1)"
	fi
	[ "$rc" -eq 0 ]
}

main() {
	local opt targets n=0 failed=0 t
	while getopts 't:b:' opt; do
		case $opt in
		t) SECONDS_EACH=$OPTARG ;;
		b) BUILD=$(readlink -m "$OPTARG") ;;
		*) exit 2 ;;
		esac
	done
	shift $((OPTIND - 1))
	targets=("$@")
	[ ${#targets[@]} -gt 0 ] || targets=("${ALL[@]}")
	mkdir -p "$OUT"
	echo "1..${#targets[@]}"
	if ! build "${targets[@]}"; then
		for t in "${targets[@]}"; do n=$((n + 1)); echo "not ok $n - fuzz-$t: build failed"; done
		exit 1
	fi
	for t in "${targets[@]}"; do
		n=$((n + 1))
		run_one "$n" "$t" || failed=$((failed + 1))
	done
	[ "$failed" -eq 0 ]
}

main "$@"
