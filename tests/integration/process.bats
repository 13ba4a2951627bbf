#!/usr/bin/env bats
# The container's process: env, cwd, user, umask, capabilities,
# noNewPrivileges, rlimits, oomScoreAdj and the file descriptors it gets.

load helpers

teardown() {
	teardown_bundle
}

# "CAP_A CAP_B ..." -> the 16-digit hex mask /proc/PID/status prints.
cap_mask() {
	local -A bit=([CAP_CHOWN]=0 [CAP_DAC_OVERRIDE]=1 [CAP_FOWNER]=3 [CAP_KILL]=5
		[CAP_SETGID]=6 [CAP_SETUID]=7 [CAP_NET_BIND_SERVICE]=10 [CAP_NET_RAW]=13
		[CAP_SYS_CHROOT]=18 [CAP_SYS_ADMIN]=21 [CAP_SYS_RESOURCE]=24 [CAP_AUDIT_WRITE]=29)
	local mask=0 c
	for c in "$@"; do
		mask=$((mask | (1 << ${bit[$c]})))
	done
	printf '%016x\n' "$mask"
}

status_field() {
	grep "^$1:" <<<"$output" | awk '{ print $2 }'
}

check_env() {
	update_config '.process.env += ["FOO=bar baz", "EMPTY="]'
	set_cmd 'echo "$FOO"; echo "[$EMPTY]"; echo "$PATH"; echo "$HOME"'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "bar baz" ]
	[ "${lines[1]}" = "[]" ]
	[ "${lines[2]}" = /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin ]
	# HOME comes from the container's /etc/passwd when env does not set it.
	[ "${lines[3]}" = /root ]
}

@test "process: env [root]" {
	setup_bundle
	check_env
}

@test "process: env [rootless]" {
	setup_bundle --rootless
	check_env
}

@test "process: cwd" {
	setup_bundle
	update_config '.process.cwd = "/tmp"'
	set_cmd 'pwd'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "$output" = /tmp ]
}

check_user() {
	update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10, 20]}
		| .root.readonly = false'
	set_cmd 'id -u; id -g; grep ^Groups: /proc/self/status; touch /root/x'
	runtime run c1
	[ "$status" -ne 0 ]   # /root is 0700 root: uid 1000 may not write there
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	[ "$(echo ${lines[2]})" = "Groups: 10 20" ]
	[[ "$stderr" == *"Permission denied"* ]]
}

@test "process: user uid, gid and additionalGids [root]" {
	setup_bundle
	check_user
}

# runc refuses additionalGids in every rootless container; with the whole
# subordinate gid range mapped by newgidmap, setgroups(2) is allowed, and urun
# (like crun) sets them.  user_namespaces(7)
@test "process: user uid, gid and additionalGids [rootless]" {
	requires urun
	setup_bundle --rootless
	check_user
}

@test "process: user.umask" {
	setup_bundle
	update_config '.process.user.umask = 63'   # 0077
	set_cmd 'umask; touch /tmp/f; stat -c %a /tmp/f'
	update_config '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}]'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0077 ]
	[ "${lines[1]}" = 600 ]
}

check_default_capabilities() {
	set_cmd 'cat /proc/self/status'
	runtime run c1
	[ "$status" -eq 0 ]
	local want
	want=$(cap_mask CAP_AUDIT_WRITE CAP_KILL CAP_NET_BIND_SERVICE)
	[ "$(status_field CapBnd)" = "$want" ]
	[ "$(status_field CapEff)" = "$want" ]
	[ "$(status_field CapPrm)" = "$want" ]
	[ "$(status_field CapInh)" = 0000000000000000 ]
	[ "$(status_field CapAmb)" = 0000000000000000 ]
}

@test "process: default capabilities [root]" {
	setup_bundle
	check_default_capabilities
}

@test "process: default capabilities [rootless]" {
	setup_bundle --rootless
	check_default_capabilities
}

check_capabilities() {
	update_config '.process.capabilities = {
		"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SYS_ADMIN"],
		"effective": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SYS_ADMIN"],
		"permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SYS_ADMIN"]}'
	set_cmd 'cat /proc/self/status'
	runtime run c1
	[ "$status" -eq 0 ]
	local want
	want=$(cap_mask CAP_CHOWN CAP_KILL CAP_NET_RAW CAP_SYS_ADMIN)
	[ "$(status_field CapBnd)" = "$want" ]
	[ "$(status_field CapEff)" = "$want" ]
}

@test "process: capabilities [root]" {
	setup_bundle
	check_capabilities
}

@test "process: capabilities [rootless]" {
	setup_bundle --rootless
	check_capabilities
}

# runtime-spec 1.1+ (config.md): a capability that is unknown or cannot be
# granted MUST be logged as a warning, and the runtime SHOULD NOT fail.
# Without a user namespace, what urun itself lacks (this VM's bounding set
# has no CAP_SYS_RESOURCE) cannot be granted; in one, only the unknown name.
check_ungrantable_capabilities() {
	local caps='["CAP_KILL", "CAP_SYS_RESOURCE", "CAP_FOO"]' want
	update_config ".process.capabilities = {\"bounding\": $caps, \"effective\": $caps, \"permitted\": $caps}"
	set_cmd 'cat /proc/self/status'
	runtime run c1
	[ "$status" -eq 0 ]
	grep -qF 'urun: warning: process.capabilities: unknown to this system, ignored: CAP_FOO' <<<"$stderr"
	want=$(cap_mask CAP_KILL CAP_SYS_RESOURCE)
	if [ "$URUN_MODE" = root ] && ! capsh --has-b=cap_sys_resource 2>/dev/null; then
		grep -qF 'cannot be granted (outside the bounding set, or not held by urun), so left out: CAP_SYS_RESOURCE' <<<"$stderr"
		want=$(cap_mask CAP_KILL)
	fi
	[ "$(status_field CapEff)" = "$want" ]
	[ "$(status_field CapPrm)" = "$want" ]
}

@test "process: unknown and ungrantable capabilities are warned about, not fatal [root]" {
	setup_bundle
	check_ungrantable_capabilities
}

@test "process: unknown and ungrantable capabilities are warned about, not fatal [rootless]" {
	setup_bundle --rootless
	check_ungrantable_capabilities
}

# A non-root user keeps only its ambient capabilities across execve(2).
# capabilities(7)
@test "process: ambient capabilities of a non-root user" {
	setup_bundle
	update_config '.process.user = {"uid": 1000, "gid": 1000}
		| .process.capabilities = {
			"bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"effective": ["CAP_KILL"], "permitted": ["CAP_KILL"],
			"inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]}'
	set_cmd 'cat /proc/self/status'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "$(status_field CapBnd)" = "$(cap_mask CAP_KILL CAP_NET_BIND_SERVICE)" ]
	[ "$(status_field CapEff)" = "$(cap_mask CAP_KILL)" ]
	[ "$(status_field CapAmb)" = "$(cap_mask CAP_KILL)" ]
}

@test "process: noNewPrivileges" {
	setup_bundle
	set_cmd 'grep ^NoNewPrivs: /proc/self/status'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "NoNewPrivs: 1" ]

	update_config '.process.noNewPrivileges = false'
	runtime run c2
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "NoNewPrivs: 0" ]
}

check_rlimits() {
	set_cmd 'ulimit -n; ulimit -Hn'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "$output" = "1024
1024" ]

	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 600},
		{"type": "RLIMIT_NPROC", "soft": 1000, "hard": 1000}]'
	set_cmd 'ulimit -n; ulimit -Hn; ulimit -u'
	runtime run c2
	[ "$status" -eq 0 ]
	[ "$output" = "512
600
1000" ]
}

@test "process: rlimits [root]" {
	setup_bundle
	check_rlimits
}

@test "process: rlimits [rootless]" {
	setup_bundle --rootless
	check_rlimits
}

check_oom_score_adj() {
	update_config '.process.oomScoreAdj = 123'
	set_cmd 'cat /proc/self/oom_score_adj'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "$output" = 123 ]
}

@test "process: oomScoreAdj [root]" {
	setup_bundle
	check_oom_score_adj
}

@test "process: oomScoreAdj [rootless]" {
	setup_bundle --rootless
	check_oom_score_adj
}

# Nothing of the runtime (state dir, sync sockets, the bundle) may stay open
# in the container: only stdin, stdout and stderr.
check_fds() {
	# ls lists the fds of the shell (PID 1), not its own.  No pipeline: the
	# shell would hold the pipe's fds while ls runs; a second command, so that
	# sh forks ls instead of exec'ing it.
	set_cmd 'ls /proc/$$/fd; exit 0'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "0 1 2" ]

	# The same for a container that was created, then started.
	set_cmd_waiting
	runtime create c2
	[ "$status" -eq 0 ]
	runtime start c2
	[ "$status" -eq 0 ]
	wait_for_state c2 running
	local pid
	pid=$(container_pid c2)
	[ "$(ls "/proc/$pid/fd" | tr '\n' ' ')" = "0 1 2 " ]
}

@test "process: only fds 0, 1 and 2 are open [root]" {
	setup_bundle
	check_fds
}

@test "process: only fds 0, 1 and 2 are open [rootless]" {
	setup_bundle --rootless
	check_fds
}

# CVE-2024-21626: a cwd of /proc/self/fd/N used a host directory fd the
# runtime had leaked into the container.  Every such cwd must fail.
check_cwd_fd_leak() {
	local n
	set_cmd 'pwd; ls ..'
	for n in 3 4 5 6 7 8 9; do
		update_config '.process.cwd = $cwd' --arg cwd "/proc/self/fd/$n"
		runtime run "c$n"
		if [ "$status" -eq 0 ]; then
			echo "cwd /proc/self/fd/$n was accepted: $output" >&2
			return 1
		fi
		check_nothing_left "c$n"
	done
}

@test "process: cwd /proc/self/fd/N cannot reach a leaked fd [root]" {
	setup_bundle
	check_cwd_fd_leak
}

@test "process: cwd /proc/self/fd/N cannot reach a leaked fd [rootless]" {
	setup_bundle --rootless
	check_cwd_fd_leak
}

@test "process: an explicit HOME is kept, and so is every variable after it [rootless]" {
	setup_bundle --rootless
	update_config '.process.env = ["PATH=/bin:/sbin", "HOME=/home/x", "AFTER=yes"]'
	set_cmd 'echo "$HOME $AFTER"'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "$output" = "/home/x yes" ]
}
