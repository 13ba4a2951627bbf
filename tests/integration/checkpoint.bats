#!/usr/bin/env bats
# checkpoint/restore with CRIU, rootless and as root: the process goes on
# where it was, `/` comes back read-only with the flags it had, exec works,
# and a restore that cannot work leaves nothing behind.

load helpers

# On some VMs (this project's Firecracker ones among them) the hardware
# breakpoints criu plants to stop a dumped task at rt_sigreturn never fire,
# and `criu dump` waits for ever. CRIU_FAULT=130 (criu's FI_NO_BREAKPOINTS)
# makes it trace the syscall instead: slower by a little, right everywhere.
# criu inherits urun's environment through libcriu.
export CRIU_FAULT=${CRIU_FAULT-130}

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
		d=$(find /sys/fs/cgroup -maxdepth 3 \( -path "*/urun/ckpt[123]-$$" -o -path "*/urun/ckpt[123]-$$-*" \) \
			-type d 2>/dev/null)
		[ -z "$d" ] && return 0
		rmdir $d 2>/dev/null || sleep 0.1
	done
}

# A read-only root, a tmpfs /tmp, and a counter appending to /tmp/log as
# USER_ID (uid:gid; additional group 10), with the bundle's namespaces
# (runc spec's: a cgroup namespace too).  Rootless it is 1000:1000.  As
# root it is 0:0 where root lacks CAP_SYS_RESOURCE (some VMs' bounding
# set): criu's prlimit(2) of another user's process needs it (see
# check_rlimit_access in src/checkpoint.c) — unless USERNS=1, which gives
# the root container a user namespace (0 -> 100000, 65536 IDs), where root
# has every capability, and 1000:1000; its counter then puts its stdio on
# /dev/null, as criu reopens stdio files as the container's user on restore
# and the tests' are root's 0600 files (see the test of that below).
setup_counter() {
	setup_bundle "$@"
	requires criu
	USER_ID=1000:1000
	if [ "$URUN_MODE" = root ] && [ "${USERNS:-0}" = 1 ]; then
		update_config '.linux.namespaces += [{"type": "user"}]
			| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
			| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
		make_traversable "$BUNDLE" # for the container's root, host uid 100000
		[ "${USERNS_STDIO:-null}" = null ] && COUNTER_PREFIX='exec </dev/null >/dev/null 2>&1; '
	elif [ "$URUN_MODE" = root ] && ! has_cap_sys_resource; then
		USER_ID=0:0
	fi
	update_config '.root.readonly = true
		| .process.user = {"uid": ($u | tonumber), "gid": ($g | tonumber), "additionalGids": [10]}
		| .mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
		               "options": ["nosuid", "nodev", "mode=1777"]}]' \
		--arg u "${USER_ID%:*}" --arg g "${USER_ID#*:}"
	set_cmd "${COUNTER_PREFIX:-}"'i=0; while :; do i=$((i+1)); echo $i >>/tmp/log; sleep 0.1; done'
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

# delete ID leaves nothing: no state, mounts, processes, nor (root) cgroup.
check_delete() {
	local id=$1 pid
	pid=$(container_pid "$id")
	runtime delete --force "$id"
	[ "$status" -eq 0 ]
	wait_pids_gone "$pid"
	check_nothing_left "$id"
	if [ "$URUN_MODE" = root ]; then
		[ -z "$(find /sys/fs/cgroup -maxdepth 3 -path "*/urun/$id-*" -type d)" ]
	fi
}

@test "checkpoint: a user namespace, processes as 1000:1000 [root]" {
	USERNS=1 check_restore
	runtime exec "$C1" cat /proc/self/uid_map
	[ "$(awk '{ print $1, $2, $3 }' <<<"$output")" = "0 100000 65536" ]
	# the host sees the container's 1000 as 101000
	[ "$(awk '/^Uid:/ { print $2 }' "/proc/$(container_pid "$C1")/status")" = 101000 ]
	check_delete "$C1"
}

@test "checkpoint: a user namespace, stdio files its user cannot open: restore says why [root]" {
	requires urun
	USERNS=1 USERNS_STDIO=files setup_counter
	runtime run -d "$C1"
	[ "$status" -eq 0 ]
	wait_count "$C1" 2
	checkpoint --image-path "$IMAGES" "$C1"
	[ "$status" -eq 0 ]
	# the restoring urun's stdout and stderr: root's, mode 0600
	restore --image-path "$IMAGES" "$C1"
	expect_error "^urun: restore \`$C1\`: criu reopens the container's stdio files as the container's user, who may not open one of them \(give the container pipes, a terminal, or files that user may open\): criu restore: Can't open file fd/[0-9]+ on restore: .*\(log: "
	check_nothing_left "$C1"
	[ -z "$(find /sys/fs/cgroup -maxdepth 3 -path "*/urun/$C1-*" -type d)" ]
}

# Processes of another user with no user namespace: criu needs
# CAP_SYS_RESOURCE to read their rlimits.  Without it (this VM), checkpoint
# says so before criu runs and leaves the container running, the image
# directory empty; `runc checkpoint` fails there too, in criu's dump.log.
@test "checkpoint: processes as 1000:1000 without a user namespace: works, or says why [root]" {
	setup_counter
	update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10]}'
	runtime run -d "$C1"
	[ "$status" -eq 0 ]
	wait_count "$C1" 2
	checkpoint --image-path "$IMAGES" "$C1"
	if has_cap_sys_resource; then
		[ "$status" -eq 0 ]
		restore --image-path "$IMAGES" "$C1"
		[ "$status" -eq 0 ]
		wait_for_state "$C1" running
	else
		expect_error "^urun: checkpoint \`$C1\`: criu cannot read the rlimits of the container's pid [0-9]+ \(prlimit\(2\)\): it runs as uid 1000 gid 1000, not 0:0, and this system's capability bounding set lacks CAP_SYS_RESOURCE \(see \`urun check\`\); run the container's processes as 0:0, or give it a user namespace$"
		[ -z "$(ls -A "$IMAGES")" ]
		wait_for_state "$C1" running
	fi
	check_counter_continues "$C1" 2
	check_delete "$C1"
}

# The container's cgroups as the host sees them (not name=systemd, where
# urun makes none), and its mount points under /sys/fs/cgroup with their
# filesystem types (once each: rootless, /sys and /sys/fs/cgroup are both
# recursive binds of the host's, and criu brings back one copy of what is
# covered).
host_cgroups() {
	grep -v ':name=' "/proc/$1/cgroup" | cut -d: -f2- | sort
}

cgroup_mounts() {
	runtime exec "$1" cat /proc/self/mountinfo
	[ "$status" -eq 0 ] || return 1
	awk '$5 ~ "^/sys/fs/cgroup" { print $5, $(NF - 2) }' <<<"$output" | sort -u
}

# In its cgroup namespace the container is at `/` in every hierarchy.
check_cgroup_root() {
	local pid
	pid=$(container_pid "$1") || return 1
	[ "$(readlink "/proc/$pid/ns/cgroup")" != "$(readlink /proc/self/ns/cgroup)" ] || {
		echo "$1 has no cgroup namespace" >&2
		return 1
	}
	runtime exec "$1" cat /proc/self/cgroup
	[ "$status" -eq 0 ] || return 1
	[ "$(cut -d: -f3 <<<"$output" | sort -u)" = / ] || {
		echo "$1 does not see / as its cgroup: $output" >&2
		return 1
	}
}

check_cgroup_namespace() {
	setup_counter "$@"
	jq -e '.linux.namespaces | any(.type == "cgroup")' "$BUNDLE/config.json"
	runtime run -d "$C1"
	[ "$status" -eq 0 ]
	wait_count "$C1" 2
	local pid cgroups mounts before
	pid=$(container_pid "$C1")
	check_cgroup_root "$C1"
	cgroups=$(host_cgroups "$pid")
	if [ "$URUN_MODE" = root ]; then
		# every hierarchy (v1 and the hybrid host's cgroup2) is the container's
		! grep -v "/urun/$C1-" <<<"$cgroups"
	fi
	mounts=$(cgroup_mounts "$C1")
	grep -qx '/sys/fs/cgroup/memory cgroup' <<<"$mounts"
	before=$(count_of "$C1")
	checkpoint --image-path "$IMAGES" "$C1"
	[ "$status" -eq 0 ]
	wait_pids_gone "$pid"
	restore --image-path "$IMAGES" "$C1"
	[ "$status" -eq 0 ]
	wait_for_state "$C1" running
	check_counter_continues "$C1" "$before"
	check_cgroup_root "$C1"
	# the same ID: the same cgroups; /sys/fs/cgroup with all its mounts
	[ "$(host_cgroups "$(container_pid "$C1")")" = "$cgroups" ]
	[ "$(cgroup_mounts "$C1")" = "$mounts" ]
	check_delete "$C1"
}

@test "checkpoint: the cgroup namespace comes back rooted at the container's cgroups [rootless]" {
	check_cgroup_namespace --rootless
}

@test "checkpoint: the cgroup namespace comes back rooted at the container's cgroups [root]" {
	check_cgroup_namespace
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

# A restore killed after its state.json and its cgroup exist, before criu
# runs (the pause point `restore`): it lists as stopped, and delete removes
# the state and every cgroup, as after a create killed there (faults.bats).
check_killed_restore() {
	setup_counter "$@"
	checkpoint_then_change .
	local args=(--root "$ROOT" --criu "$CRIU_BINARY" restore -d --bundle "$BUNDLE"
		--image-path "$IMAGES" "$C2")
	export URUN_TEST_PAUSE_AT=restore
	if [ "$URUN_MODE" = rootless ]; then
		as_rootless "$URUN" "${args[@]}" </dev/null >/dev/null 2>&1 &
	else
		"$URUN" "${args[@]}" </dev/null >/dev/null 2>&1 &
	fi
	unset URUN_TEST_PAUSE_AT
	local pid="" p i
	for ((i = 0; i < 100; i++)); do
		for p in $(pgrep -x urun-paused); do
			grep -qF "$C2" "/proc/$p/cmdline" && pid=$p
		done
		[ -n "$pid" ] && break
		sleep 0.1
	done
	[ -n "$pid" ]
	kill -KILL "$pid"
	wait 2>/dev/null || true
	runtime state "$C2"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = stopped ]
	runtime delete "$C2"
	[ "$status" -eq 0 ]
	check_nothing_left "$C2"
	[ -z "$(find /sys/fs/cgroup -maxdepth 3 -type d -path "*/urun/$C2*" 2>/dev/null)" ]
}

@test "checkpoint: a restore killed before criu lists as stopped; delete removes all [rootless]" {
	check_killed_restore --rootless
}

@test "checkpoint: a restore killed before criu lists as stopped; delete removes all [root]" {
	check_killed_restore
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

# Without soft-dirty bits (this kernel) a pre-dump cannot tell what changed
# since: refused before criu runs, the container left running, no images.
check_pre_dump() {
	setup_counter "$@"
	if "$CRIU_BINARY" check --feature mem_dirty_track >/dev/null 2>&1; then
		skip "this kernel tracks dirty memory"
	fi
	runtime run -d "$C1"
	[ "$status" -eq 0 ]
	wait_count "$C1" 2
	checkpoint --pre-dump --image-path "$IMAGES/pre" "$C1"
	expect_error "^urun: checkpoint \`$C1\`: --pre-dump needs the kernel to track which memory pages were written \(soft-dirty bits\), and this kernel does not \(built without CONFIG_MEM_SOFT_DIRTY\): take a full checkpoint, without --pre-dump$"
	[ ! -e "$IMAGES/pre" ]
	checkpoint --parent-path ../pre --image-path "$IMAGES/full" "$C1"
	expect_error "--parent-path needs the kernel to track which memory pages were written"
	[ ! -e "$IMAGES/full" ]
	wait_for_state "$C1" running
	check_counter_continues "$C1" 2
	# urun check says so as well
	runtime --criu "$CRIU_BINARY" check
	grep -qF 'WARN  criu pre-dump: the kernel does not track written memory (soft-dirty, CONFIG_MEM_SOFT_DIRTY): `checkpoint --pre-dump` and `--parent-path` are unavailable, full checkpoints work' <<<"$output"
}

@test "checkpoint: --pre-dump says why it cannot work without soft-dirty [rootless]" {
	requires urun
	check_pre_dump --rootless
}

@test "checkpoint: --pre-dump says why it cannot work without soft-dirty [root]" {
	requires urun
	check_pre_dump
}

@test "checkpoint: urun check says when root cannot checkpoint another user's processes [root]" {
	requires urun
	setup_counter
	runtime --criu "$CRIU_BINARY" check
	if has_cap_sys_resource; then
		! grep -q 'criu as root' <<<"$output"
	else
		grep -qF 'WARN  criu as root: the capability bounding set lacks CAP_SYS_RESOURCE: criu cannot read the rlimits (prlimit(2)) of a process of another user, so a container can be checkpointed only when its processes run as 0:0 or it has a user namespace (fix: ' <<<"$output"
	fi
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
