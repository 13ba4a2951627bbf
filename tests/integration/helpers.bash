#!/bin/bash
# helpers.bash: shared by every tests/integration/*.bats (`load helpers`).
#
# A test calls setup_bundle [--rootless] (fresh bundle in BATS_TEST_TMPDIR,
# sets BUNDLE and ROOT, cd's into BUNDLE), edits config.json with
# update_config, runs the runtime with `urun` (as root), `urun_rootless` (as
# the test user) or `runtime` (whichever the bundle was made for), and calls
# teardown_bundle from teardown().
#
# Environment:
#   URUN_BINARY      runtime under test (default: build/urun); runc and crun
#                    work too, to check the tests themselves
#   URUN_TEST_CACHE  where the busybox bundles are built once per run
#                    (default: /tmp/urun-test-cache)

bats_require_minimum_version 1.5.0

INTEGRATION_ROOT=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
TESTS_ROOT=$(dirname "$INTEGRATION_ROOT")
URUN=$(realpath -m "${URUN_BINARY:-$INTEGRATION_ROOT/../../build/urun}")
URUN_TEST_CACHE=${URUN_TEST_CACHE:-/tmp/urun-test-cache}
CLEAN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# The unprivileged user of rootless tests: urun-test when we are root (we
# switch to it with setpriv), else whoever runs the suite.
if [ "$EUID" -eq 0 ]; then
	ROOTLESS_USER=urun-test
else
	ROOTLESS_USER=$(id -un)
fi

# Processes a test started are listed in $BATS_TEST_TMPDIR/tracked-pids (a
# file, so that `$(container_pid ID)` in a subshell tracks too); teardown
# kills the survivors.

# ---------------------------------------------------------------------------
# Requirements

# True when the binary under test is urun (not runc or crun): for checks of
# urun's own messages and extensions.
is_urun() {
	[[ "$(basename "$URUN")" == urun* ]]
}

# Fill ROOTLESS_UID/GID and ROOTLESS_SUBUID/SUBGID (first subordinate IDs,
# as make-bundle.sh finds them); print why not and fail when the rootless
# user cannot run containers.
load_rootless_ids() {
	[ -n "${ROOTLESS_SUBUID:-}" ] && return 0
	ROOTLESS_UID=$(id -u "$ROOTLESS_USER" 2>/dev/null) || {
		echo "no user $ROOTLESS_USER (run tests/setup.sh)"
		return 1
	}
	ROOTLESS_GID=$(id -g "$ROOTLESS_USER")
	ROOTLESS_SUBUID=$(first_subid u) || {
		echo "$ROOTLESS_USER has no subordinate uids (run tests/setup.sh)"
		return 1
	}
	ROOTLESS_SUBGID=$(first_subid g) || {
		echo "$ROOTLESS_USER has no subordinate gids (run tests/setup.sh)"
		return 1
	}
	command -v newuidmap >/dev/null || {
		echo "newuidmap is missing (apt-get install uidmap)"
		return 1
	}
}

# first_subid u|g: getsubids (libsubid, knows NSS too), else /etc/sub?id.
first_subid() {
	local flag="" line
	[ "$1" = g ] && flag=-g
	if line=$(getsubids $flag "$ROOTLESS_USER" 2>/dev/null) && [ -n "$line" ]; then
		awk '{ print $3; exit }' <<<"$line"
		return
	fi
	line=$(grep -m1 "^$ROOTLESS_USER:" "/etc/sub${1}id" 2>/dev/null) || return 1
	cut -d: -f2 <<<"$line"
}

# requires REQ...: skip the test, saying why, unless every REQ is met:
# root, rootless, criu, fuse, slirp, urun (the binary under test is urun),
# or a command: podman, crun, runc, tmux.
requires() {
	local req why
	for req in "$@"; do
		case $req in
		root)
			[ "$EUID" -eq 0 ] || skip "test requires root"
			;;
		rootless)
			why=$(load_rootless_ids) || skip "test requires rootless: $why"
			load_rootless_ids
			;;
		criu)
			CRIU_BINARY=$(find_criu) ||
				skip "test requires criu 4.0+ (tests/setup.sh builds it into /opt/urun-criu)"
			;;
		fuse)
			[ -c /dev/fuse ] && [ "$(stat -c %a /dev/fuse)" = 666 ] ||
				skip "test requires /dev/fuse with mode 666 (run tests/setup.sh)"
			command -v fuse-overlayfs >/dev/null || skip "test requires fuse-overlayfs"
			;;
		slirp)
			[ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" = 666 ] ||
				skip "test requires /dev/net/tun with mode 666 (run tests/setup.sh)"
			find_slirp >/dev/null || skip "test requires urun-slirp or slirp4netns"
			;;
		podman | crun | runc | tmux)
			command -v "$req" >/dev/null || skip "test requires $req"
			;;
		urun)
			is_urun || skip "test checks urun's own behaviour, not $(basename "$URUN")'s"
			;;
		*)
			echo "requires: unknown requirement \`$req\`" >&2
			return 1
			;;
		esac
	done
}

# A criu of 4.0 or later (bookworm's 3.17.1 fails on recent kernels):
# $URUN_CRIU, tests/build-criu.sh's, else the one on PATH.  Tests pass it
# with `--criu "$CRIU_BINARY"`.
find_criu() {
	local p v
	for p in "${URUN_CRIU:-}" /opt/urun-criu/sbin/criu "$(command -v criu)"; do
		[ -n "$p" ] && [ -x "$p" ] || continue
		v=$("$p" --version 2>/dev/null | awk '/^Version/ { print $2 }')
		[ "${v%%.*}" -ge 4 ] 2>/dev/null && { echo "$p"; return 0; }
	done
	return 1
}

# The slirp helper: urun-slirp next to the binary under test, else slirp4netns.
find_slirp() {
	local dir
	dir=$(dirname "$URUN")
	for p in "${URUN_SLIRP:-}" "$dir/urun-slirp" "$dir/helpers/urun-slirp/urun-slirp"; do
		[ -n "$p" ] && [ -x "$p" ] && { echo "$p"; return 0; }
	done
	command -v slirp4netns
}

# ---------------------------------------------------------------------------
# Bundles

# Print the cached bundle for KIND (root or rootless), building it first when
# it is missing or older than make-bundle.sh.  flock: bats -j runs tests in
# parallel.
cached_bundle() {
	local kind=$1 dir="$URUN_TEST_CACHE/bundle" args=()
	if [ "$kind" = rootless ]; then
		dir="$URUN_TEST_CACHE/bundle-rootless-$ROOTLESS_USER"
		args=(--rootless --user "$ROOTLESS_USER")
	fi
	if ! bundle_is_fresh "$dir"; then
		mkdir -p "$URUN_TEST_CACHE"
		(
			flock 9
			if ! bundle_is_fresh "$dir"; then
				rm -rf -- "$dir"
				"$TESTS_ROOT/make-bundle.sh" "$dir" "${args[@]}" >&2 || exit 1
				if [ "$kind" = rootless ] && [ "$EUID" -eq 0 ]; then
					chown -R "$ROOTLESS_UID:$ROOTLESS_GID" "$dir"
				fi
			fi
		) 9>"$URUN_TEST_CACHE/.lock" || return 1
	fi
	echo "$dir"
}

bundle_is_fresh() {
	[ -f "$1/config.json" ] && [ -x "$1/rootfs/bin/busybox" ] &&
		! [ "$TESTS_ROOT/make-bundle.sh" -nt "$1/config.json" ]
}

# Let the rootless user reach DIR: bats makes its run directory 0700.  Only
# directories inside BATS_RUN_TMPDIR are touched.
make_traversable() {
	local dir=$1
	while [[ "$dir" == "$BATS_RUN_TMPDIR"/* || "$dir" == "$BATS_RUN_TMPDIR" ]]; do
		chmod a+rx "$dir"
		dir=$(dirname "$dir")
	done
}

# setup_bundle [--rootless]: a fresh busybox bundle for this test.
# Sets BUNDLE, ROOT (the runtime's --root) and URUN_MODE, and cd's to BUNDLE.
setup_bundle() {
	URUN_MODE=root
	if [ "${1:-}" = --rootless ]; then
		URUN_MODE=rootless
		requires rootless
	else
		requires root
	fi
	if [ ! -x "$URUN" ]; then
		echo "runtime \`$URUN\` not found: build it (ninja -C build) or set URUN_BINARY" >&2
		return 1
	fi

	BUNDLE="$BATS_TEST_TMPDIR/bundle"
	ROOT="$BATS_TEST_TMPDIR/state"
	local cache
	cache=$(cached_bundle "$URUN_MODE") || return 1
	cp -a "$cache" "$BUNDLE"
	mkdir -m 700 "$ROOT"
	if [ "$URUN_MODE" = rootless ] && [ "$EUID" -eq 0 ]; then
		chown "$ROOTLESS_UID:$ROOTLESS_GID" "$ROOT"
		make_traversable "$BATS_TEST_TMPDIR"
	fi
	cd "$BUNDLE" || return 1
}

# update_config 'jq filter' [jq args...]: edit $BUNDLE/config.json in place.
# Writing through the old inode keeps its owner (the rootless user).
update_config() {
	local new
	new=$(jq "$@" "$BUNDLE/config.json") || return 1
	printf '%s\n' "$new" >"$BUNDLE/config.json"
}

# set_cmd 'shell code': the container runs `sh -c 'shell code'`.
set_cmd() {
	update_config '.process.args = ["sh", "-c", $cmd]' --arg cmd "$1"
}

# A directory on the host that the container's user may write: owned by the
# rootless user for rootless bundles.  Prints its path.
make_host_dir() {
	local dir="$BATS_TEST_TMPDIR/$1"
	mkdir -p "$dir"
	if [ "$URUN_MODE" = rootless ] && [ "$EUID" -eq 0 ]; then
		chown "$ROOTLESS_UID:$ROOTLESS_GID" "$dir"
	fi
	echo "$dir"
}

# ---------------------------------------------------------------------------
# Running the runtime

# Run "$@" as the rootless user with a clean environment (its runtime
# directory: $ROOTLESS_XDG_RUNTIME_DIR, else /run/user/UID).
as_rootless() {
	load_rootless_ids >/dev/null || return 1
	local env=(PATH="$CLEAN_PATH" HOME="$(getent passwd "$ROOTLESS_USER" | cut -d: -f6)"
		USER="$ROOTLESS_USER" LOGNAME="$ROOTLESS_USER"
		XDG_RUNTIME_DIR="${ROOTLESS_XDG_RUNTIME_DIR:-/run/user/$ROOTLESS_UID}")
	local v
	# Sanitizer settings of the ASan pass (tests/run-all.sh) must get through.
	# So must test-only switches of urun (URUN_TEST_*) and criu's CRIU_FAULT
	# (checkpoint.bats).
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS CRIU_FAULT ${!URUN_TEST_@}; do
		[ -n "${!v:-}" ] && env+=("$v=${!v}")
	done
	if [ "$EUID" -ne 0 ]; then
		env -i "${env[@]}" "$@"
	else
		setpriv --reuid="$ROOTLESS_UID" --regid="$ROOTLESS_GID" --init-groups \
			env -i "${env[@]}" "$@"
	fi
}

# Run the runtime; its stdout and stderr go to files first and are printed
# after it exits.  A detached container keeps the runtime's stdio: with a
# pipe, bats' `run` would wait for the container to exit.
__urun_exec() {
	local as=$1 out err rc=0
	shift
	out=$(mktemp "$BATS_TEST_TMPDIR/urun-out.XXXXXX")
	err=$(mktemp "$BATS_TEST_TMPDIR/urun-err.XXXXXX")
	# The rootless user's output files are its own, as they would be
	# outside the tests: `restore` hands them to criu, which reopens them.
	if [[ "$as" == rootless* ]] && [ "$EUID" -eq 0 ]; then
		chown "$ROOTLESS_UID:$ROOTLESS_GID" "$out" "$err"
	fi
	if [ "$as" = rootless-in-cgroup ]; then
		(echo "$BASHPID" >"$URUN_CGROUP_DIR/cgroup.procs" &&
			as_rootless "$URUN" --root "$ROOT" "$@") </dev/null >"$out" 2>"$err" || rc=$?
	elif [ "$as" = rootless ]; then
		as_rootless "$URUN" --root "$ROOT" "$@" </dev/null >"$out" 2>"$err" || rc=$?
	else
		"$URUN" --root "$ROOT" "$@" </dev/null >"$out" 2>"$err" || rc=$?
	fi
	cat "$out"
	cat "$err" >&2
	rm -f -- "$out" "$err"
	return "$rc"
}

# Wrapper over bats' `run`: sets status, output (stdout) and stderr, and logs
# the command; bats shows the log only when the test fails.  Fails the test
# when a sanitizer reported an error, whatever the status.
__urun_run() {
	local as=$1
	shift
	run --separate-stderr __urun_exec "$as" "$@"
	echo "[$as] $(basename "$URUN") $* (status=$status)" >&2
	[ -n "$output" ] && echo "stdout: $output" >&2
	[ -n "$stderr" ] && echo "stderr: $stderr" >&2
	if grep -qE 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error: ' <<<"$stderr"; then
		echo "sanitizer error in $(basename "$URUN") $*" >&2
		return 1
	fi
	return 0
}

urun() {
	__urun_run root "$@"
}

urun_rootless() {
	__urun_run rootless "$@"
}

# urun_rootless_in_cgroup DIR ARGS...: urun_rootless started from inside the
# cgroup v2 directory DIR, as systemd starts a user's processes inside the
# subtree it delegates to them: moving a process between cgroups needs write
# access to cgroup.procs of their common ancestor (cgroup-v2.rst,
# "Delegation Containment").  Needs root, to put the runtime there.
urun_rootless_in_cgroup() {
	local cg=$1
	shift
	URUN_CGROUP_DIR=$cg __urun_run rootless-in-cgroup "$@"
}

# The runtime as the bundle's user: urun for setup_bundle, urun_rootless for
# setup_bundle --rootless.
runtime() {
	__urun_run "${URUN_MODE:-root}" "$@"
}

# expect_error PATTERN: the last command failed with status 1 and, for urun,
# printed one line on stderr, starting with `urun:` and matching PATTERN (ERE).
expect_error() {
	if [ "$status" -ne 1 ]; then
		echo "expected status 1, got $status" >&2
		return 1
	fi
	is_urun || return 0
	if [[ "$stderr" != urun:* ]] || [ "${#stderr_lines[@]}" -ne 1 ]; then
		echo "expected one line on stderr, starting with \`urun:\`" >&2
		return 1
	fi
	if [ -n "${1:-}" ] && ! grep -qE -- "$1" <<<"$stderr"; then
		echo "expected stderr to match \`$1\`" >&2
		return 1
	fi
}

# ---------------------------------------------------------------------------
# Container state

# The host PID of container ID's init (from `state`); tracks it.
container_pid() {
	local pid
	runtime state "$1" >/dev/null
	[ "$status" -eq 0 ] || return 1
	pid=$(jq -r .pid <<<"$output")
	track_pid "$pid"
	echo "$pid"
}

# track_pid PID: teardown kills PID if it is still the same process.
# Entries are "PID:STARTTIME", so a reused PID number is left alone.
track_pid() {
	local start
	[[ "$1" =~ ^[1-9][0-9]*$ ]] || return 0
	start=$(pid_starttime "$1") || return 0
	echo "$1:$start" >>"$BATS_TEST_TMPDIR/tracked-pids"
}

# Field 22 of /proc/PID/stat: when the process started.
pid_starttime() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	awk '{ print $20 }' <<<"$stat"
}

# pid_alive PID[:STARTTIME]: a zombie counts as gone (only not reaped yet).
pid_alive() {
	local pid=${1%%:*} start
	start=$(pid_starttime "$pid") || return 1
	[[ "$1" != *:* ]] || [ "$start" = "${1#*:}" ] || return 1
	! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null
}

# wait_for_state ID STATUS: poll `state` for up to 5 s.
wait_for_state() {
	local id=$1 want=$2 i got=""
	for ((i = 0; i < 50; i++)); do
		runtime state "$id" >/dev/null
		if [ "$status" -eq 0 ]; then
			got=$(jq -r .status <<<"$output")
			track_pid "$(jq -r .pid <<<"$output")"
			[ "$got" = "$want" ] && return 0
		fi
		sleep 0.1
	done
	echo "container $id: state is \`$got\` after 5 s, wanted \`$want\`" >&2
	return 1
}

# wait_for_trap ID: up to 5 s for the container's process to catch SIGTERM.
# WAIT_CMD's shell installs its trap a moment after `start` returns, and
# the init of a PID namespace ignores signals it has no handler for
# (pid_namespaces(7)), so a TERM sent earlier is lost.  SigCgt in
# /proc/PID/status is the caught-signal mask; SIGTERM is bit 14.
wait_for_trap() {
	local id=$1 pid i mask
	runtime state "$id"
	[ "$status" -eq 0 ] || return 1
	pid=$(jq -r .pid <<<"$output")
	for ((i = 0; i < 50; i++)); do
		mask=$(awk '/^SigCgt:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
		[ -n "$mask" ] && (((16#${mask: -4} & 16#4000) != 0)) && return 0
		sleep 0.1
	done
	echo "container $id: pid $pid has no SIGTERM handler after 5 s" >&2
	return 1
}

# wait_pids_gone PID[:STARTTIME]...: up to 5 s (PID 1 here reaps orphans every ~2 s).
wait_pids_gone() {
	local i p left
	for ((i = 0; i < 50; i++)); do
		left=""
		for p in "$@"; do
			pid_alive "$p" && left+=" $p"
		done
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "processes still alive after 5 s:$left" >&2
	return 1
}

# Mount points of this mount namespace under DIR (deepest first).
mounts_under() {
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

# Processes whose root or cwd is the bundle's rootfs or inside it.  The link
# of a pivoted root reads "/" from outside, so roots are compared by inode.
procs_in_rootfs() {
	local rootfs="$BUNDLE/rootfs"
	[ -d "$rootfs" ] || return 0
	{
		find -L /proc/[0-9]*/root -maxdepth 0 -samefile "$rootfs" 2>/dev/null
		find /proc/[0-9]*/root /proc/[0-9]*/cwd -maxdepth 0 \
			\( -lname "$rootfs" -o -lname "$rootfs/*" \) 2>/dev/null
	} | cut -d/ -f3 | sort -u
}

# check_nothing_left ID: no state dir, no mount under the bundle, no process
# inside the rootfs; waits up to 5 s for them to go away.
check_nothing_left() {
	local id=$1 i problems
	for ((i = 0; i < 50; i++)); do
		problems=""
		[ -e "$ROOT/$id" ] && problems+=" state dir $ROOT/$id;"
		[ -n "$(mounts_under "$BUNDLE")" ] && problems+=" mounts: $(mounts_under "$BUNDLE" | tr '\n' ' ');"
		local procs
		procs=$(procs_in_rootfs)
		[ -n "$procs" ] && problems+=" processes in rootfs: $(tr '\n' ' ' <<<"$procs");"
		[ -z "$problems" ] && return 0
		sleep 0.1
	done
	echo "container $id left something behind:$problems" >&2
	return 1
}

# ---------------------------------------------------------------------------
# Teardown

# Teardown goes on through failures (a sanitizer report from `delete`, say)
# so that nothing stays behind, and fails at the end.
teardown_bundle() {
	[ -n "${ROOT:-}" ] || return 0
	local id entry m failed=0
	cd "$BATS_TEST_TMPDIR" || cd / || return 1

	if [ -d "$ROOT" ] && [ -x "$URUN" ]; then
		runtime list -q || failed=1
		for id in $output; do
			runtime state "$id" || failed=1
			[ "$status" -eq 0 ] && track_pid "$(jq -r .pid <<<"$output" 2>/dev/null)"
			runtime delete --force "$id" || failed=1
		done
	fi

	local alive=()
	if [ -f "$BATS_TEST_TMPDIR/tracked-pids" ]; then
		for entry in $(sort -u "$BATS_TEST_TMPDIR/tracked-pids"); do
			if pid_alive "$entry"; then
				kill -KILL "${entry%%:*}" 2>/dev/null || true
				alive+=("$entry")
			fi
		done
		rm -f -- "$BATS_TEST_TMPDIR/tracked-pids"
	fi
	[ ${#alive[@]} -eq 0 ] || wait_pids_gone "${alive[@]}" || true

	# Never let rm walk into a mount a failed runtime left under the bundle
	# (a bind of a host directory, say).
	for m in $(mounts_under "$BATS_TEST_TMPDIR"); do
		umount -l "$m" 2>/dev/null || true
	done
	rm -rf -- "$BUNDLE" "$ROOT"
	unset BUNDLE ROOT URUN_MODE
	return "$failed"
}

# ---------------------------------------------------------------------------
# Common container commands

# An init that lives until killed and exits 0 on SIGTERM: the init of a PID
# namespace ignores signals it has no handler for.  pid_namespaces(7)
WAIT_CMD='trap "exit 0" TERM; sleep 1000 & wait'

# The container runs WAIT_CMD.
set_cmd_waiting() {
	set_cmd "$WAIT_CMD"
}

# ---------------------------------------------------------------------------
# A second unprivileged user, without subordinate IDs (userns.bats,
# check.bats): what a user on a host nobody set up for containers gets.

NORANGE_USER=urun-norange

# setup_norange_user: create urun-norange (needs root) with no range in
# /etc/subuid or /etc/subgid and a runtime directory; idempotent.  Sets
# NORANGE_UID and NORANGE_GID.  flock: bats -j runs tests in parallel.
setup_norange_user() {
	requires root
	mkdir -p "$URUN_TEST_CACHE"
	(
		flock 9
		id "$NORANGE_USER" >/dev/null 2>&1 || useradd -m -s /bin/bash "$NORANGE_USER" || exit 1
		# useradd gives a range when login.defs has SUB_UID_COUNT.
		sed -i "/^$NORANGE_USER:/d" /etc/subuid /etc/subgid
	) 9>"$URUN_TEST_CACHE/.norange-lock" || return 1
	NORANGE_UID=$(id -u "$NORANGE_USER")
	NORANGE_GID=$(id -g "$NORANGE_USER")
	mkdir -p "/run/user/$NORANGE_UID"
	chown "$NORANGE_UID:$NORANGE_GID" "/run/user/$NORANGE_UID"
	chmod 700 "/run/user/$NORANGE_UID"
}

# as_user USER CMD...: run CMD as USER with a clean environment, as
# as_rootless does for the test user (URUN_TEST_* switches pass through).
as_user() {
	local user=$1 uid gid v
	shift
	uid=$(id -u "$user") && gid=$(id -g "$user") || return 1
	local env=(PATH="$CLEAN_PATH" HOME="$(getent passwd "$user" | cut -d: -f6)"
		USER="$user" LOGNAME="$user" XDG_RUNTIME_DIR="/run/user/$uid")
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS ${!URUN_TEST_@}; do
		[ -n "${!v:-}" ] && env+=("$v=${!v}")
	done
	setpriv --reuid="$uid" --regid="$gid" --init-groups env -i "${env[@]}" "$@"
}

__urun_exec_as() {
	local user=$1 out err rc=0
	shift
	out=$(mktemp "$BATS_TEST_TMPDIR/urun-out.XXXXXX")
	err=$(mktemp "$BATS_TEST_TMPDIR/urun-err.XXXXXX")
	as_user "$user" "$URUN" --root "$ROOT" "$@" </dev/null >"$out" 2>"$err" || rc=$?
	cat "$out"
	cat "$err" >&2
	rm -f -- "$out" "$err"
	return "$rc"
}

# urun_as USER ARGS...: the runtime as USER (with --root $ROOT), like `urun`:
# sets status, output and stderr, and logs the command.
urun_as() {
	local user=$1
	shift
	run --separate-stderr __urun_exec_as "$user" "$@"
	echo "[$user] $(basename "$URUN") $* (status=$status)" >&2
	[ -n "$output" ] && echo "stdout: $output" >&2
	[ -n "$stderr" ] && echo "stderr: $stderr" >&2
	if grep -qE 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error: ' <<<"$stderr"; then
		echo "sanitizer error in $(basename "$URUN") $*" >&2
		return 1
	fi
	return 0
}

# give_bundle_to USER: hand $BUNDLE and $ROOT (of setup_bundle --rootless) to
# USER; teardown_norange gives them back.
give_bundle_to() {
	chown -R "$(id -u "$1"):$(id -g "$1")" "$BUNDLE" "$ROOT"
}

# teardown_norange: delete what urun-norange left, give the bundle back to
# the rootless user, then teardown_bundle.
teardown_norange() {
	local id
	if [ -n "${ROOT:-}" ] && [ -d "$ROOT" ] && [ "$(stat -c %U "$ROOT")" = "$NORANGE_USER" ]; then
		urun_as "$NORANGE_USER" list -q
		for id in $output; do
			urun_as "$NORANGE_USER" delete --force "$id"
		done
		chown -R "$ROOTLESS_UID:$ROOTLESS_GID" "$BUNDLE" "$ROOT"
	fi
	teardown_bundle
}
