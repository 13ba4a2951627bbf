#!/usr/bin/env bats
# create, start, state, kill, delete, list and ps: the container lifecycle.
# Each check is a function run once as root and once rootless.

load helpers

teardown() {
	teardown_bundle
}

check_lifecycle() {
	local pid
	set_cmd_waiting

	runtime create c1
	[ "$status" -eq 0 ]
	runtime state c1
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = created ]
	pid=$(jq -r .pid <<<"$output")
	[ "$pid" -gt 0 ]
	track_pid "$pid"

	runtime start c1
	[ "$status" -eq 0 ]
	wait_for_state c1 running
	wait_for_trap c1

	runtime kill c1 TERM
	[ "$status" -eq 0 ]
	wait_for_state c1 stopped

	runtime delete c1
	[ "$status" -eq 0 ]
	runtime state c1
	[ "$status" -ne 0 ]
	wait_pids_gone "$pid"
	check_nothing_left c1
}

@test "lifecycle: create, start, kill, delete [root]" {
	setup_bundle
	check_lifecycle
}

@test "lifecycle: create, start, kill, delete [rootless]" {
	setup_bundle --rootless
	check_lifecycle
}

check_state_json() {
	set_cmd_waiting
	runtime create c1
	[ "$status" -eq 0 ]
	runtime state c1
	[ "$status" -eq 0 ]
	jq -e --arg bundle "$(realpath "$BUNDLE")" '
		(.ociVersion | type == "string" and startswith("1."))
		and .id == "c1"
		and .status == "created"
		and (.pid | type == "number" and . > 0)
		and .bundle == $bundle' <<<"$output"
}

@test "state: JSON with ociVersion, id, status, pid, bundle [root]" {
	setup_bundle
	check_state_json
}

@test "state: JSON with ociVersion, id, status, pid, bundle [rootless]" {
	setup_bundle --rootless
	check_state_json
}

@test "state: unknown container fails" {
	setup_bundle
	runtime state nosuch
	[ "$status" -ne 0 ]
}

check_pid_file() {
	set_cmd_waiting
	runtime create --pid-file "$BUNDLE/c1.pid" c1
	[ "$status" -eq 0 ]
	[ -s "$BUNDLE/c1.pid" ]
	[ "$(cat "$BUNDLE/c1.pid")" -eq "$(container_pid c1)" ]
}

@test "create --pid-file writes the init's pid [root]" {
	setup_bundle
	check_pid_file
}

@test "create --pid-file writes the init's pid [rootless]" {
	setup_bundle --rootless
	check_pid_file
}

# kill ID SIGNAL stops a running container, for each spelling of SIGNAL.
check_kill_names() {
	local sig id
	set_cmd_waiting
	for sig in TERM SIGTERM 15 KILL; do
		id=c-$sig
		runtime run -d "$id"
		[ "$status" -eq 0 ]
		wait_for_state "$id" running
		wait_for_trap "$id"
		runtime kill "$id" "$sig"
		[ "$status" -eq 0 ]
		wait_for_state "$id" stopped
		runtime delete "$id"
		[ "$status" -eq 0 ]
		check_nothing_left "$id"
	done
}

@test "kill: TERM, SIGTERM, 15 and KILL [root]" {
	setup_bundle
	check_kill_names
}

@test "kill: TERM, SIGTERM, 15 and KILL [rootless]" {
	setup_bundle --rootless
	check_kill_names
}

@test "kill: the default signal is TERM [root]" {
	setup_bundle
	set_cmd_waiting
	runtime run -d c1
	[ "$status" -eq 0 ]
	wait_for_trap c1
	runtime kill c1
	[ "$status" -eq 0 ]
	wait_for_state c1 stopped
}

# ps --format json lists the container's processes; kill --all reaches each.
check_ps_kill_all() {
	local pid pids
	# No trap: only a signal sent to every process ends them all.
	set_cmd 'sleep 1000 & sleep 1000 & wait'
	runtime run -d c1
	[ "$status" -eq 0 ]
	pid=$(container_pid c1)

	runtime ps --format json c1
	[ "$status" -eq 0 ]
	jq -e --argjson pid "$pid" 'type == "array" and index($pid) != null' <<<"$output"
	pids=$(jq -r '.[]' <<<"$output")
	[ "$(wc -w <<<"$pids")" -ge 3 ]
	for p in $pids; do track_pid "$p"; done

	runtime kill --all c1 KILL
	[ "$status" -eq 0 ]
	wait_for_state c1 stopped
	# shellcheck disable=SC2086
	wait_pids_gone $pids
}

@test "ps --format json and kill --all [root]" {
	setup_bundle
	check_ps_kill_all
}

# runc and crun find the processes in the container's cgroup, which a rootless
# caller on this hybrid host does not get (runc: "lstat : no such file or
# directory", crun: "the container is not using cgroups"); urun must find
# them all the same.
@test "ps --format json and kill --all [rootless]" {
	requires urun
	setup_bundle --rootless
	check_ps_kill_all
}

check_delete_force() {
	local pid
	set_cmd_waiting
	runtime run -d c1
	[ "$status" -eq 0 ]
	pid=$(container_pid c1)

	runtime delete c1
	[ "$status" -ne 0 ]     # running: needs --force
	runtime delete --force c1
	[ "$status" -eq 0 ]
	runtime state c1
	[ "$status" -ne 0 ]
	wait_pids_gone "$pid"
	check_nothing_left c1
}

@test "delete --force of a running container [root]" {
	setup_bundle
	check_delete_force
}

@test "delete --force of a running container [rootless]" {
	setup_bundle --rootless
	check_delete_force
}

@test "delete --force of a created container [root]" {
	setup_bundle
	set_cmd_waiting
	runtime create c1
	[ "$status" -eq 0 ]
	runtime delete --force c1
	[ "$status" -eq 0 ]
	check_nothing_left c1
}

check_list() {
	set_cmd_waiting
	runtime run -d c1
	[ "$status" -eq 0 ]
	runtime create c2
	[ "$status" -eq 0 ]

	runtime list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^(ID|NAME)\ +PID\ +STATUS\ +BUNDLE ]]
	grep -qE "^c1 +[0-9]+ +running +$BUNDLE" <<<"$output"
	grep -qE "^c2 +[0-9]+ +created +$BUNDLE" <<<"$output"

	runtime list -q
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "c1 c2 " ]

	runtime list --format json
	[ "$status" -eq 0 ]
	jq -e 'sort_by(.id) | map([.id, .status]) == [["c1", "running"], ["c2", "created"]]' <<<"$output"
}

@test "list: table, -q and --format json [root]" {
	setup_bundle
	check_list
}

@test "list: table, -q and --format json [rootless]" {
	setup_bundle --rootless
	check_list
}

@test "list: empty root" {
	setup_bundle
	runtime list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

check_duplicate_id() {
	set_cmd_waiting
	runtime create c1
	[ "$status" -eq 0 ]
	runtime create c1
	expect_error 'c1'
	# The first container is untouched.
	wait_for_state c1 created
}

@test "create: a duplicate ID is an error [root]" {
	setup_bundle
	check_duplicate_id
}

@test "create: a duplicate ID is an error [rootless]" {
	setup_bundle --rootless
	check_duplicate_id
}
