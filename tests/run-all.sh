#!/bin/bash
# run-all.sh: everything CI checks, as root on a fresh Debian bookworm.
#
#   1. tests/setup.sh (packages, test user, bundle)
#   2. build/: meson setup, ninja, meson test (unit tests), bats (integration)
#   3. (root) the OCI validation suite, root and rootless (tests/conformance),
#      its programs several at a time; meanwhile, niced, in the background:
#      the build-asan/ build (ASan+UBSan) and build-fuzz/, each libFuzzer
#      harness for $URUN_FUZZ_SECONDS (default 5: a smoke test; long runs are
#      by hand, tests/fuzz/run.sh -t 300)
#   4. the core integration files (ASAN_FILES) with URUN_BINARY=build-asan/urun
#
# Counts passed/failed/skipped over the unit tests (meson's TAP results) and
# the bats TAP output, prints the reasons of skipped tests, and ends with the
# line `N passed, N failed, N skipped`.  Exits non-zero when anything failed.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"

# One line per result: "PASS name", "FAIL name", "SKIP name: reason".
RESULTS=$(mktemp /tmp/urun-results.XXXXXX)
trap 'rm -f -- "$RESULTS"' EXIT

# Each section's header carries the seconds since the start, so a CI log
# shows where the time goes.
section() {
	printf '\n=== %s (at %d s)\n' "$*" "$SECONDS"
}

record() {
	echo "$*" >>"$RESULTS"
}

# Turn TAP on stdin into result lines; PREFIX names the pass.  Meson's log is
# fed through too, each test's TAP after a "#@meson NAME RESULT RC" header:
# a test without TAP lines counts by its result, and exit 77 (tap.h's skip)
# counts as a skip, whatever meson says.
tap_to_results() {
	awk -v prefix="$1" '
	function finish() {
		if (name == "") return
		if (rc == 77 && fails == 0 && counted == 0) {
			print "SKIP " prefix name ": " (reason != "" ? reason : "exit status 77")
		} else if (counted == 0 && reason != "") {
			print "SKIP " prefix name ": " reason
		} else if (counted == 0) {
			print (result ~ /^(OK|EXPECTEDFAIL)$/ ? "PASS " : result == "SKIP" ? "SKIP " : "FAIL ") prefix name
		} else if (result !~ /^(OK|SKIP|EXPECTEDFAIL)$/ && fails == 0 && rc != 77) {
			print "FAIL " prefix name ": " result " (exit status " rc ") after its TAP lines"
		}
		name = ""
	}
	/^#@meson / {
		finish()
		name = $2; result = $3; rc = $4; counted = 0; fails = 0; reason = ""
		next
	}
	/^1\.\.0/ {
		if (match($0, /#[ \t]*[Ss][Kk][Ii][Pp][ \t]*/)) reason = substr($0, RSTART + RLENGTH)
		next
	}
	/^(not )?ok/ {
		line = $0
		ok = (line !~ /^not /)
		sub(/^(not )?ok[ \t]*[0-9]*[ \t]*(- )?/, "", line)
		directive = ""
		if (match(line, /[ \t]#[ \t]*([Ss][Kk][Ii][Pp]|[Tt][Oo][Dd][Oo])/)) {
			directive = substr(line, RSTART)
			line = substr(line, 1, RSTART - 1)
			sub(/^[ \t]*#[ \t]*/, "", directive)
		}
		sub(/ in [0-9]+ms$/, "", line)   # the duration bats --timing appends
		testname = (name != "" ? name ": " : "") line
		counted++
		if (directive != "") {
			why = directive
			sub(/^[A-Za-z]+[ \t]*/, "", why)
			print "SKIP " prefix testname ": " (why != "" ? why : directive)
		} else if (ok) {
			print "PASS " prefix testname
		} else {
			fails++
			print "FAIL " prefix testname
		}
	}
	END { finish() }
	'
}

configure() {
	local dir=$1
	shift
	if [ -d "$dir/meson-private" ]; then
		meson setup --reconfigure "$dir" "$@" || meson setup --wipe "$dir" "$@"
	else
		meson setup "$dir" "$@"
	fi
}

# build DIR [meson options]: configure and compile; records a failure if not.
build() {
	local dir=$1
	section "build $dir"
	if configure "$@" && ninja -C "$dir"; then
		return 0
	fi
	record "FAIL build $dir"
	return 1
}

unit_tests() {
	local dir=$1 prefix=$2 log="$1/meson-logs/testlog.json"
	section "unit tests ($dir)"
	rm -f -- "$log"
	meson test -C "$dir" --print-errorlogs || true
	if [ ! -f "$log" ]; then
		record "FAIL ${prefix}meson test: no $log"
		return
	fi
	jq -r '"#@meson \(.name | gsub(" "; "_")) \(.result) \(.returncode)", .stdout' "$log" |
		tap_to_results "$prefix" >>"$RESULTS"
}

# The ASan pass runs the files that exercise urun's own code paths; the
# slow end-to-end ones (podman, slirp throughput, CRIU, the self-clone loops) run in
# the plain pass only, to keep CI well under 20 minutes on 2 cores.
ASAN_FILES=(cli errors lifecycle run process mounts rootless exec hooks seccomp
	terminal userns overlay notify cgroups check network)

# bats_suite PREFIX FILES [VAR=value...]: the integration tests (FILES: a
# space-separated list of names, or "all"), with the variables.
bats_suite() {
	local prefix=$1 names=$2 tap rc=0 files=() n
	shift 2
	section "integration tests ${prefix:-(build)}"
	if [ "$names" = all ]; then
		files=(tests/integration)
	else
		for n in $names; do
			[ -f "tests/integration/$n.bats" ] && files+=("tests/integration/$n.bats")
		done
	fi
	tap=$(mktemp /tmp/urun-bats.XXXXXX)
	env "$@" bats --tap --timing "${files[@]}" | tee "$tap" || rc=$?
	tap_to_results "$prefix" <"$tap" >>"$RESULTS"
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok' "$tap"; then
		record "FAIL ${prefix}bats exited with status $rc"
	fi
	rm -f -- "$tap"
}

# conformance: the OCI validation suite (tests/conformance) as root, then as
# the rootless test user with no wrapper.  A failure not
# explained in tests/conformance/expected.txt fails the run; the counts are
# printed.
conformance() {
	local out=/tmp/urun-conformance-ci rc_root=0 rc_rootless=0
	section "OCI conformance (tests/conformance)"
	if ! bash tests/conformance/build.sh; then
		record "FAIL conformance: build of the validation suite"
		return
	fi
	rm -rf -- "$out"
	mkdir -p "$out/root" "$out/rootless"
	chmod 755 "$out"
	chown urun-test: "$out/rootless"
	# One after the other: both look at the suite's absolute cgroup paths
	# (/cgrouptest), which the root run creates.
	bash tests/conformance/run.sh -e tests/conformance/expected.txt -o "$out/root" \
		"$REPO/build/urun" >"$out/root.log" 2>&1 || rc_root=$?
	setpriv --reuid urun-test --regid urun-test --init-groups \
		env -i PATH="$PATH" HOME=/ XDG_RUNTIME_DIR=/run/user/"$(id -u urun-test)" \
		bash tests/conformance/run.sh -e tests/conformance/expected.txt -o "$out/rootless" \
		"$REPO/build/urun" >"$out/rootless.log" 2>&1 || rc_rootless=$?
	cat "$out/root.log" "$out/rootless.log"
	[ "$rc_root" -eq 0 ] && record "PASS conformance (root)" ||
		record "FAIL conformance (root): $(grep -c '^  unexpected' "$out/root.log") unexpected failures"
	[ "$rc_rootless" -eq 0 ] && record "PASS conformance (rootless)" ||
		record "FAIL conformance (rootless): $(grep -c '^  unexpected' "$out/rootless.log") unexpected failures"
}

# fuzz: each libFuzzer harness for a bounded time (tests/fuzz/run.sh).
fuzz() {
	local tap
	section "fuzzing (tests/fuzz), ${URUN_FUZZ_SECONDS:-5} s per harness"
	tap=$(mktemp /tmp/urun-fuzz.XXXXXX)
	bash tests/fuzz/run.sh -t "${URUN_FUZZ_SECONDS:-5}" | tee "$tap" || true
	tap_to_results "[fuzz] " <"$tap" >>"$RESULTS"
	grep -q '^ok' "$tap" || record "FAIL fuzz: no harness ran"
	rm -f -- "$tap"
}

summary() {
	local passed failed skipped
	passed=$(grep -c '^PASS ' "$RESULTS" || true)
	failed=$(grep -c '^FAIL ' "$RESULTS" || true)
	skipped=$(grep -c '^SKIP ' "$RESULTS" || true)
	section "summary"
	if [ "$skipped" -gt 0 ]; then
		echo "skipped:"
		sed -n 's/^SKIP /  /p' "$RESULTS"
	fi
	if [ "$failed" -gt 0 ]; then
		echo "failed:"
		sed -n 's/^FAIL /  /p' "$RESULTS"
	fi
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
}

# The sanitizer build, then the fuzzers. Exit status: the build's.
asan_build_and_fuzz() {
	local rc=0
	build build-asan -Db_sanitize=address,undefined -Db_lundef=false || rc=$?
	fuzz
	return "$rc"
}

# start_background FUNCTION: FUNCTION, niced, its output into a file that
# finish_background prints once it is done.  For CPU work beside the
# conformance suite, whose programs mostly wait (they poll once a second).
# Not beside the integration tests: niced or not, the build and the
# fuzzers made them 12% slower (CRIU, slirp and cgroups the most), more
# than the overlap saved.
start_background() {
	BG_LOG=$(mktemp /tmp/urun-background.XXXXXX)
	(renice -n 15 -p "$BASHPID" >/dev/null && "$@" >"$BG_LOG" 2>&1) &
	BG_PID=$!
}

# finish_background: wait for it, print its output; its exit status.
finish_background() {
	local rc=0
	wait "$BG_PID" || rc=$?
	cat "$BG_LOG"
	rm -f -- "$BG_LOG"
	return "$rc"
}

main() {
	section "setup"
	if [ "$(id -u)" -eq 0 ]; then
		bash tests/setup.sh || record "FAIL tests/setup.sh"
	else
		echo "not root: skipping tests/setup.sh" >&2
	fi

	if build build; then
		unit_tests build ""
		bats_suite "" all URUN_BINARY="$REPO/build/urun"
		start_background asan_build_and_fuzz
		if [ "$(id -u)" -eq 0 ]; then conformance; fi
	else
		start_background asan_build_and_fuzz
	fi

	if finish_background; then
		bats_suite "[asan] " "${ASAN_FILES[*]}" URUN_BINARY="$REPO/build-asan/urun" \
			ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	fi
	summary
}

main "$@"
