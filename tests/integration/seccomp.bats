#!/usr/bin/env bats
# seccomp: linux.seccomp filters, their errno values and argument filters,
# podman's default profile, and a SCMP_ACT_NOTIFY listener agent.

load helpers

AGENT="$INTEGRATION_ROOT/../../build/tests/unit/seccomp-agent"
PODMAN_PROFILE=/usr/share/containers/seccomp.json

teardown() {
	teardown_bundle
}

# A profile allowing everything but what $1 (a jq array of rules) says.
set_profile() {
	update_config --argjson rules "$1" \
		'.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": $rules}'
}

check_mkdir_blocked() {
	set_profile '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]'
	set_cmd 'mkdir /tmp/x; echo rc=$?; grep Seccomp: /proc/self/status'
	runtime run c1
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"Operation not permitted"* ]]
	[[ "$output" == *"rc=1"* ]]
	[[ "$output" == *"Seccomp:	2"* ]]
}

@test "seccomp: a rule makes mkdir fail with EPERM [root]" {
	setup_bundle
	check_mkdir_blocked
}

@test "seccomp: a rule makes mkdir fail with EPERM [rootless]" {
	setup_bundle --rootless
	check_mkdir_blocked
}

@test "seccomp: errnoRet sets the errno [rootless]" {
	setup_bundle --rootless
	set_profile '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 18}]'
	set_cmd 'mkdir /tmp/x'
	runtime run c1
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"Invalid cross-device link"* ]]
}

@test "seccomp: an argument filter blocks personality(8) only [rootless]" {
	setup_bundle --rootless
	# busybox setarch calls personality(PER_LINUX32 = 8) for linux32.
	set_profile '[{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]'
	set_cmd 'linux32 true; echo linux32=$?; linux64 true; echo linux64=$?'
	runtime run c1
	[ "$status" -eq 0 ]
	[[ "$output" == *"linux32=1"* ]]
	[[ "$output" == *"linux64=0"* ]]
}

@test "seccomp: podman's default profile runs busybox [rootless]" {
	[ -f "$PODMAN_PROFILE" ] || skip "no $PODMAN_PROFILE (Debian golang-github-containers-common)"
	setup_bundle --rootless
	update_config --slurpfile p "$PODMAN_PROFILE" '.linux.seccomp = $p[0]'
	set_cmd 'echo hello; ls / >/dev/null && echo ls-ok; grep Seccomp: /proc/self/status'
	runtime run c1
	[ "$status" -eq 0 ]
	[[ "$output" == *hello* ]]
	[[ "$output" == *ls-ok* ]]
	[[ "$output" == *"Seccomp:	2"* ]]
}

@test "seccomp: exec gets the container's filter [rootless]" {
	setup_bundle --rootless
	set_profile '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]'
	set_cmd_waiting
	runtime run -d c1
	[ "$status" -eq 0 ]
	runtime exec c1 sh -c 'mkdir /tmp/x; echo rc=$?; grep Seccomp: /proc/self/status'
	[[ "$output" == *"rc=1"* ]]
	[[ "$output" == *"Seccomp:	2"* ]]
}

@test "seccomp: the notify listener reaches the agent with the state [rootless]" {
	setup_bundle --rootless
	local dir
	dir=$(make_host_dir agent)
	as_rootless "$AGENT" "$dir/agent.sock" "$dir/state.json" &
	track_pid $!
	for _ in $(seq 50); do [ -S "$dir/agent.sock" ] && break; sleep 0.1; done
	update_config --arg sock "$dir/agent.sock" \
		'.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $sock, "listenerMetadata": "meta-1",
		  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}'
	set_cmd 'mkdir /tmp/x'
	runtime run c1
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"Invalid cross-device link"* ]] # the agent's answer
	run jq -r '[.ociVersion, .fds[0], .metadata, .state.id, .state.status] | join(" ")' "$dir/state.json"
	[ "$output" = "1.2.0 seccompFd meta-1 c1 creating" ]
}

@test "seccomp: bad profiles fail with the JSON path and leave nothing" {
	setup_bundle --rootless
	set_profile '[{"names": ["mkdir"], "action": "SCMP_ACT_FOO"}]'
	runtime run c1
	expect_error 'linux.seccomp.syscalls\[0\].action'
	check_nothing_left c1
	set_profile '[{"names": ["mk dir"], "action": "SCMP_ACT_ERRNO"}]'
	runtime run c1
	expect_error 'malformed syscall name'
	check_nothing_left c1
	set_profile '[{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 99999}]'
	runtime run c1
	expect_error 'errnoRet'
	check_nothing_left c1
}
