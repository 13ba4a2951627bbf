#!/usr/bin/env bats
# cgroups: limits, pause/resume, update, ps, kill --all and delete — as root
# on the cgroup v1 controllers (this host is hybrid), rootless in a cgroup v2
# subtree delegated to the test user, and rootless without one.

load helpers

setup() {
	V2=$(findmnt -n -t cgroup2 -o TARGET | head -1)
	DELEG=""
	BUSY=""
	CGPATH="/urun-bats-$$-$BATS_TEST_NUMBER/c1"
}

teardown() {
	teardown_bundle
	teardown_delegation
	remove_cgroups_path_parent
	if [ -n "$BUSY" ] && [ -d "$BUSY" ]; then
		xargs -r kill -KILL <"$BUSY/cgroup.procs"
		rmdir "$BUSY" || { sleep 0.5; rmdir "$BUSY"; }
	fi
}

# The mount of the v1 CONTROLLER, or nothing.
v1_mount() {
	findmnt -n -t cgroup -O "$1" -o TARGET | head -1
}

requires_v1() {
	local c
	for c in "$@"; do
		[ -n "$(v1_mount "$c")" ] || skip "test requires the cgroup v1 $c controller"
	done
}

# The container's cgroup is $CGPATH (a path of this test's own).
use_cgroups_path() {
	update_config '.linux.cgroupsPath = $p' --arg p "$CGPATH"
}

# v1_dir CONTROLLER: the container's cgroup there.
v1_dir() {
	echo "$(v1_mount "$1")$CGPATH"
}

# delete leaves the parents of a cgroupsPath: remove $CGPATH's, exactly.
remove_cgroups_path_parent() {
	local m parent
	for m in $(findmnt -n -t cgroup,cgroup2 -o TARGET); do
		parent="$m$(dirname "$CGPATH")"
		[ -d "$parent" ] && rmdir "$parent"
	done
	return 0
}

# cgroup_of PID [HIERARCHY]: PID's cgroup ("memory", or 0 for cgroup v2).
cgroup_of() {
	awk -F: -v h="${2:-0}" '$1 == h || $2 == h { print $3 }' "/proc/$1/cgroup"
}

# A cgroup v2 subtree for the test user, as systemd delegates user@.service:
# the directory and its cgroup.procs, cgroup.subtree_control and
# cgroup.threads are the user's.  The runtime runs from its leaf `runner`
# (a cgroup with processes cannot enable controllers for its children).
setup_delegation() {
	[ -n "$V2" ] || skip "test requires a cgroup v2 hierarchy"
	[ -w "$V2/cgroup.procs" ] || skip "test requires root over the cgroup v2 hierarchy"
	DELEG_NAME="urun-bats-$$-$BATS_TEST_NUMBER"
	DELEG="$V2/$DELEG_NAME"
	mkdir "$DELEG" "$DELEG/runner"
	delegate "$DELEG"
	delegate "$DELEG/runner"
}

delegate() {
	chown "$ROOTLESS_UID:$ROOTLESS_GID" "$1" "$1/cgroup.procs" "$1/cgroup.subtree_control" "$1/cgroup.threads"
}

# Remove the delegated subtree (only cgroups under it, deepest first),
# killing what a failed test left there.
teardown_delegation() {
	local d i
	[ -n "$DELEG" ] && [ -d "$DELEG" ] || return 0
	echo 1 >"$DELEG/cgroup.kill" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		while read -r d; do
			rmdir "$d" 2>/dev/null || true
		done < <(find "$DELEG" -depth -type d)
		[ -d "$DELEG" ] || return 0
		sleep 0.1
	done
	echo "cannot remove $DELEG" >&2
	return 1
}

# In the delegated subtree: the runtime as the user, started inside it.
urun_deleg() {
	urun_rootless_in_cgroup "$DELEG/runner" "$@"
}

# The container writes an ever-growing counter to $COUNTER every 0.1 s.
set_cmd_counting() {
	local dir
	dir=$(make_host_dir count)
	COUNTER="$dir/n"
	update_config '.mounts += [{"destination": "/count", "type": "bind", "source": $dir, "options": ["rbind", "rw"]}]' \
		--arg dir "$dir"
	set_cmd 'i=0; while true; do i=$((i + 1)); echo $i > /count/n; sleep 0.1; done'
}

wait_for_counter() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ -s "$COUNTER" ] && return 0
		sleep 0.1
	done
	return 1
}

counter_moves() {
	local a b
	a=$(cat "$COUNTER")
	sleep 0.5
	b=$(cat "$COUNTER")
	[ "$a" != "$b" ]
}

# ---------------------------------------------------------------------------
# Root, cgroup v1 controllers

@test "cgroups: [root] a memory limit OOM-kills what allocates beyond it" {
	setup_bundle
	requires_v1 memory
	use_cgroups_path
	update_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
	# busybox tail keeps a line without a newline in memory, all 200 MB of it
	set_cmd 'head -c 209715200 /dev/zero | tail -n 1 >/dev/null'
	runtime run --keep c1
	[ "$status" -eq 137 ]
	local dir
	dir=$(v1_dir memory)
	[ "$(cat "$dir/memory.limit_in_bytes")" -eq 33554432 ]
	# memory.failcnt stays 0 on Linux 6.18; the peak and the OOM kill tell
	[ "$(cat "$dir/memory.max_usage_in_bytes")" -eq 33554432 ]
	grep -q '^oom_kill [1-9]' "$dir/memory.oom_control"
	runtime delete c1
	[ "$status" -eq 0 ]
	[ ! -e "$dir" ]
	check_nothing_left c1
}

@test "cgroups: [root] a pids limit stops a fork bomb" {
	setup_bundle
	requires_v1 pids
	use_cgroups_path
	update_config '.linux.resources.pids = {"limit": 10}'
	set_cmd 'for i in $(seq 50); do sleep 1 & done; wait'
	runtime run --keep c1
	[[ "$stderr" == *"can't fork"* ]]
	local dir
	dir=$(v1_dir pids)
	[ "$(cat "$dir/pids.max")" -eq 10 ]
	grep -q '^max [1-9]' "$dir/pids.events"
	runtime delete c1
	[ ! -e "$dir" ]
}

@test "cgroups: [root] cpu and cpuset values are written, update changes them live" {
	setup_bundle
	requires_v1 cpu cpuset memory pids
	use_cgroups_path
	update_config '.linux.resources.cpu = {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"}'
	set_cmd_waiting
	runtime run -d c1
	[ "$status" -eq 0 ]
	local pid cpu cpuset
	pid=$(container_pid c1)
	cpu=$(v1_dir cpu)
	cpuset=$(v1_dir cpuset)
	[ "$(cat "$cpu/cpu.shares")" -eq 512 ]
	[ "$(cat "$cpu/cpu.cfs_quota_us")" -eq 50000 ]
	[ "$(cat "$cpu/cpu.cfs_period_us")" -eq 100000 ]
	[ "$(cat "$cpuset/cpuset.cpus")" = 0 ]
	[ "$(cat "$cpuset/cpuset.mems")" = 0 ]
	grep -qx "$pid" "$cpu/cgroup.procs"
	grep -qx "$pid" "$(v1_dir memory)/cgroup.procs"

	runtime update --cpu-quota 20000 --cpu-shares 256 --memory 64m --memory-swap 128m --pids-limit 20 c1
	[ "$status" -eq 0 ]
	[ "$(cat "$cpu/cpu.cfs_quota_us")" -eq 20000 ]
	[ "$(cat "$cpu/cpu.shares")" -eq 256 ]
	[ "$(cat "$(v1_dir memory)/memory.limit_in_bytes")" -eq 67108864 ]
	[ "$(cat "$(v1_dir memory)/memory.memsw.limit_in_bytes")" -eq 134217728 ]
	[ "$(cat "$(v1_dir pids)/pids.max")" -eq 20 ]
	if [ "$(nproc)" -ge 2 ]; then
		runtime update --cpuset-cpus 1 c1
		[ "$status" -eq 0 ]
		[ "$(cat "$cpuset/cpuset.cpus")" = 1 ]
	fi
	echo '{"cpu": {"quota": -1}, "pids": {"limit": -1}}' >"$BATS_TEST_TMPDIR/r.json"
	runtime update --resources "$BATS_TEST_TMPDIR/r.json" c1
	[ "$status" -eq 0 ]
	[ "$(cat "$cpu/cpu.cfs_quota_us")" -eq -1 ]
	[ "$(cat "$(v1_dir pids)/pids.max")" = max ]

	runtime delete --force c1
	[ "$status" -eq 0 ]
	[ ! -e "$cpu" ] && [ ! -e "$cpuset" ]
	check_nothing_left c1
}

@test "cgroups: [root] pause freezes, state says paused, resume thaws (v1 freezer)" {
	setup_bundle
	requires_v1 freezer
	use_cgroups_path
	set_cmd_counting
	runtime run -d c1
	[ "$status" -eq 0 ]
	wait_for_counter
	runtime pause c1
	[ "$status" -eq 0 ]
	[ "$(cat "$(v1_dir freezer)/freezer.state")" = FROZEN ]
	runtime state c1
	[ "$(jq -r .status <<<"$output")" = paused ]
	! counter_moves
	runtime delete c1
	expect_error 'the container is paused'
	runtime resume c1
	[ "$status" -eq 0 ]
	runtime state c1
	[ "$(jq -r .status <<<"$output")" = running ]
	counter_moves
	# a paused container is killed and removed by delete --force
	runtime pause c1
	runtime delete --force c1
	[ "$status" -eq 0 ]
	[ ! -e "$(v1_dir freezer)" ]
	check_nothing_left c1
}

@test "cgroups: [root] linux.devices rules: denied devices cannot be opened" {
	setup_bundle
	requires_v1 devices
	use_cgroups_path
	update_config '.process.capabilities |= map_values(. + ["CAP_MKNOD"])'
	set_cmd 'head -c1 /dev/zero | wc -c; mknod /dev/mem2 c 1 1 && head -c1 /dev/mem2'
	runtime run --keep c1
	[ "${lines[0]}" = 1 ]
	[[ "$stderr" == *"/dev/mem2: Operation not permitted"* ]]
	local list
	list=$(cat "$(v1_dir devices)/devices.list")
	grep -qx 'c 1:3 rwm' <<<"$list"
	grep -qx 'c \*:\* m' <<<"$list"
	! grep -q '^a ' <<<"$list"
	runtime delete c1
}

@test "cgroups: [root] ps and kill --all go through the cgroup" {
	setup_bundle
	requires_v1 pids
	use_cgroups_path
	# no pid namespace: the processes are only found through the cgroup
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_cmd 'sleep 100 & sleep 100 & wait'
	runtime run -d c1
	[ "$status" -eq 0 ]
	local pid i
	pid=$(container_pid c1)
	for ((i = 0; i < 50; i++)); do
		runtime ps --format json c1
		[ "$(jq length <<<"$output")" -eq 3 ] && break
		sleep 0.1
	done
	[ "$(jq length <<<"$output")" -eq 3 ]
	jq -e --argjson p "$pid" 'index($p) != null' <<<"$output"
	for p in $(jq '.[]' <<<"$output"); do track_pid "$p"; done
	runtime kill --all c1 KILL
	[ "$status" -eq 0 ]
	wait_for_state c1 stopped
	[ -z "$(cat "$(v1_dir pids)/cgroup.procs")" ]
	runtime delete c1
	[ ! -e "$(v1_dir pids)" ]
}

@test "cgroups: [root] the default cgroup is /urun/ID-<hash of --root>, in every hierarchy" {
	setup_bundle
	requires_v1 memory pids
	set_cmd_waiting
	runtime run -d c1
	[ "$status" -eq 0 ]
	local pid path
	pid=$(container_pid c1)
	path=$(cgroup_of "$pid" memory)
	[[ "$path" =~ ^/urun/c1-[0-9a-f]{8}$ ]]
	[ "$(cgroup_of "$pid" pids)" = "$path" ]
	[ -z "$V2" ] || [ "$(cgroup_of "$pid")" = "$path" ]
	runtime delete --force c1
	[ "$status" -eq 0 ]
	[ ! -e "$(v1_mount memory)$path" ] && [ ! -e "$(v1_mount pids)$path" ]
	check_nothing_left c1
}

@test "cgroups: [root] --systemd-cgroup falls back to cgroupfs" {
	setup_bundle
	requires_v1 memory
	# No cgroup namespace: /proc/self/cgroup shows the path from the root.
	update_config '.linux.cgroupsPath = "machine.slice:urun:c1"
		| .linux.namespaces -= [{"type": "cgroup"}]'
	set_cmd 'cat /proc/self/cgroup'
	runtime --systemd-cgroup --debug run c1
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"no systemd here, using the cgroupfs driver with \`/machine.slice/urun-c1.scope\`"* ]]
	grep -q 'memory:.*/machine.slice/urun-c1.scope$' <<<"$output"
	[ ! -e "$(v1_mount memory)/machine.slice/urun-c1.scope" ]
}

# ---------------------------------------------------------------------------
# Rootless in a delegated cgroup v2 subtree

@test "cgroups: [rootless] delegated v2: pause, resume, ps, delete removes the cgroup" {
	setup_bundle --rootless
	setup_delegation
	set_cmd_counting
	urun_deleg run -d c1
	[ "$status" -eq 0 ]
	local cg pid
	pid=$(container_pid c1)
	# the default: urun-ID (and a hash of --root) under urun's own cgroup
	cg="$V2$(cgroup_of "$pid")"
	[[ "$cg" == "$DELEG/runner/urun-c1-"* ]]
	grep -qx "$pid" "$cg/cgroup.procs"
	wait_for_counter
	urun_deleg pause c1
	[ "$status" -eq 0 ]
	[ "$(cat "$cg/cgroup.freeze")" = 1 ]
	runtime state c1
	[ "$(jq -r .status <<<"$output")" = paused ]
	! counter_moves
	runtime ps c1
	[ "${lines[0]}" = PID ]
	grep -qx "$pid" <<<"$output"
	# the cgroup's processes: the loop and its sleep
	[ "$(sed 1d <<<"$output" | sort)" = "$(sort "$cg/cgroup.procs")" ]
	runtime resume c1
	[ "$status" -eq 0 ]
	wait_for_state c1 running
	counter_moves
	runtime delete --force c1
	[ "$status" -eq 0 ]
	[ ! -e "$cg" ]
	check_nothing_left c1
}

@test "cgroups: [rootless] delegated v2: hugetlb and unified limits, update applies them live" {
	setup_bundle --rootless
	setup_delegation
	grep -qw hugetlb "$V2/cgroup.controllers" || skip "test requires the hugetlb controller on cgroup v2"
	# What systemd does for a delegated unit: the controller reaches its subtree.
	echo +hugetlb >"$V2/cgroup.subtree_control"
	update_config '.linux.cgroupsPath = $p
		| .linux.resources = {"hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
			"unified": {"cgroup.max.descendants": "3"}}' --arg p "/$DELEG_NAME/c1"
	set_cmd_waiting
	urun_deleg run -d c1
	[ "$status" -eq 0 ]
	local cg="$DELEG/c1"
	[ "$(cat "$cg/hugetlb.2MB.max")" -eq 4194304 ]
	[ "$(cat "$cg/cgroup.max.descendants")" -eq 3 ]
	grep -qw hugetlb "$DELEG/cgroup.subtree_control"

	echo '{"hugepageLimits": [{"pageSize": "2MB", "limit": 8388608}], "unified": {"cgroup.max.descendants": "5"}}' \
		>"$BATS_TEST_TMPDIR/r.json"
	chmod a+r "$BATS_TEST_TMPDIR/r.json"
	urun_deleg update --resources "$BATS_TEST_TMPDIR/r.json" c1
	[ "$status" -eq 0 ]
	[ "$(cat "$cg/hugetlb.2MB.max")" -eq 8388608 ]
	[ "$(cat "$cg/cgroup.max.descendants")" -eq 5 ]

	# pids is bound to cgroup v1 on this host: a clear error, nothing changes
	urun_deleg update --pids-limit 10 c1
	expect_error "update \`c1\`: linux.resources.pids: the \`pids\` controller is not enabled in cgroup \`$cg\`"

	runtime delete --force c1
	[ "$status" -eq 0 ]
	[ ! -e "$cg" ]
}

@test "cgroups: [rootless] delegated v2: a relative cgroupsPath is under the caller's cgroup" {
	setup_bundle --rootless
	setup_delegation
	update_config '.linux.cgroupsPath = "sub/c1"'
	set_cmd 'cat /proc/self/cgroup; sleep 100'
	urun_deleg run -d c1
	[ "$status" -eq 0 ]
	grep -qx "$(container_pid c1)" "$DELEG/runner/sub/c1/cgroup.procs"
	runtime delete --force c1
	[ "$status" -eq 0 ]
	# delete removes the container's cgroup, not the parents on its path
	[ -d "$DELEG/runner/sub" ] && [ ! -e "$DELEG/runner/sub/c1" ]
}

@test "cgroups: [rootless] delegated v2: a new cgroup namespace is rooted at the container's cgroup" {
	setup_bundle --rootless
	setup_delegation
	set_cmd 'cat /proc/self/cgroup'
	urun_deleg run c1
	[ "$status" -eq 0 ]
	grep -qx '0::/' <<<"$output"
	# run removes what it made
	[ -z "$(find "$DELEG/runner" -mindepth 1 -type d)" ]
}

@test "cgroups: [rootless] delegated v2, urun outside the subtree: runs without a cgroup" {
	setup_bundle --rootless
	setup_delegation
	update_config '.linux.cgroupsPath = $p | .linux.resources = {"unified": {"cgroup.max.descendants": "3"}}' \
		--arg p "/$DELEG_NAME/c1"
	set_cmd 'echo hi'
	# the caller may write the target, but not the common ancestor's cgroup.procs
	runtime --debug run c1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hi ]
	[[ "$stderr" == *"warning: linux.resources ignored: running without a cgroup: moving a process into \`$DELEG/c1\` is not permitted"* ]]
	[ ! -e "$DELEG/c1" ]
	check_nothing_left c1
}

# ---------------------------------------------------------------------------
# Rootless without a delegated cgroup

@test "cgroups: [rootless] no delegation: runs without a cgroup, warns about resources" {
	setup_bundle --rootless
	update_config '.linux.resources = {"pids": {"limit": 10}, "memory": {"limit": 67108864}}'
	set_cmd 'echo hi'
	runtime --debug run c1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hi ]
	grep -q '^urun: debug: running without a cgroup: ' <<<"$stderr"
	grep -q '^urun: warning: linux.resources ignored: running without a cgroup: ' <<<"$stderr"
	check_nothing_left c1
}

@test "cgroups: [rootless] no delegation: pause and update fail naming the reason" {
	setup_bundle --rootless
	set_cmd_waiting
	runtime run -d c1
	[ "$status" -eq 0 ]
	[[ "$stderr" != *warning* ]]
	runtime pause c1
	expect_error "pause \`c1\`: the container runs without a cgroup: .*not writable"
	runtime update --pids-limit 5 c1
	expect_error "update \`c1\`: the container runs without a cgroup: "
	runtime resume c1
	expect_error "resume \`c1\`: the container runs without a cgroup"
	runtime state c1
	[ "$(jq -r .status <<<"$output")" = running ]
	runtime delete --force c1
	[ "$status" -eq 0 ]
}

# ---------------------------------------------------------------------------
# Bad input: a clear error, status 1, nothing left behind, no cgroup

@test "cgroups: [root] a negative limit is refused before anything exists" {
	setup_bundle
	use_cgroups_path
	update_config '.linux.resources.memory = {"limit": -2}'
	runtime run c1
	expect_error 'config.json: linux.resources.memory.limit: expected -1 \(unlimited\) or a non-negative'
	update_config '.linux.resources = {"cpu": {"realtimeRuntime": -5}}'
	runtime run c1
	expect_error 'config.json: linux.resources.cpu.realtimeRuntime: expected -1 \(unlimited\)'
	update_config '.linux.resources = {"blockIO": {"throttleReadBpsDevice": [{"major": -8, "minor": 0, "rate": 1}]}}'
	runtime run c1
	expect_error 'config.json: linux.resources.blockIO.throttleReadBpsDevice\[0\]: major and minor must not be negative'
	check_nothing_left c1
	[ -z "$(v1_mount memory)" ] || [ ! -e "$(dirname "$(v1_dir memory)")" ]
	[ -z "$V2" ] || [ ! -e "$V2$(dirname "$CGPATH")" ]
}

@test "cgroups: [root] a cgroupsPath with .. is refused before anything exists" {
	setup_bundle
	update_config '.linux.cgroupsPath = "/urun/../../escape"'
	runtime run c1
	expect_error '^urun: run `c1`: config.json: linux.cgroupsPath: must not contain ".."$'
	update_config '.linux.cgroupsPath = "../escape"'
	runtime run c1
	expect_error 'linux.cgroupsPath: must not contain ".."'
	check_nothing_left c1
	[ -z "$(v1_mount memory)" ] || [ ! -e "$(v1_mount memory)/escape" ]
	[ -z "$V2" ] || [ ! -e "$V2/escape" ]
}

@test "cgroups: [root] a cgroupsPath naming a busy cgroup is refused and left alone" {
	setup_bundle
	requires_v1 pids memory
	local name="urun-bats-busy-$$" pid
	BUSY="$(v1_mount pids)/$name"
	mkdir "$BUSY"
	sleep 100 &
	pid=$!
	echo "$pid" >"$BUSY/cgroup.procs"
	update_config '.linux.cgroupsPath = $p' --arg p "/$name"
	runtime run c1
	expect_error "cgroup \`$BUSY\` is not empty"
	grep -qx "$pid" "$BUSY/cgroup.procs"
	[ ! -e "$(v1_mount memory)/$name" ]
	check_nothing_left c1
}

@test "cgroups: [rootless] a cgroupsPath with .. is refused" {
	setup_bundle --rootless
	update_config '.linux.cgroupsPath = "a/../../b"'
	runtime run c1
	expect_error 'config.json: linux.cgroupsPath: must not contain ".."'
	check_nothing_left c1
}

@test "cgroups: [root] update: bad values and a stopped container" {
	setup_bundle
	set_cmd_waiting
	runtime run -d c1
	[ "$status" -eq 0 ]
	runtime update --memory lots c1
	expect_error 'update: --memory: expected a size like `512m` or -1, not `lots`'
	runtime update --blkio-weight 5 c1
	expect_error 'update: --blkio-weight: expected 10 to 1000'
	echo '{"memory": {"limit": "big"}}' >"$BATS_TEST_TMPDIR/r.json"
	runtime update -r "$BATS_TEST_TMPDIR/r.json" c1
	expect_error "update \`c1\`: --resources \`$BATS_TEST_TMPDIR/r.json\`: memory.limit: expected"
	runtime update --kernel-memory 10m c1
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"warning: update: --kernel-memory is ignored"* ]]
	runtime kill c1 KILL
	wait_for_state c1 stopped
	runtime update --pids-limit 5 c1
	expect_error 'update `c1`: the container is stopped'
	runtime delete c1
	check_nothing_left c1
}

@test "cgroups: features announce cgroup v1 and v2 and the systemd driver (system and user)" {
	run "$URUN" features
	[ "$status" -eq 0 ]
	[ "$(jq -c .linux.cgroup <<<"$output")" = '{"v1":true,"v2":true,"systemd":true,"systemdUser":true,"rdma":false}' ]
}
