#!/usr/bin/env bats
# exec: a new process in a running container takes the identity of the
# container's own process (config.json at create) unless told otherwise.

load helpers

teardown() {
	teardown_bundle
}

@test "exec: inherits every field of the container's process [root]" {
	requires root urun
	run bash "$TESTS_ROOT/exec-table.sh" "$URUN"
	echo "$output" >&2
	[ "$status" -eq 0 ]
}

@test "exec: inherits every field of the container's process [rootless]" {
	requires rootless urun
	run bash "$TESTS_ROOT/exec-table.sh" "$URUN" --rootless
	echo "$output" >&2
	[ "$status" -eq 0 ]
}

start_waiting() {
	update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10]} | .process.cwd = "/tmp"
		| .process.env += ["FOO=config", "KEEP=kept"]'
	set_cmd_waiting
	runtime run -d c1
	[ "$status" -eq 0 ]
}

check_flags_override() {
	start_waiting
	runtime exec -u 0:0 --cwd / -e FOO=flag -g 30 --cap CAP_SYS_CHROOT c1 \
		sh -c 'echo "$(id -u):$(id -g):$(id -G | tr " " ,)"; pwd; echo "$FOO $KEEP"; grep CapEff /proc/$$/status'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "0:0:0,30" ]
	[ "${lines[1]}" = / ]
	[ "${lines[2]}" = "flag kept" ]
	# CAP_SYS_CHROOT (18) added to the config's set (bit 18 = 0x40000)
	(( (16#$(awk '{print $2}' <<<"${lines[3]}") & 0x40000) != 0 ))
}

@test "exec: flags override the inherited fields [root]" {
	setup_bundle
	check_flags_override
}

@test "exec: flags override the inherited fields [rootless]" {
	setup_bundle --rootless
	check_flags_override
}

@test "exec: --no-new-privs over a config without it [rootless]" {
	setup_bundle --rootless
	update_config '.process.noNewPrivileges = false'
	set_cmd_waiting
	runtime run -d c1
	runtime exec c1 grep NoNewPrivs /proc/self/status
	[[ "$output" == *"0"* ]]
	runtime exec --no-new-privs c1 grep NoNewPrivs /proc/self/status
	[[ "$output" == *"1"* ]]
}

check_process_file() {
	start_waiting
	local dir
	dir=$(make_host_dir proc)
	# Without "user": the container's user, as conmon-rs sends it.
	echo '{"args": ["sh", "-c", "id -u; pwd; echo $FOO $NEW"], "env": ["NEW=new"]}' >"$dir/no-user.json"
	runtime exec --process "$dir/no-user.json" c1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = /tmp ]
	[ "${lines[2]}" = "config new" ]
	# With "user" and "cwd": those win.
	echo '{"args": ["sh", "-c", "id -u; pwd"], "user": {"uid": 0, "gid": 0}, "cwd": "/"}' >"$dir/user.json"
	runtime exec --process "$dir/user.json" c1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = / ]
	# Flags override the process file.
	runtime exec --process "$dir/user.json" -u 1000 c1
	[ "${lines[0]}" = 1000 ]
}

@test "exec: --process with and without user [root]" {
	setup_bundle
	check_process_file
}

@test "exec: --process with and without user [rootless]" {
	setup_bundle --rootless
	check_process_file
}

@test "exec: exit status, signals and 127 for a missing command [rootless]" {
	setup_bundle --rootless
	set_cmd_waiting
	runtime run -d c1
	runtime exec c1 sh -c 'exit 42'
	[ "$status" -eq 42 ]
	runtime exec c1 sh -c 'kill -TERM $$'
	[ "$status" -eq 143 ]
	run -127 --separate-stderr __urun_exec rootless exec c1 no-such-command
	[[ "$stderr" == *"no-such-command"*"not found"* ]]
}

@test "exec: joins every namespace and never sees a host fd or cwd [rootless]" {
	setup_bundle --rootless
	set_cmd_waiting
	runtime run -d c1
	local pid
	pid=$(container_pid c1)
	runtime exec c1 sh -c 'for n in pid mnt ipc uts user cgroup; do readlink /proc/self/ns/$n; done; ls /proc/$$/fd; readlink /proc/$$/cwd'
	[ "$status" -eq 0 ]
	local n i=0
	for n in pid mnt ipc uts user cgroup; do
		[ "${lines[$i]}" = "$(readlink /proc/"$pid"/ns/$n)" ]
		i=$((i + 1))
	done
	# The shell's fds: stdio only, then its cwd.
	[ "${lines[6]}" = 0 ] && [ "${lines[7]}" = 1 ] && [ "${lines[8]}" = 2 ]
	[ "${#lines[@]}" -eq 10 ]
	[ "${lines[9]}" = / ]
}

@test "exec: --tty through a console socket [rootless]" {
	setup_bundle --rootless
	set_cmd_waiting
	runtime run -d c1
	local dir
	dir=$(make_host_dir console)
	as_rootless "$INTEGRATION_ROOT/../../build/tests/unit/recvtty" "$dir/sock" >"$dir/out" 2>&1 &
	local recv=$!
	track_pid "$recv"
	for _ in $(seq 50); do [ -S "$dir/sock" ] && break; sleep 0.1; done
	runtime exec -t -d --console-socket "$dir/sock" c1 sh -c 'tty; echo on-the-tty'
	[ "$status" -eq 0 ]
	wait "$recv"
	[[ "$(cat "$dir/out")" == *"/dev/pts/"* ]]
	[[ "$(cat "$dir/out")" == *on-the-tty* ]]
}

@test "exec: bad input is a clear error" {
	setup_bundle --rootless
	set_cmd_waiting
	runtime run -d c1
	runtime exec -u abc c1 true
	expect_error -- '--user: expected UID\[:GID\]'
	runtime exec -u 1:2:3 c1 true
	expect_error -- '--user'
	runtime exec --cwd /nonexistent c1 true
	expect_error 'process.cwd `/nonexistent`'
	runtime exec nosuch true
	expect_error 'container `nosuch` does not exist'
	runtime kill c1 KILL
	wait_for_state c1 stopped
	runtime exec c1 true
	expect_error 'stopped'
}

@test "exec: a keep-id container's exec runs as the caller, as its process does [rootless]" {
	setup_bundle --rootless
	update_config 'del(.linux.uidMappings) | del(.linux.gidMappings)'
	set_cmd_waiting
	runtime run -d --userns=keep-id c1
	[ "$status" -eq 0 ]
	runtime exec c1 id -u
	[ "$status" -eq 0 ]
	[ "$output" = "$ROOTLESS_UID" ]
}
