#!/usr/bin/env bats
# Bad input: each one exits 1 with one clear `urun: ...` message on stderr
# and leaves nothing behind.

load helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_bundle
}

@test "error: config.json is not JSON" {
	echo '{"ociVersion": "1.2.0", "process": ' >"$BUNDLE/config.json"
	runtime run c1
	expect_error 'config.json'
	check_nothing_left c1
}

@test "error: config.json is missing" {
	rm "$BUNDLE/config.json"
	runtime run c1
	expect_error 'config.json'
	check_nothing_left c1
}

@test "error: a value of the wrong type names its JSON path" {
	update_config '.process.args = ["sh", 42]'
	runtime run c1
	expect_error 'process\.args\[1\]: expected a string'
	check_nothing_left c1
}

@test "error: process.args is empty" {
	update_config '.process.args = []'
	runtime run c1
	expect_error 'process\.args'
	check_nothing_left c1
}

@test "error: the rootfs does not exist" {
	update_config '.root.path = "nosuchdir"'
	runtime run c1
	expect_error 'nosuchdir'
	check_nothing_left c1
}

@test "error: the command does not exist in the rootfs" {
	update_config '.process.args = ["/nosuch/cmd"]'
	runtime run c1
	[ "$status" -ne 0 ]
	# As a shell does: 127 for a command that is not there.
	if is_urun; then
		[ "$status" -eq 127 ]
		[[ "$stderr" == "urun: "*"/nosuch/cmd"* ]]
	fi
	check_nothing_left c1
}

@test "error: unknown mount type" {
	update_config '.mounts += [{"destination": "/mnt", "type": "nosuchfs", "source": "none"}]'
	runtime run c1
	expect_error 'nosuchfs'
	check_nothing_left c1
}

@test "error: unknown namespace type" {
	update_config '.linux.namespaces += [{"type": "nosuchns"}]'
	runtime run c1
	expect_error 'nosuchns'
	check_nothing_left c1
}

@test "error: duplicate container ID" {
	set_cmd_waiting
	runtime create c1
	[ "$status" -eq 0 ]
	runtime create c1
	expect_error 'c1'
	runtime delete --force c1
	[ "$status" -eq 0 ]
	check_nothing_left c1
}

@test "error: kill with an unknown signal names it" {
	set_cmd_waiting
	runtime run -d c1
	[ "$status" -eq 0 ]
	runtime kill c1 FOO
	expect_error 'FOO'
	# Still running: the bad kill did nothing.
	wait_for_state c1 running
	runtime delete --force c1
	[ "$status" -eq 0 ]
	check_nothing_left c1
}

@test "error: kill of an unknown container" {
	runtime kill nosuch KILL
	expect_error 'nosuch'
}

@test "error: start of a container that is already running" {
	set_cmd_waiting
	runtime run -d c1
	[ "$status" -eq 0 ]
	runtime start c1
	expect_error 'c1'
}

@test "error: invalid container IDs" {
	local id
	for id in a/b .. . ../escape ''; do
		runtime create "$id"
		expect_error ''
	done
	# Nothing was created next to or above the state dir.
	[ -z "$(ls -A "$ROOT")" ]
	[ ! -e "$(dirname "$ROOT")/escape" ]
	[ ! -e "$ROOT/a" ]
	check_nothing_left c1
}

# rootfs/evil -> an absolute path that exists both on the host and in the
# rootfs.  The runtime must resolve the mount destination inside the rootfs:
# the tmpfs lands on rootfs/<path>, and the host directory stays untouched.
@test "mount destination through a symlink stays inside the rootfs" {
	local target="$BATS_TEST_TMPDIR/host-target"
	mkdir -p "$target" "$BUNDLE/rootfs$target"
	echo host >"$target/marker"
	ln -s "$target" "$BUNDLE/rootfs/evil"
	update_config '.mounts += [{"destination": "/evil", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}]'
	set_cmd 'echo inside > /evil/file && cat "$0/file" && grep -c " $0 .* - tmpfs " /proc/self/mountinfo'
	update_config '.process.args += [$t]' --arg t "$target"
	runtime run c1
	[ "$status" -eq 0 ]
	[ "$output" = "inside
1" ]
	# The host directory is as it was, and the file was on the tmpfs.
	[ "$(ls -A "$target")" = marker ]
	[ ! -e "$BUNDLE/rootfs$target/file" ]
	check_nothing_left c1
}

@test "error: a bind mount source that does not exist" {
	update_config '.mounts += [{"destination": "/mnt", "type": "bind", "source": "/nosuch/source", "options": ["bind"]}]'
	runtime run c1
	expect_error '/nosuch/source'
	check_nothing_left c1
}
