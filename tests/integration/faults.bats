#!/usr/bin/env bats
# faults: urun killed half-way, many commands at once, a full state
# directory, containers that die or whose PID is reused.  After each fault,
# `delete --force` removes the container and nothing is left: no state dir,
# mount, process (container, urun, newuidmap, ...) or cgroup.
#
# URUN_TEST_PAUSE_AT=STAGE (src/utils.c, urun_test_pause_at) makes urun or
# the container process wait at STAGE, named `urun-paused`, until SIGCONT:
#   cgroup  urun, the cgroup made, state.json still naming it `planned`
#           (container.c, create_container)
#   userns  container process, its user namespace mapped (init.c, setup)
#   mounts  container process, rootfs set up and entered (init.c, setup)
#   hooks   urun, before the prestart/createRuntime hooks (spawn.c)
#   exec    container process, right before execve (init.c)
# Every process urun starts inherits URUN_TEST_TAG, which finds them.

load helpers

setup() {
	C1=$(fault_id)
	C2=$(fault_id)b
}

teardown() {
	local p
	# A paused process of a failed test must not wait its 60 s.
	for p in $(tagged_pids); do kill -KILL "$p" 2>/dev/null || true; done
	remove_test_cgroups
	[ -z "${FULL_TMPFS:-}" ] || umount -l "$FULL_TMPFS" 2>/dev/null || true
	teardown_bundle
}

# A container ID of this test only: cgroup names start with it.
fault_id() {
	echo "f$$-$BATS_TEST_NUMBER"
}

# PIDs of live processes whose environment has this test's URUN_TEST_TAG
# (one grep over every /proc/PID/environ).
tagged_pids() {
	local f pid
	for f in $(grep -l -s -z -x -F -- "URUN_TEST_TAG=$BATS_TEST_TMPDIR" /proc/[0-9]*/environ); do
		pid=${f#/proc/}
		pid=${pid%/environ}
		grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null || echo "$pid"
	done
}

# wait_paused: print the PID of this test's `urun-paused` process (5 s).
wait_paused() {
	local i p
	for ((i = 0; i < 50; i++)); do
		for p in $(tagged_pids); do
			[ "$(cat "/proc/$p/comm" 2>/dev/null)" = urun-paused ] && { echo "$p"; return 0; }
		done
		sleep 0.1
	done
	echo "nothing of this test reached its URUN_TEST_PAUSE_AT stage" >&2
	return 1
}

# The cgroup directories of container ID (v1 hierarchies and v2).
cgroups_of() {
	find /sys/fs/cgroup -maxdepth 5 -type d -name "$1-*" 2>/dev/null
}

# Remove what a known leak left, by exact name (deepest first).
remove_test_cgroups() {
	local d
	for d in $(cgroups_of "$(fault_id)" | sort -r); do rmdir "$d" 2>/dev/null || true; done
}

# bg_as_user CMD...: CMD in the background as the bundle's user, with this
# test's URUN_TEST_TAG (and any URUN_TEST_* in scope); sets BG_PID to CMD's
# own PID (setpriv and env exec it).
bg_as_user() {
	local env=(URUN_TEST_TAG="$BATS_TEST_TMPDIR") v
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS ${!URUN_TEST_@}; do
		[ -n "${!v:-}" ] && env+=("$v=${!v}")
	done
	if [ "$URUN_MODE" = rootless ] && [ "$EUID" -eq 0 ]; then
		setpriv --reuid="$ROOTLESS_UID" --regid="$ROOTLESS_GID" --init-groups \
			env -i PATH="$CLEAN_PATH" HOME=/ XDG_RUNTIME_DIR="/run/user/$ROOTLESS_UID" \
			"${env[@]}" "$@" </dev/null >/dev/null 2>&1 &
	else
		env "${env[@]}" "$@" </dev/null >/dev/null 2>&1 &
	fi
	BG_PID=$!
}

# urun_bg ARGS...: the runtime, so.
urun_bg() {
	bg_as_user "$URUN" --root "$ROOT" "$@"
}

# check_clean ID [cgroup]: nothing of ID left; with `cgroup`, no cgroup either.
check_clean() {
	local id=$1 i left
	check_nothing_left "$id"
	for ((i = 0; i < 50; i++)); do
		left=$(tagged_pids)
		[ -z "$left" ] && break
		sleep 0.1
	done
	if [ -n "$left" ]; then
		echo "processes of urun left: $(ps -o pid=,comm= -p "${left// /,}" | tr '\n' ' ')" >&2
		return 1
	fi
	if [ "${2:-}" = cgroup ] && [ -n "$(cgroups_of "$id")" ]; then
		echo "cgroups left: $(cgroups_of "$id" | tr '\n' ' ')" >&2
		return 1
	fi
}

# kill_at STAGE VERB: run `VERB` (create or run) with the pause at STAGE,
# SIGKILL urun there, let the paused process go on, then delete --force.
kill_at() {
	local stage=$1 verb=$2 id paused
	id=$(fault_id)
	set_cmd_waiting
	update_config '.hooks.prestart = [{"path": "/bin/true"}]'
	if [ "$stage" = exec ] && [ "$verb" = create ]; then
		# The process waits before execve once started; no urun is left
		# running then, delete --force alone has to clean up.
		URUN_TEST_PAUSE_AT=$stage URUN_TEST_TAG=$BATS_TEST_TMPDIR runtime create "$id"
		[ "$status" -eq 0 ]
		urun_bg start "$id"
	else
		URUN_TEST_PAUSE_AT=$stage urun_bg "$verb" "$id"
	fi
	paused=$(wait_paused)
	kill -KILL "$BG_PID" 2>/dev/null || true
	wait "$BG_PID" 2>/dev/null || true
	kill -CONT "$paused" 2>/dev/null || true
	runtime delete --force "$id"
	[ "$status" -eq 0 ]
	runtime state "$id"
	[ "$status" -ne 0 ]
}

# state.json is written before the cgroup is made (create_container), so
# delete --force finds everything at every stage: no cgroup is left either.
check_kill_at() {
	local stage=$1 verb=$2
	kill_at "$stage" "$verb"
	check_clean "$(fault_id)" cgroup
}

@test "faults: SIGKILL of create right after making the cgroup [root]" {
	setup_bundle
	check_kill_at cgroup create
}

@test "faults: SIGKILL of create right after making the cgroup [rootless]" {
	setup_bundle --rootless
	check_kill_at cgroup create
}

@test "faults: SIGKILL of create after the user namespace [root]" {
	setup_bundle
	check_kill_at userns create
}

@test "faults: SIGKILL of create after the user namespace [rootless]" {
	setup_bundle --rootless
	check_kill_at userns create
}

@test "faults: SIGKILL of create after the mounts [root]" {
	setup_bundle
	check_kill_at mounts create
}

@test "faults: SIGKILL of create after the mounts [rootless]" {
	setup_bundle --rootless
	check_kill_at mounts create
}

@test "faults: SIGKILL of create during the hooks [root]" {
	setup_bundle
	check_kill_at hooks create
}

@test "faults: SIGKILL of create during the hooks [rootless]" {
	setup_bundle --rootless
	check_kill_at hooks create
}

@test "faults: SIGKILL of start with the process before exec [root]" {
	setup_bundle
	check_kill_at exec create
}

@test "faults: SIGKILL of start with the process before exec [rootless]" {
	setup_bundle --rootless
	check_kill_at exec create
}

@test "faults: SIGKILL of run after the mounts [root]" {
	setup_bundle
	check_kill_at mounts run
}

@test "faults: SIGKILL of run after the mounts [rootless]" {
	setup_bundle --rootless
	check_kill_at mounts run
}

@test "faults: SIGKILL of run before exec [root]" {
	setup_bundle
	check_kill_at exec run
}

@test "faults: SIGKILL of run before exec [rootless]" {
	setup_bundle --rootless
	check_kill_at exec run
}

check_kill_exec() {
	local id paused
	id=$(fault_id)
	set_cmd_waiting
	runtime run -d "$id"
	[ "$status" -eq 0 ]
	for stage in userns exec; do
		URUN_TEST_PAUSE_AT=$stage urun_bg exec "$id" sh -c 'sleep 1000'
		paused=$(wait_paused)
		kill -KILL "$BG_PID"
		wait "$BG_PID" 2>/dev/null || true
		kill -CONT "$paused" 2>/dev/null || true
	done
	# The container is untouched: exec still works.
	runtime exec "$id" true
	[ "$status" -eq 0 ]
	runtime delete --force "$id"
	[ "$status" -eq 0 ]
	check_clean "$id" cgroup
}

@test "faults: SIGKILL of exec after the namespaces and before execve [root]" {
	setup_bundle
	check_kill_exec
}

@test "faults: SIGKILL of exec after the namespaces and before execve [rootless]" {
	setup_bundle --rootless
	check_kill_exec
}

# A create in progress is listed as "creating"; killed, it is "stopped"
# (it can never be started) and a plain delete removes it, cgroup and all.
check_half_created() {
	local id paused
	id=$(fault_id)
	set_cmd_waiting
	update_config '.hooks.prestart = [{"path": "/bin/true"}]'
	URUN_TEST_PAUSE_AT=hooks urun_bg create "$id"
	paused=$(wait_paused)
	runtime list --format json
	[ "$status" -eq 0 ]
	[ "$(jq -r --arg id "$id" '.[] | select(.id == $id) | .status' <<<"$output")" = creating ]
	if [ "$URUN_MODE" = root ]; then
		[ -n "$(cgroups_of "$id")" ]
	fi
	kill -KILL "$BG_PID"
	wait "$BG_PID" 2>/dev/null || true
	runtime state "$id"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = stopped ]
	runtime list --format json
	[ "$(jq -r --arg id "$id" '.[] | select(.id == $id) | .status' <<<"$output")" = stopped ]
	runtime start "$id"
	expect_error 'the container is stopped, not created'
	runtime delete "$id"
	[ "$status" -eq 0 ]
	runtime state "$id"
	[ "$status" -ne 0 ]
	check_clean "$id" cgroup
}

@test "faults: a create killed half-way is listed as creating, then stopped; delete removes all [root]" {
	setup_bundle
	check_half_created
}

@test "faults: a create killed half-way is listed as creating, then stopped; delete removes all [rootless]" {
	setup_bundle --rootless
	check_half_created
}

# ---------------------------------------------------------------------------
# Concurrency

@test "faults: 50 containers created, started and deleted in parallel by one user [rootless]" {
	setup_bundle --rootless
	set_cmd_waiting
	local n=50 ids=() i
	for ((i = 0; i < n; i++)); do ids+=("p$i"); done
	# Each: run -d, wait for the shell's TERM trap (see wait_for_trap),
	# kill TERM, wait for stopped, delete; all at once.
	printf '%s\n' "${ids[@]}" | URUN_TEST_TAG=$BATS_TEST_TMPDIR as_rootless xargs -P "$n" -I{} sh -c '
		"$0" --root "$1" run -d {} </dev/null >/dev/null &&
		pid=$("$0" --root "$1" state {} | sed -n "s/.*\"pid\": *\([0-9]*\).*/\1/p") &&
		for t in $(seq 100); do
			mask=$(sed -n "s/^SigCgt:[[:space:]]*//p" /proc/$pid/status)
			[ -n "$mask" ] && [ $((0x${mask#????????????} & 0x4000)) -ne 0 ] && break
			sleep 0.1
		done &&
		"$0" --root "$1" kill {} TERM &&
		for t in $(seq 40); do
			"$0" --root "$1" state {} | grep -q "\"stopped\"" && break; sleep 0.25
		done && "$0" --root "$1" delete {}' "$URUN" "$ROOT" \
		>"$BATS_TEST_TMPDIR/par.log" 2>&1 || { cat "$BATS_TEST_TMPDIR/par.log" >&2; false; }
	runtime list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	for i in "${ids[@]}"; do check_nothing_left "$i"; done
	check_clean none
}

check_concurrent_commands() {
	local id i
	id=$(fault_id)
	set_cmd_waiting
	runtime run -d "$id"
	[ "$status" -eq 0 ]
	# 20 commands at once: exec, state, ps, list, kill -0 (signal 0 tests).
	for ((i = 0; i < 20; i++)); do
		case $((i % 5)) in
		0) cmd="exec $id true" ;;
		1) cmd="state $id" ;;
		2) cmd="ps $id" ;;
		3) cmd="list" ;;
		4) cmd="exec $id sh -c exit" ;;
		esac
		echo "$cmd"
	done | if [ "$URUN_MODE" = rootless ]; then
		URUN_TEST_TAG=$BATS_TEST_TMPDIR as_rootless xargs -P 20 -I{} sh -c '"$0" --root "$1" {} >/dev/null' "$URUN" "$ROOT"
	else
		URUN_TEST_TAG=$BATS_TEST_TMPDIR xargs -P 20 -I{} sh -c '"$0" --root "$1" {} >/dev/null' "$URUN" "$ROOT"
	fi
	runtime state "$id"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = running ]
	runtime delete --force "$id"
	[ "$status" -eq 0 ]
	check_clean "$id" cgroup
}

@test "faults: 20 concurrent commands on one container [root]" {
	setup_bundle
	check_concurrent_commands
}

@test "faults: 20 concurrent commands on one container [rootless]" {
	setup_bundle --rootless
	check_concurrent_commands
}

# ---------------------------------------------------------------------------
# A full state directory

# fill FILE: write to FILE until ENOSPC.
fill() {
	dd if=/dev/zero of="$1" bs=4k 2>/dev/null || true
}

check_enospc() {
	local owner
	FULL_TMPFS="$BATS_TEST_TMPDIR/fullroot"
	mkdir -p "$FULL_TMPFS"
	mount -t tmpfs -o size=256k,mode=700 tmpfs "$FULL_TMPFS"
	[ "$URUN_MODE" = rootless ] && chown "$ROOTLESS_UID:$ROOTLESS_GID" "$FULL_TMPFS"
	ROOT=$FULL_TMPFS
	set_cmd_waiting
	runtime create "$C1"
	[ "$status" -eq 0 ]
	fill "$FULL_TMPFS/filler"

	runtime create "$C2"
	expect_error 'No space left on device'
	[ ! -e "$ROOT/c2" ]
	# The first state.json is whole: state still reads it, and start works.
	runtime state "$C1"
	[ "$status" -eq 0 ]
	jq -e .pid <<<"$output" >/dev/null
	runtime start "$C1"
	[ "$status" -eq 0 ]
	runtime state "$C1"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = running ]

	rm -f "$FULL_TMPFS/filler"
	runtime create "$C2"
	[ "$status" -eq 0 ]
	runtime delete --force "$C2"
	runtime delete --force "$C1"
	[ "$status" -eq 0 ]
	check_clean "$C1"
	check_clean "$C2"
}

@test "faults: state directory on a full tmpfs: clear error, state intact, next command works [root]" {
	setup_bundle
	check_enospc
}

@test "faults: state directory on a full tmpfs: clear error, state intact, next command works [rootless]" {
	requires root # to mount the tmpfs
	setup_bundle --rootless
	check_enospc
}

# ---------------------------------------------------------------------------
# Containers that exit, PIDs that are reused

check_exit_during_start() {
	set_cmd 'exit 3'
	runtime create "$C1"
	[ "$status" -eq 0 ]
	runtime start "$C1"
	[ "$status" -eq 0 ]
	wait_for_state "$C1" stopped
	# A second start must fail: the container is not created any more.
	runtime start "$C1"
	[ "$status" -ne 0 ]
	runtime delete "$C1"
	[ "$status" -eq 0 ]
	check_clean "$C1" cgroup
}

@test "faults: a container that exits while urun start runs [root]" {
	setup_bundle
	check_exit_during_start
}

@test "faults: a container that exits while urun start runs [rootless]" {
	setup_bundle --rootless
	check_exit_during_start
}

check_killed_before_start() {
	local pid
	set_cmd_waiting
	runtime create "$C1"
	[ "$status" -eq 0 ]
	pid=$(container_pid "$C1")
	kill -KILL "$pid"
	wait_pids_gone "$pid"
	runtime start "$C1"
	[ "$status" -ne 0 ]
	runtime state "$C1"
	[ "$(jq -r .status <<<"$output")" = stopped ]
	runtime delete "$C1"
	[ "$status" -eq 0 ]
	check_clean "$C1" cgroup
}

@test "faults: a created container killed behind urun's back: start fails, delete works [root]" {
	setup_bundle
	check_killed_before_start
}

@test "faults: a created container killed behind urun's back: start fails, delete works [rootless]" {
	setup_bundle --rootless
	check_killed_before_start
}

# The container's PID now names another process: urun must see the
# container as stopped (pidStartTime differs) and never signal the stranger.
check_pid_reused() {
	local pid stranger state
	set_cmd_waiting
	runtime run -d "$C1"
	[ "$status" -eq 0 ]
	pid=$(container_pid "$C1")
	kill -KILL "$pid"
	wait_pids_gone "$pid"
	# Forcing the kernel to hand out PID again is not possible; point the
	# state at a live stranger instead, as a reused PID would.
	bg_as_user sleep 1000
	stranger=$BG_PID
	track_pid "$stranger"
	state="$ROOT/$C1/state.json"
	jq --argjson p "$stranger" '.pid = $p' "$state" >"$state.new" && cat "$state.new" >"$state" && rm "$state.new"
	runtime state "$C1"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = stopped ]
	runtime kill "$C1" KILL
	[ "$status" -ne 0 ]
	runtime delete --force "$C1"
	[ "$status" -eq 0 ]
	pid_alive "$stranger"
	kill -KILL "$stranger"
	wait "$stranger" 2>/dev/null || true
	check_clean "$C1" cgroup
}

@test "faults: a reused container PID is never signalled [root]" {
	setup_bundle
	check_pid_reused
}

@test "faults: a reused container PID is never signalled [rootless]" {
	setup_bundle --rootless
	check_pid_reused
}

# ---------------------------------------------------------------------------
# valgrind: the parent side
#
# valgrind 3.19 does not know fsopen, fsmount, move_mount, open_tree,
# mount_setattr or openat2 (it fails them with ENOSYS), so the container
# child cannot run under it.  With --trace-children=no it still checks
# urun's own process: the verbs that never set up a container (state, list,
# delete, ps, spec, features; kill's argument errors: its signal goes
# through pidfd_send_signal(2), also missing) and the error paths of create,
# which fail before any child exists.

valgrind_urun() {
	local log="$BATS_TEST_TMPDIR/vg.$RANDOM" supp="$BATS_TEST_TMPDIR/vg.supp"
	# valgrind 3.19 checks mount(2)'s type even when it is NULL, as a bind
	# or a propagation change passes it (selfclone.c); the kernel ignores it.
	[ -f "$supp" ] || printf '%s\n' '{' '   mount-null-type' '   Memcheck:Param' \
		'   mount(type)' '   fun:mount' '}' >"$supp"
	# URUN_SELFCLONE=off: the self-clone would re-execute urun outside valgrind.
	run timeout 120 env URUN_SELFCLONE=off valgrind --trace-children=no --error-exitcode=99 \
		--leak-check=full --suppressions="$supp" \
		--errors-for-leak-kinds=definite --show-leak-kinds=definite \
		--log-file="$log" "$URUN" --root "$ROOT" "$@"
	echo "valgrind urun $* (status=$status)" >&2
	if [ "$status" -eq 99 ] || grep -q 'definitely lost: [1-9]' "$log"; then
		cat "$log" >&2
		return 1
	fi
}

@test "faults: valgrind finds no error or leak in urun's parent-side verbs [root]" {
	command -v valgrind >/dev/null || skip "test requires valgrind"
	requires urun
	setup_bundle
	set_cmd_waiting
	runtime run -d "$C1"
	[ "$status" -eq 0 ]
	valgrind_urun state "$C1"
	[ "$status" -eq 0 ]
	valgrind_urun list
	valgrind_urun list --format json
	valgrind_urun ps "$C1"
	valgrind_urun features
	valgrind_urun spec --rootless --bundle "$BATS_TEST_TMPDIR"
	# Error paths: no such container, bad config, bad signal, bad id.
	valgrind_urun state nope
	[ "$status" -eq 1 ]
	valgrind_urun kill "$C1" NOSUCHSIGNAL
	[ "$status" -eq 1 ]
	valgrind_urun create ../bad
	[ "$status" -eq 1 ]
	update_config '.process.args = [1]'
	valgrind_urun create "$C2"
	[ "$status" -eq 1 ]
	valgrind_urun delete "$C1"
	[ "$status" -eq 1 ]
	# kill sends through pidfd_send_signal(2), which valgrind 3.19 lacks.
	runtime kill "$C1" KILL
	[ "$status" -eq 0 ]
	wait_for_state "$C1" stopped
	valgrind_urun delete "$C1"
	[ "$status" -eq 0 ]
	check_clean "$C1" cgroup
}
