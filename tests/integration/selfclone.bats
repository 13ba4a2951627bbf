#!/usr/bin/env bats
# selfclone: before urun enters a container's namespaces it runs from a clone
# of itself that the container cannot write (src/selfclone.c; the
# CVE-2019-5736 class).
#
# The attack is real: after `urun create` the container's process is urun
# itself, blocked in the container's namespaces until `urun start`.  A process
# with the container's host uid (rootless: the test user, which container
# root maps to; as root: root) opens /proc/PID/exe O_PATH, waits until that
# urun process has exec'd the container's /bin/true and exited, reopens the
# exe through /proc/self/fd/N for writing and writes a shell script over it.
# The runtime is a copy of build/urun in a directory owned by the test user,
# as a user-installed ~/.local/bin/urun would be: without the protection
# (URUN_SELFCLONE=off) the attack replaces it.
#
# The default (auto) is the remap kind: no re-exec and no copy; every
# mapping of the binary and the exe link are re-made from a detached
# read-only clone of its mount, in urun as root and in the container's
# process, root of its user namespace, when rootless. The anon kind (no
# mount clone to be had) copies the code into anonymous memory and points
# the exe link at an empty sealed memfd.
# URUN_SELFCLONE=remap|anon|mount|legacy|memfd|tmpfile (test-only) starts urun's
# fallback chain at that step; unset is auto.

load helpers

setup() {
	requires urun
	PYTHON=$(PATH=$CLEAN_PATH command -v python3) || skip "test requires python3 (the attacker)"
	# Container IDs name cgroups: unique, so that a concurrent run of the
	# suite (delete --force c1) cannot kill our container.
	CID="selfclone-$$"
}

teardown() {
	restore_binary
	teardown_bundle
}

# ---------------------------------------------------------------------------
# Helpers of this file

# setup_selfclone [--rootless]: a bundle running /bin/true, and URUN pointed
# at a copy of the runtime in a directory owned by the test user.
setup_selfclone() {
	setup_bundle "$@"
	load_rootless_ids >/dev/null || skip "test requires the rootless user: $(load_rootless_ids)"
	update_config '.process.args = ["/bin/true"] | .process.terminal = false'
	ORIG_URUN=$URUN
	BIN_DIR="$BATS_TEST_TMPDIR/bin"
	mkdir "$BIN_DIR"
	cp "$ORIG_URUN" "$BIN_DIR/urun"
	chmod 755 "$BIN_DIR" "$BIN_DIR/urun"
	chown -R "$ROOTLESS_UID:$ROOTLESS_GID" "$BIN_DIR"
	make_traversable "$BATS_TEST_TMPDIR"
	URUN="$BIN_DIR/urun"
	BIN_SUM=$(sha256sum <"$URUN")
}

# Put the pristine binary back after an attack that worked.
restore_binary() {
	[ -n "${BIN_DIR:-}" ] && [ -n "${ORIG_URUN:-}" ] || return 0
	if [ ! -e "$BIN_DIR/urun" ] || [ "$(sha256sum <"$BIN_DIR/urun")" != "$BIN_SUM" ]; then
		cp "$ORIG_URUN" "$BIN_DIR/urun"
	fi
}

# Like helpers' __urun_exec, as the bundle's user, with URUN_SELFCLONE=$1
# (empty: auto) in the runtime's environment.
__selfclone_exec() {
	local kind=$1 out err rc=0
	shift
	out=$(mktemp "$BATS_TEST_TMPDIR/urun-out.XXXXXX")
	err=$(mktemp "$BATS_TEST_TMPDIR/urun-err.XXXXXX")
	if [ "$URUN_MODE" = rootless ]; then
		as_rootless env URUN_SELFCLONE="$kind" "$URUN" --root "$ROOT" "$@" \
			</dev/null >"$out" 2>"$err" || rc=$?
	else
		URUN_SELFCLONE="$kind" "$URUN" --root "$ROOT" "$@" </dev/null >"$out" 2>"$err" || rc=$?
	fi
	cat "$out"
	cat "$err" >&2
	rm -f -- "$out" "$err"
	return "$rc"
}

# selfclone_runtime KIND ARGS...: bats `run` of the runtime with
# URUN_SELFCLONE=KIND; logs as helpers' wrapper does.
selfclone_runtime() {
	run --separate-stderr __selfclone_exec "$@"
	echo "[$URUN_MODE] URUN_SELFCLONE=$1 urun ${*:2} (status=$status)" >&2
	[ -n "$output" ] && echo "stdout: $output" >&2
	[ -n "$stderr" ] && echo "stderr: $stderr" >&2
	if grep -qE 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error: ' <<<"$stderr"; then
		echo "sanitizer error in urun ${*:2}" >&2
		return 1
	fi
	return 0
}

# The attacker: opens /proc/PID/exe O_PATH, reports what it got, waits for
# GO to exist, then reopens the exe for writing through /proc/self/fd/N and
# writes a script over it.  Reports "write ok" or "write refused ERRNO".
write_attacker() {
	cat >"$1" <<-'EOF'
	import errno, os, sys, time
	pid, go, result = int(sys.argv[1]), sys.argv[2], sys.argv[3]
	def report(line):
	    with open(result, "a") as f:
	        f.write(line + "\n")
	fd = os.open("/proc/%d/exe" % pid, os.O_PATH)
	report("opened " + os.readlink("/proc/self/fd/%d" % fd))
	for _ in range(1000):
	    if os.path.exists(go):
	        break
	    time.sleep(0.01)
	try:
	    w = os.open("/proc/self/fd/%d" % fd, os.O_WRONLY)
	    os.write(w, b"#!/bin/sh\necho pwned\n")
	    report("write ok")
	except OSError as e:
	    report("write refused " + errno.errorcode[e.errno])
	EOF
}

# Run the attacker in the background as the container's host uid.
start_attacker() {
	local pid=$1 dir
	dir=$(make_host_dir attack)
	write_attacker "$dir/attack.py"
	chmod 644 "$dir/attack.py"
	ATTACK_GO="$dir/go" ATTACK_RESULT="$dir/result"
	if [ "$URUN_MODE" = rootless ]; then
		as_rootless "$PYTHON" "$dir/attack.py" "$pid" "$ATTACK_GO" "$ATTACK_RESULT" >"$dir/log" 2>&1 &
	else
		"$PYTHON" "$dir/attack.py" "$pid" "$ATTACK_GO" "$ATTACK_RESULT" >"$dir/log" 2>&1 &
	fi
	ATTACK_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q '^opened ' "$ATTACK_RESULT" 2>/dev/null && return 0
		kill -0 "$ATTACK_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "the attacker could not open /proc/$pid/exe: $(cat "$dir/log")" >&2
	return 1
}

# The exe link of process PID matches the clone KIND.
exe_is() {
	local pid=$1 kind=$2 exe
	exe=$(readlink "/proc/$pid/exe")
	case $kind in
	remap | mount | legacy) [ "$exe" = / ] ;; # the root of a detached mount
	memfd) [[ "$exe" == "/memfd:urun (deleted)" ]] && [ "$(stat -L -c %s "/proc/$pid/exe")" -gt 0 ] ;;
	anon) [[ "$exe" == "/memfd:urun (deleted)" ]] && [ "$(stat -L -c %s "/proc/$pid/exe")" -eq 0 ] ;;
	tmpfile) [[ "$exe" == */#*" (deleted)" ]] ;;
	off) [ "$exe" = "$URUN" ] ;;
	esac || {
		echo "exe of the container's urun is \`$exe\`, not a $kind clone" >&2
		return 1
	}
}

# attack FORCED KIND RESULT: create with URUN_SELFCLONE=FORCED, check that
# urun ran from the KIND clone (--debug and the exe link), attack, and
# expect the attacker's RESULT ("write ok" or "write refused ERRNO").
# Leaves the stderr of create in CREATE_STDERR.
attack() {
	local forced=$1 kind=$2 want=$3 pid
	selfclone_runtime "$forced" --debug create "$CID"
	[ "$status" -eq 0 ]
	CREATE_STDERR=$stderr
	if [ "$kind" = off ]; then
		grep -q "selfclone: off" <<<"$CREATE_STDERR"
	else
		grep -q "selfclone: running from the $kind clone" <<<"$CREATE_STDERR"
	fi
	pid=$(container_pid "$CID")
	exe_is "$pid" "$kind"
	if [ "$kind" = remap ] || [ "$kind" = anon ]; then
		# No mapping of the binary's path is left to reach it by.
		if grep -F "$URUN" "/proc/$pid/maps" >&2; then
			echo "the container's urun still maps $URUN" >&2
			return 1
		fi
	fi

	start_attacker "$pid"
	runtime start "$CID"
	[ "$status" -eq 0 ]
	wait_pids_gone "$pid" # it exec'd /bin/true, which exited
	touch "$ATTACK_GO"
	wait "$ATTACK_PID"
	echo "attacker: $(tr '\n' ';' <"$ATTACK_RESULT")" >&2
	grep -qx "$want" "$ATTACK_RESULT"
}

binary_unchanged() {
	[ "$(sha256sum <"$URUN")" = "$BIN_SUM" ]
}

# Not `! binary_unchanged`: bats does not fail a test on a negated command.
binary_changed() {
	[ "$(sha256sum <"$URUN")" != "$BIN_SUM" ]
}

# ---------------------------------------------------------------------------
# The attack, per clone

@test "selfclone: [root] auto: remapped in place, the attack fails (EROFS)" {
	setup_selfclone
	attack "" remap "write refused EROFS"
	[[ "$CREATE_STDERR" != *re-executing* ]]
	binary_unchanged
}

@test "selfclone: [root] anon forced: code copied in place, the attack fails (sealed, EPERM)" {
	setup_selfclone
	attack anon anon "write refused EPERM"
	[[ "$CREATE_STDERR" != *re-executing* ]]
	binary_unchanged
}

@test "selfclone: [root] mount clone: the attack fails (EROFS)" {
	setup_selfclone
	attack mount mount "write refused EROFS"
	binary_unchanged
}

@test "selfclone: [root] legacy bind clone: the attack fails (EROFS)" {
	setup_selfclone
	attack legacy legacy "write refused EROFS"
	binary_unchanged
}

@test "selfclone: [root] memfd clone: the attack fails (sealed, EPERM)" {
	setup_selfclone
	attack memfd memfd "write refused EPERM"
	binary_unchanged
}

# Root ignores the copy's mode 0500; the immutable flag stops it.
@test "selfclone: [root] tmpfile clone: the attack fails (immutable, EPERM)" {
	setup_selfclone
	attack tmpfile tmpfile "write refused EPERM"
	binary_unchanged
}

@test "selfclone: [root] off: the attack replaces the binary" {
	setup_selfclone
	attack off off "write ok"
	binary_changed
	[ "$(head -c 2 "$URUN")" = '#!' ]
}

@test "selfclone: [rootless] auto: remapped in the container's user namespace, the attack fails (EROFS)" {
	setup_selfclone --rootless
	attack "" remap "write refused EROFS"
	grep -q "selfclone: no CAP_SYS_ADMIN here: the remap clone follows in the container's user namespace" <<<"$CREATE_STDERR"
	[[ "$CREATE_STDERR" != *re-executing* ]]
	binary_unchanged
}

@test "selfclone: [rootless] anon forced: code copied in the container's user namespace, the attack fails" {
	setup_selfclone --rootless
	attack anon anon "write refused EPERM"
	[[ "$CREATE_STDERR" != *re-executing* ]]
	binary_unchanged
}

# No mount namespace: the container's process stays in the host's, where
# it may not clone a mount; the code is copied instead.
@test "selfclone: [rootless] without a mount namespace remap falls back to anon" {
	setup_selfclone --rootless
	update_config '.linux.namespaces |= map(select(.type != "mount")) | .root.readonly = false
		| .mounts = [] | .linux.maskedPaths = [] | .linux.readonlyPaths = []'
	attack "" anon "write refused EPERM"
	grep -q "selfclone: no remap clone (.*); falling back to anon" <<<"$CREATE_STDERR"
	binary_unchanged
}

# The mappings of the binary come from PROCMAP_QUERY (Linux 6.11+), else
# from the text of /proc/self/maps, which URUN_TEST_MAPS_TEXT=1 forces.
@test "selfclone: [root] auto: the mappings are found by PROCMAP_QUERY" {
	setup_selfclone
	attack "" remap "write refused EROFS"
	grep -q "selfmove: [0-9]* mappings of the binary, from PROCMAP_QUERY" <<<"$CREATE_STDERR"
	binary_unchanged
}

@test "selfclone: [root] without PROCMAP_QUERY the text of /proc/self/maps serves, the attack fails" {
	setup_selfclone
	URUN_TEST_MAPS_TEXT=1 attack "" remap "write refused EROFS"
	grep -q "selfmove: [0-9]* mappings of the binary, from the text of /proc/self/maps" <<<"$CREATE_STDERR"
	binary_unchanged
}

@test "selfclone: [rootless] without PROCMAP_QUERY the text of /proc/self/maps serves, the attack fails" {
	setup_selfclone --rootless
	URUN_TEST_MAPS_TEXT=1 attack "" remap "write refused EROFS"
	grep -q "selfmove: [0-9]* mappings of the binary, from the text of /proc/self/maps" <<<"$CREATE_STDERR"
	binary_unchanged
}

# A binary deleted while it runs, as a package upgrade leaves it:
# /proc/self/exe reads "PATH (deleted)".  urun as root clones the mount
# through its open binary; a rootless container's process would have to find
# the binary by path (it clones in its own mount namespace), so it copies
# the code instead.  The runtime is started through an fd of the deleted
# file.
run_deleted_binary() {
	local -a as=()
	[ "$URUN_MODE" = rootless ] && as=(as_rootless)
	run --separate-stderr "${as[@]}" bash -c \
		'exec 7<"$1" && rm -- "$1" && exec /proc/self/fd/7 --debug --root "$2" run "$3"' \
		sh "$URUN" "$ROOT" "$CID"
	echo "status=$status stderr: $stderr" >&2
	[ "$status" -eq 0 ]
	[ ! -e "$URUN" ]
	grep -q "selfclone: running from the $1 clone" <<<"$stderr"
	check_nothing_left "$CID"
}

@test "selfclone: [root] a binary deleted while it runs is still remapped" {
	setup_selfclone
	run_deleted_binary remap
}

@test "selfclone: [rootless] a binary deleted while it runs falls back to anon" {
	setup_selfclone --rootless
	run_deleted_binary anon
	grep -q "selfclone: no remap clone (\`/proc/self/exe\`: the binary was deleted); falling back to anon" <<<"$stderr"
}

# The CVE-2019-5736 exploit's own way in: the container's command is
# /proc/self/exe, which would run the runtime's binary inside the container.
# remap: the link leads to the binary on a mount that was never attached and
# is gone once its fd is closed; execve(2) through it finds nothing (ENOENT
# on Linux 6.18), and nothing of urun runs.
run_proc_self_exe_remap() {
	setup_selfclone "$@"
	update_config '.process.args = ["/proc/self/exe", "--version"]'
	selfclone_runtime "" run "$CID"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *'exec `/proc/self/exe`: '* ]]
	[[ "$output" != *"urun version"* ]]
	binary_unchanged
	check_nothing_left "$CID"
}

# anon: the link leads to an empty file.
run_proc_self_exe_anon() {
	setup_selfclone "$@"
	update_config '.process.args = ["/proc/self/exe"]'
	selfclone_runtime anon run "$CID"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *'exec `/proc/self/exe`: Exec format error'* ]]
	binary_unchanged
	check_nothing_left "$CID"
}

@test "selfclone: [rootless] a container running /proc/self/exe cannot run urun (remap)" {
	run_proc_self_exe_remap --rootless
}

@test "selfclone: [root] a container running /proc/self/exe cannot run urun (remap)" {
	run_proc_self_exe_remap
}

@test "selfclone: [rootless] a container running /proc/self/exe gets an empty file (anon, ENOEXEC)" {
	run_proc_self_exe_anon --rootless
}

@test "selfclone: [root] a container running /proc/self/exe gets an empty file (anon, ENOEXEC)" {
	run_proc_self_exe_anon
}

# exec joins the container's namespaces (the staged path): it remaps in a
# mount namespace of its own, made in the container's user namespace, before
# it joins the container's mount namespace and forks into its pid one.
@test "selfclone: [rootless] exec remaps in place too" {
	setup_selfclone --rootless
	update_config '.process.args = ["sleep", "60"]'
	runtime run -d "$CID"
	[ "$status" -eq 0 ]
	selfclone_runtime "" --debug exec "$CID" true
	[ "$status" -eq 0 ]
	grep -q "selfclone: running from the remap clone: /proc/self/exe is the binary on a detached read-only mount" <<<"$stderr"
	runtime delete --force "$CID"
	check_nothing_left "$CID"
}

@test "selfclone: [rootless] mount forced: falls back to memfd, the attack fails" {
	setup_selfclone --rootless
	attack mount memfd "write refused EPERM"
	grep -q "selfclone: no mount clone (.*Operation not permitted); falling back to memfd" <<<"$CREATE_STDERR"
	binary_unchanged
}

@test "selfclone: [rootless] legacy forced: falls back to memfd, the attack fails" {
	setup_selfclone --rootless
	attack legacy memfd "write refused EPERM"
	grep -q "selfclone: no legacy clone (.*Operation not permitted); falling back to memfd" <<<"$CREATE_STDERR"
	binary_unchanged
}

@test "selfclone: [rootless] memfd clone: the attack fails (sealed, EPERM)" {
	setup_selfclone --rootless
	attack memfd memfd "write refused EPERM"
	binary_unchanged
}

@test "selfclone: [rootless] tmpfile clone: the attack fails (mode 0500, EACCES)" {
	setup_selfclone --rootless
	attack tmpfile tmpfile "write refused EACCES"
	binary_unchanged
}

@test "selfclone: [rootless] off: the attack replaces the binary" {
	setup_selfclone --rootless
	attack off off "write ok"
	binary_changed
	[ "$(head -c 2 "$URUN")" = '#!' ]
}

# ---------------------------------------------------------------------------
# Nothing left behind

# What a clone could leave behind, as lines of a listing: mounts whose mount
# point or root names a legacy bind target (urun-selfclone.*) or the binary's
# directory, and entries of the directories urun may put a clone in (and of
# the state dir) that are legacy bind targets or the size of the binary.
# Other test suites may run meanwhile on this host and change /tmp and the
# mount table: what the check ignores is printed, not failed on.
clone_traces() {
	local size d
	size=$(stat -c %s "$URUN")
	awk -v bin="$BIN_DIR" '$4 ~ /urun-selfclone|\/bin\/urun$/ || $5 ~ /urun-selfclone/ || index($5, bin) == 1' \
		/proc/self/mountinfo
	for d in /tmp /var/tmp "/run/user/$ROOTLESS_UID" "$ROOT"; do
		[ -d "$d" ] || continue
		find "$d" -mindepth 1 -maxdepth 1 \( -name 'urun-selfclone.*' -o -size "${size}c" \) 2>/dev/null
	done
	find "$ROOT" -mindepth 1 2>/dev/null
}

# Everything else that changed, for the log.
scratch_listing() {
	sort /proc/self/mountinfo
	find /tmp /var/tmp "/run/user/$ROOTLESS_UID" -mindepth 1 -maxdepth 1 ! -name 'bats-run-*' 2>/dev/null | sort
}

# Runs per clone kind: a leak shows after one; twenty catch one that only
# some runs leave (a race).
RUNS_PER_KIND=20

# The counter is not `i`: bats' `run` assigns an `i` of its own.
check_repeated_runs() {
	local kinds=("$@") kind run_n before traces_before traces_after
	before=$(scratch_listing)
	traces_before=$(clone_traces | sort)
	for kind in "${kinds[@]}"; do
		for ((run_n = 0; run_n < RUNS_PER_KIND; run_n++)); do
			selfclone_runtime "$kind" run "$CID-$kind-$run_n"
			[ "$status" -eq 0 ] || return 1
		done
	done
	echo "changed meanwhile (not necessarily by urun):" >&2
	diff <(echo "$before") <(scratch_listing) >&2 || true
	traces_after=$(clone_traces | sort)
	if [ "$traces_after" != "$traces_before" ]; then
		echo "left behind by urun:" >&2
		diff <(echo "$traces_before") <(echo "$traces_after") >&2
		return 1
	fi
}

@test "selfclone: [root] 20 runs through each clone leave no mount and no file" {
	setup_selfclone
	check_repeated_runs remap anon mount legacy memfd tmpfile
}

@test "selfclone: [rootless] 20 runs through each clone leave no mount and no file" {
	setup_selfclone --rootless
	check_repeated_runs remap anon mount legacy memfd tmpfile
}

# ---------------------------------------------------------------------------
# When no clone is made, and when the chain moves on

@test "selfclone: [root] a binary on a read-only mount is run as it is" {
	setup_selfclone
	# A private mount namespace: the read-only bind never reaches the host.
	run --separate-stderr unshare -m --propagation private sh -c '
		mount --bind -o ro "$1" "$1" && shift &&
		exec "$@"' _ "$BIN_DIR" "$URUN" --debug --root "$ROOT" run "$CID" </dev/null
	echo "$stderr" >&2
	[ "$status" -eq 0 ]
	grep -q "selfclone: already protected: running from a read-only mount" <<<"$stderr"
	[[ "$stderr" != *re-executing* ]]
	check_nothing_left "$CID"
}

# vm.memfd_noexec is per PID namespace and only tightens in a child one.
@test "selfclone: [root] with vm.memfd_noexec=2 the memfd step falls back to tmpfile" {
	setup_selfclone
	[ -e /proc/sys/vm/memfd_noexec ] || skip "kernel without vm.memfd_noexec (Linux < 6.3)"
	run --separate-stderr unshare --pid --fork sh -c '
		echo 2 >/proc/sys/vm/memfd_noexec &&
		URUN_SELFCLONE=memfd exec "$@"' _ "$URUN" --debug --root "$ROOT" run "$CID" </dev/null
	echo "$stderr" >&2
	[ "$status" -eq 0 ]
	grep -q "selfclone: no memfd clone (create an executable memfd: Permission denied); falling back to tmpfile" <<<"$stderr"
	grep -q "selfclone: running from the tmpfile clone" <<<"$stderr"
	[ "$(cat /proc/sys/vm/memfd_noexec)" != 2 ]
	check_nothing_left "$CID"
}

@test "selfclone: [root] with vm.memfd_noexec=2 the anon exe link is an unlinked file" {
	setup_selfclone
	[ -e /proc/sys/vm/memfd_noexec ] || skip "kernel without vm.memfd_noexec (Linux < 6.3)"
	run --separate-stderr unshare --pid --fork sh -c '
		echo 2 >/proc/sys/vm/memfd_noexec &&
		exec env URUN_SELFCLONE=anon "$@"' _ "$URUN" --debug --root "$ROOT" run "$CID" </dev/null
	echo "$stderr" >&2
	[ "$status" -eq 0 ]
	grep -q "selfclone: running from the anon clone: /proc/self/exe is an empty unlinked file" <<<"$stderr"
	check_nothing_left "$CID"
}

@test "selfclone: verbs that enter no namespace run from the binary itself" {
	setup_selfclone --rootless
	runtime create "$CID"
	[ "$status" -eq 0 ]
	for verb in "state $CID" "list" "ps $CID"; do
		# shellcheck disable=SC2086 # "state ID": verb and argument
		selfclone_runtime "" --debug $verb
		[ "$status" -eq 0 ]
		[[ "$stderr" != *selfclone* ]]
	done
}

@test "selfclone: the re-executed urun keeps its global options" {
	setup_selfclone --rootless
	local log="$BATS_TEST_TMPDIR/state/urun.log"
	selfclone_runtime memfd --log "$log" --log-format json --debug run "$CID"
	[ "$status" -eq 0 ]
	# Written by the clone: --log, --log-format and --debug made it through.
	jq -s -e 'any(.[]; .msg == "selfclone: running from the memfd clone")' "$log"
	check_nothing_left "$CID"
}

@test "selfclone: a bad URUN_SELFCLONE is an error" {
	setup_selfclone --rootless
	selfclone_runtime bogus run "$CID"
	expect_error 'URUN_SELFCLONE: expected .* not `bogus`'
	check_nothing_left "$CID"
}
