#!/usr/bin/env bats
# checkpoint/restore with CRIU, rootless and as root: the process goes on
# where it was, `/` comes back read-only with the flags it had, exec works,
# and a restore that cannot work leaves nothing behind.

load helpers

# Container IDs of their own: cgroup paths (/urun/ID) are global, and other
# suites may run beside this one.
C1=ckpt1-$$
C2=ckpt2-$$
C3=ckpt3-$$

# PID 1 here reaps orphans every ~2 s, and a cgroup with an unreaped
# process cannot be removed: the next test's $C1 would find it busy.
teardown() {
	teardown_bundle
	local i d
	for ((i = 0; i < 50; i++)); do
		d=$(find /sys/fs/cgroup -maxdepth 3 -path "*/urun/ckpt[123]-$$" -type d 2>/dev/null)
		[ -z "$d" ] && return 0
		rmdir $d 2>/dev/null || sleep 0.1
	done
}

# A read-only root, a tmpfs /tmp, and a counter appending to /tmp/log as
# USER_ID (uid:gid; additional group 10).  Rootless it is 1000:1000.  As
# root it is 0:0 where root lacks CAP_SYS_RESOURCE (some VMs' bounding
# set): criu's prlimit(2) of another user's process needs it (see
# check_rlimit_access in src/checkpoint.c).  Root on a cgroup v1 host: no
# cgroup namespace, which criu cannot dump there (urun enters v1 cgroups
# after creating it; see check_cgroup_namespace).
setup_counter() {
	setup_bundle "$@"
	requires criu
	USER_ID=1000:1000
	if [ "$URUN_MODE" = root ] && ! has_cap_sys_resource; then
		USER_ID=0:0
	fi
	update_config '.root.readonly = true
		| .process.user = {"uid": ($u | tonumber), "gid": ($g | tonumber), "additionalGids": [10]}
		| .mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
		               "options": ["nosuid", "nodev", "mode=1777"]}]' \
		--arg u "${USER_ID%:*}" --arg g "${USER_ID#*:}"
	if [ "$URUN_MODE" = root ] && [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; then
		update_config '.linux.namespaces |= map(select(.type != "cgroup"))'
	fi
	set_cmd 'i=0; while :; do i=$((i+1)); echo $i >>/tmp/log; sleep 0.1; done'
	IMAGES=$(make_host_dir images)
}

has_cap_sys_resource() {
	(( (16#$(awk '/^CapEff/ { print $2 }' /proc/self/status) >> 24) & 1 ))
}

checkpoint() {
	runtime --criu "$CRIU_BINARY" checkpoint "$@"
}

restore() {
	runtime --criu "$CRIU_BINARY" restore -d "$@"
}

# The counter's last value in container ID.
count_of() {
	runtime exec "$1" tail -n1 /tmp/log
	[ "$status" -eq 0 ] || return 1
	echo "$output"
}

# wait_count ID N: until the counter reached N (5 s at most).
wait_count() {
	local i n
	for ((i = 0; i < 50; i++)); do
		n=$(count_of "$1") && [ "${n:-0}" -ge "$2" ] && return 0
		sleep 0.1
	done
	echo "counter of $1 is \`${n:-}\` after 5 s, wanted $2" >&2
	return 1
}

# The counter went on, never restarted: /tmp/log is 1, 2, 3, ... and grows.
check_counter_continues() {
	local id=$1 before=$2 now
	now=$(count_of "$id") || return 1
	[ "$now" -ge "$before" ] || { echo "counter went back: $before -> $now" >&2; return 1; }
	wait_count "$id" $((now + 2)) || return 1
	runtime exec "$id" awk 'NR != $1 { print "line " NR ": " $0; exit 1 }' /tmp/log
	[ "$status" -eq 0 ] || { echo "/tmp/log is not 1..N: $output" >&2; return 1; }
}

# Per-mount options of `/` of process PID, as mountinfo shows them.
root_flags() {
	awk '$5 == "/" { f = $6 } END { print f }' "/proc/$1/mountinfo"
}

# check_readonly_root ID FLAGS: writing to `/` fails with EROFS and `/`
# has FLAGS.
check_readonly_root() {
	local id=$1 want=$2 pid
	runtime exec -u 0:0 "$id" touch /written-after-restore
	if [ "$status" -eq 0 ] || [[ "$stderr" != *"Read-only file system"* ]]; then
		echo "writing to / of $id did not fail with EROFS (status $status)" >&2
		return 1
	fi
	pid=$(container_pid "$id") || return 1
	[ "$(root_flags "$pid")" = "$want" ] || {
		echo "/ of $id has flags \`$(root_flags "$pid")\`, wanted \`$want\`" >&2
		return 1
	}
}

# Start $C1, checkpoint it (removing it), restore it as $C1.  Sets PID (the
# original), FLAGS (of its `/`) and BEFORE (the counter at checkpoint).
cycle_once() {
	runtime run -d "$C1"
	[ "$status" -eq 0 ]
	wait_count "$C1" 3
	PID=$(container_pid "$C1")
	FLAGS=$(root_flags "$PID")
	[[ ",$FLAGS," == *,ro,* ]]
	BEFORE=$(count_of "$C1")
	checkpoint --image-path "$IMAGES" "$C1"
	[ "$status" -eq 0 ]
	runtime state "$C1"
	[ "$status" -ne 0 ] # checkpoint without --leave-running removes it
	wait_pids_gone "$PID"
	restore --image-path "$IMAGES" "$C1"
	[ "$status" -eq 0 ]
	wait_for_state "$C1" running
}

check_restore() {
	setup_counter "$@"
	cycle_once
	[ "$(container_pid "$C1")" != "$PID" ]
	check_counter_continues "$C1" "$BEFORE"
	check_readonly_root "$C1" "$FLAGS"
	# exec inherits the config's identity; masked and read-only paths stay so
	runtime exec "$C1" sh -c 'echo "$(id -u):$(id -g)"; id -G; hostname'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$USER_ID" ]
	[[ " ${lines[1]} " == *" 10 "* ]]
	[ "${lines[2]}" = urun ]
	runtime exec -u 0:0 "$C1" sh -c 'echo 1 >/proc/sys/vm/overcommit_memory'
	[ "$status" -ne 0 ]
	runtime exec -u 0:0 "$C1" sh -c 'stat -c %t:%T /proc/keys; ls /proc/acpi | wc -l'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1:3 ] && [ "${lines[1]}" = 0 ] # /dev/null; an empty tmpfs
}

@test "checkpoint: restore goes on, read-only / with its flags, exec [rootless]" {
	check_restore --rootless
}

@test "checkpoint: restore goes on, read-only / with its flags, exec [root]" {
	check_restore
}

check_leave_running() {
	setup_counter "$@"
	runtime run -d "$C1"
	[ "$status" -eq 0 ]
	wait_count "$C1" 3
	checkpoint --leave-running --image-path "$IMAGES" "$C1"
	[ "$status" -eq 0 ]
	wait_for_state "$C1" running
	check_counter_continues "$C1" 3
	# a copy runs beside the original
	restore --image-path "$IMAGES" "$C2"
	[ "$status" -eq 0 ]
	wait_for_state "$C2" running
	check_counter_continues "$C2" 3
	check_counter_continues "$C1" 3
}

@test "checkpoint: --leave-running keeps it running; a copy restores beside it [rootless]" {
	check_leave_running --rootless
}

@test "checkpoint: --leave-running keeps it running; a copy restores beside it [root]" {
	check_leave_running
}

check_repeated_cycles() {
	setup_counter "$@"
	cycle_once
	check_counter_continues "$C1" "$BEFORE"
	local before pid
	before=$(count_of "$C1")
	pid=$(container_pid "$C1")
	# the restored container again: tmpfs options in its image must be
	# in the container's IDs, or this restore fails rootless
	rm -rf "${IMAGES:?}"/*
	checkpoint --image-path "$IMAGES" "$C1"
	[ "$status" -eq 0 ]
	wait_pids_gone "$pid"
	restore --image-path "$IMAGES" "$C1"
	[ "$status" -eq 0 ]
	wait_for_state "$C1" running
	check_counter_continues "$C1" "$before"
	check_readonly_root "$C1" "$FLAGS"
	runtime exec "$C1" stat -c %u:%g /tmp
	[ "$output" = 0:0 ] # the tmpfs root is still the container's root's
}

@test "checkpoint: checkpoint, restore, checkpoint, restore [rootless]" {
	check_repeated_cycles --rootless
}

@test "checkpoint: checkpoint, restore, checkpoint, restore [root]" {
	check_repeated_cycles
}

check_two_restores() {
	setup_counter "$@"
	runtime run -d "$C1"
	[ "$status" -eq 0 ]
	wait_count "$C1" 3
	checkpoint --image-path "$IMAGES" "$C1"
	[ "$status" -eq 0 ]
	restore --image-path "$IMAGES" "$C2"
	[ "$status" -eq 0 ]
	restore --image-path "$IMAGES" "$C3"
	[ "$status" -eq 0 ]
	wait_for_state "$C2" running
	wait_for_state "$C3" running
	[ "$(container_pid "$C2")" != "$(container_pid "$C3")" ]
	check_counter_continues "$C2" 3
	check_counter_continues "$C3" 3
}

@test "checkpoint: two restores of one image under different IDs [rootless]" {
	check_two_restores --rootless
}

@test "checkpoint: two restores of one image under different IDs [root]" {
	check_two_restores
}

# Checkpoint $C1 (removed), then break the bundle with the jq FILTER.
checkpoint_then_change() {
	runtime run -d "$C1"
	[ "$status" -eq 0 ]
	wait_count "$C1" 2
	checkpoint --image-path "$IMAGES" "$C1"
	[ "$status" -eq 0 ]
	update_config "$1"
}

@test "checkpoint: restore into a bundle with other namespaces fails cleanly [rootless]" {
	setup_counter --rootless
	checkpoint_then_change '.linux.namespaces |= map(select(.type != "ipc"))'
	restore --image-path "$IMAGES" "$C2"
	expect_error "restore \`$C2\`: config.json: linux.namespaces .* differ"
	check_nothing_left "$C2"
}

@test "checkpoint: restore into a bundle with other ID mappings fails cleanly [rootless]" {
	setup_counter --rootless
	checkpoint_then_change '.linux.uidMappings[1].size = 1000'
	restore --image-path "$IMAGES" "$C2"
	expect_error "restore \`$C2\`: config.json: linux.uidMappings .* differ"
	check_nothing_left "$C2"
}

@test "checkpoint: restore into a bundle with other namespaces fails cleanly [root]" {
	setup_counter
	checkpoint_then_change '.linux.namespaces |= map(select(.type != "ipc"))'
	restore --image-path "$IMAGES" "$C2"
	expect_error 'linux.namespaces .* differ'
	check_nothing_left "$C2"
}

@test "checkpoint: a missing or corrupt image directory is a clear error [rootless]" {
	setup_counter --rootless
	restore --image-path "$IMAGES/none" "$C2"
	expect_error "restore \`$C2\`: image directory \`.*/none\`"
	check_nothing_left "$C2"
	# urun's record without criu's images
	checkpoint_then_change .
	rm -f "$IMAGES"/inventory.img
	restore --image-path "$IMAGES" "$C2"
	expect_error 'no criu image'
	check_nothing_left "$C2"
	# criu's images, damaged
	echo '{"rootless": true' >"$IMAGES/urun.json"
	restore --image-path "$IMAGES" "$C2"
	expect_error 'invalid JSON'
	check_nothing_left "$C2"
}

@test "checkpoint: a failing criu restore leaves nothing behind [rootless]" {
	setup_counter --rootless
	checkpoint_then_change .
	rm -f "$IMAGES"/pstree.img
	restore --image-path "$IMAGES" "$C2"
	expect_error "restore \`$C2\`: criu restore.*log"
	check_nothing_left "$C2"
}

check_without_reapply() {
	setup_counter "$@"
	runtime run -d "$C1"
	[ "$status" -eq 0 ]
	wait_count "$C1" 2
	local flags
	flags=$(root_flags "$(container_pid "$C1")")
	checkpoint --image-path "$IMAGES" "$C1"
	[ "$status" -eq 0 ]
	URUN_TEST_NO_ROOTFS_FLAGS=1 restore --image-path "$IMAGES" "$C1"
	[ "$status" -eq 0 ]
	wait_for_state "$C1" running
	# what criu alone gives: a writable root (CRIU issue 2632)
	run check_readonly_root "$C1" "$flags"
	[ "$status" -ne 0 ]
}

@test "checkpoint: the read-only check fails when urun does not re-apply the flags [rootless]" {
	requires urun
	check_without_reapply --rootless
}

@test "checkpoint: the read-only check fails when urun does not re-apply the flags [root]" {
	requires urun
	check_without_reapply
}

@test "checkpoint: --pre-dump says why it cannot work without soft-dirty [rootless]" {
	requires urun
	setup_counter --rootless
	if "$CRIU_BINARY" check --feature mem_dirty_track >/dev/null 2>&1; then
		skip "this kernel tracks dirty memory"
	fi
	runtime run -d "$C1"
	[ "$status" -eq 0 ]
	checkpoint --pre-dump --image-path "$IMAGES" "$C1"
	expect_error 'CONFIG_MEM_SOFT_DIRTY'
	wait_for_state "$C1" running
}

RECVTTY="$INTEGRATION_ROOT/../../build/tests/unit/recvtty"

# start_recvtty NAME: a console socket receiver (as conmon is one) at
# $SOCKET; what the container prints goes to $BATS_TEST_TMPDIR/NAME.out.
start_recvtty() {
	SOCKET="$(make_host_dir console)/$1.sock"
	if [ "$URUN_MODE" = rootless ]; then
		as_rootless "$RECVTTY" "$SOCKET" >"$BATS_TEST_TMPDIR/$1.out" 2>&1 &
	else
		"$RECVTTY" "$SOCKET" >"$BATS_TEST_TMPDIR/$1.out" 2>&1 &
	fi
	RECVTTY_PID=$!
	track_pid "$RECVTTY_PID"
	for _ in $(seq 50); do
		[ -S "$SOCKET" ] && return 0
		sleep 0.1
	done
	echo "recvtty did not start" >&2
	return 1
}

# last_tick NAME: the last "tick N" NAME's console showed.
last_tick() {
	awk '/^tick/ { n = $2 } END { print n + 0 }' "$BATS_TEST_TMPDIR/$1.out" | tr -d '\r'
}

check_terminal() {
	setup_counter "$@"
	[ -x "$RECVTTY" ] || skip "recvtty not built (ninja -C build)"
	update_config '.process.terminal = true'
	set_cmd 'i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.1; done'
	start_recvtty first
	runtime run -d --console-socket "$SOCKET" "$C1"
	[ "$status" -eq 0 ]
	local before
	sleep 0.5
	checkpoint --image-path "$IMAGES" "$C1"
	[ "$status" -eq 0 ]
	wait_pids_gone "$RECVTTY_PID" # the pty hung up: first.out is complete
	before=$(last_tick first)
	# the pty is new: without a console socket there is nowhere to send it
	restore --image-path "$IMAGES" "$C1"
	expect_error 'the checkpoint has a terminal: give --console-socket'
	start_recvtty second
	restore --console-socket "$SOCKET" --image-path "$IMAGES" "$C1"
	[ "$status" -eq 0 ]
	wait_for_state "$C1" running
	sleep 1
	# recvtty writes what it got when the pty hangs up
	runtime kill "$C1" KILL
	wait_pids_gone "$RECVTTY_PID"
	[ "$(last_tick second)" -gt "$before" ]
	# it went on counting: the new console's first tick follows the old's last
	[ "$(awk '/^tick/ { print $2 + 0; exit }' "$BATS_TEST_TMPDIR/second.out")" -eq $((before + 1)) ]
}

@test "checkpoint: a terminal comes back on a new --console-socket [rootless]" {
	requires urun
	check_terminal --rootless
}

@test "checkpoint: a terminal comes back on a new --console-socket [root]" {
	requires urun
	check_terminal
}
