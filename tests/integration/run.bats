#!/usr/bin/env bats
# run: create + start + wait + delete in one command.

load helpers

teardown() {
	teardown_bundle
}

check_run_output_status() {
	set_cmd 'echo hello from $(hostname); echo oops >&2; exit 3'
	runtime run c1
	[ "$status" -eq 3 ]
	[ "$output" = "hello from urun" ]
	[[ "$stderr" == *oops* ]]
	# Without --keep the container is gone.
	runtime state c1
	[ "$status" -ne 0 ]
	check_nothing_left c1
}

@test "run: prints the output and exits with the container's status [root]" {
	setup_bundle
	check_run_output_status
}

@test "run: prints the output and exits with the container's status [rootless]" {
	setup_bundle --rootless
	check_run_output_status
}

@test "run: exit status 0 [rootless]" {
	setup_bundle --rootless
	set_cmd 'true'
	runtime run c1
	[ "$status" -eq 0 ]
	check_nothing_left c1
}

# The init of a PID namespace cannot kill itself with a signal it does not
# handle (pid_namespaces(7)), so this one runs in the host's.
@test "run: a container killed by SIGTERM exits 143 [root]" {
	setup_bundle
	update_config '.linux.namespaces -= [{"type": "pid"}]'
	set_cmd 'kill -TERM $$; echo survived'
	runtime run c1
	[ "$status" -eq 143 ]
	[ -z "$output" ]
	check_nothing_left c1
}

check_run_detach() {
	local pid
	set_cmd_waiting
	runtime run --detach c1
	[ "$status" -eq 0 ]
	runtime state c1
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = running ]
	pid=$(container_pid c1)
	kill -0 "$pid"

	runtime kill c1 KILL
	[ "$status" -eq 0 ]
	wait_for_state c1 stopped
	runtime delete c1
	[ "$status" -eq 0 ]
	wait_pids_gone "$pid"
	check_nothing_left c1
}

@test "run --detach: the container is running [root]" {
	setup_bundle
	check_run_detach
}

@test "run --detach: the container is running [rootless]" {
	setup_bundle --rootless
	check_run_detach
}

check_run_keep() {
	set_cmd 'exit 0'
	runtime run --keep c1
	[ "$status" -eq 0 ]
	runtime state c1
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = stopped ]
	runtime delete c1
	[ "$status" -eq 0 ]
	check_nothing_left c1
}

@test "run --keep: the stopped container stays [root]" {
	setup_bundle
	check_run_keep
}

@test "run --keep: the stopped container stays [rootless]" {
	setup_bundle --rootless
	check_run_keep
}

@test "run --bundle: a bundle outside the working directory [root]" {
	setup_bundle
	set_cmd 'echo bundled'
	cd /
	runtime run --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
	[ "$output" = bundled ]
}

check_no_pivot() {
	set_cmd 'ls /; touch /x 2>&1; grep -c . /proc/self/mountinfo'
	runtime run --no-pivot c1
	[ "$status" -eq 0 ]
	[[ "$output" == *bin*etc* ]]
	[[ "$output" == *"Read-only file system"* ]]
	check_nothing_left c1
}

@test "run --no-pivot: MS_MOVE and chroot instead of pivot_root [root]" {
	setup_bundle
	check_no_pivot
}

@test "run --no-pivot: MS_MOVE and chroot instead of pivot_root [rootless]" {
	setup_bundle --rootless
	check_no_pivot
}
