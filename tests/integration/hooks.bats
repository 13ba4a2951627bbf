#!/usr/bin/env bats
# hooks: every kind runs at its step, in its namespace, with the state on
# stdin, its args and env, and its timeout; failures as runtime-spec says.

load helpers

teardown() {
	teardown_bundle
}

# A host hook that logs "KIND STATUS PID ID ARG VAR" into $LOG.
write_host_hook() {
	LOG_DIR=$(make_host_dir hooklog)
	LOG="$LOG_DIR/log"
	HOOK="$LOG_DIR/hook.sh"
	cat >"$HOOK" <<-EOF
		#!/bin/sh
		state=\$(cat)
		echo "\$1 \$(echo "\$state" | jq -r '[.status, (.pid|tostring), .id] | join(" ")') \$HOOKVAR" >> "$LOG"
	EOF
	chmod 755 "$HOOK"
	[ "$URUN_MODE" = rootless ] && chown "$ROOTLESS_UID:$ROOTLESS_GID" "$HOOK"
	# startContainer runs inside the container: its path is the rootfs's.
	cat >"$BUNDLE/rootfs/starthook.sh" <<-'EOF'
		#!/bin/sh
		echo "startContainer $(cat | grep -o '"status":"[a-z]*"') $HOOKVAR" >> /hooklog/log
	EOF
	chmod 755 "$BUNDLE/rootfs/starthook.sh"
	update_config --arg dir "$LOG_DIR" \
		'.mounts += [{"destination": "/hooklog", "type": "bind", "source": $dir, "options": ["rbind", "rw"]}]'
}

hook() { # hook KIND -> a hook object running $HOOK KIND
	jq -n --arg path "$HOOK" --arg kind "$1" '{path: $path, args: ["hook.sh", $kind], env: ["HOOKVAR=v-" + $kind]}'
}

check_all_hooks() {
	write_host_hook
	local k
	for k in prestart createRuntime createContainer poststart poststop; do
		update_config --arg k "$k" --argjson h "$(hook "$k")" '.hooks[$k] = [$h]'
	done
	update_config '.hooks.startContainer = [{"path": "/starthook.sh", "env": ["HOOKVAR=v-start"]}]'
	set_cmd 'echo process >> /hooklog/log'
	runtime create c1
	[ "$status" -eq 0 ]
	local pid
	pid=$(container_pid c1)
	runtime start c1
	[ "$status" -eq 0 ]
	wait_for_state c1 stopped
	runtime delete c1
	[ "$status" -eq 0 ]
	run cat "$LOG"
	echo "$output" >&2
	# Every create hook sees "created" (the status after lifecycle step 2;
	# crun, and the runtime-tools suite's hooks_stdin).
	[ "${lines[0]}" = "prestart created $pid c1 v-prestart" ]
	[ "${lines[1]}" = "createRuntime created $pid c1 v-createRuntime" ]
	[ "${lines[2]}" = "createContainer created $pid c1 v-createContainer" ]
	[ "${lines[3]}" = 'startContainer "status":"created" v-start' ]
	# poststart and the process race: both come after startContainer.
	[[ "${lines[4]} ${lines[5]}" == *"poststart running $pid c1 v-poststart"* ]]
	[[ "${lines[4]} ${lines[5]}" == *process* ]]
	# A stopped container has no pid (runtime-spec: pid only while created or running).
	[ "${lines[6]}" = "poststop stopped 0 c1 v-poststop" ]
}

@test "hooks: every kind in order, with state, args and env [root]" {
	setup_bundle
	check_all_hooks
}

@test "hooks: every kind in order, with state, args and env [rootless]" {
	setup_bundle --rootless
	check_all_hooks
}

@test "hooks: a failing createRuntime hook fails create and leaves nothing" {
	setup_bundle --rootless
	update_config '.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", "exit 3"]}]'
	runtime create c1
	expect_error 'hooks.createRuntime\[0\] `/bin/sh`: exited with status 3'
	check_nothing_left c1
}

@test "hooks: a failing createContainer hook fails run and leaves nothing [root]" {
	setup_bundle
	update_config '.hooks.createContainer = [{"path": "/bin/false"}]'
	runtime run c1
	expect_error 'hooks.createContainer\[0\]'
	check_nothing_left c1
}

@test "hooks: a missing hook binary fails create" {
	setup_bundle --rootless
	update_config '.hooks.prestart = [{"path": "/nonexistent/hook"}]'
	runtime create c1
	expect_error 'hooks.prestart\[0\] `/nonexistent/hook`: cannot execute'
	check_nothing_left c1
}

@test "hooks: a hook over its timeout is killed and fails create" {
	setup_bundle --rootless
	update_config '.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", "sleep 30"], "timeout": 1}]'
	SECONDS=0
	runtime create c1
	expect_error 'timed out after 1 s'
	[ "$SECONDS" -lt 10 ]
	check_nothing_left c1
}

@test "hooks: failing poststart and poststop hooks only warn" {
	setup_bundle --rootless
	update_config '.hooks.poststart = [{"path": "/bin/false"}] | .hooks.poststop = [{"path": "/bin/false"}]'
	set_cmd_waiting
	runtime create c1
	[ "$status" -eq 0 ]
	runtime start c1
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"warning: hooks.poststart[0]"* ]]
	runtime delete --force c1
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"warning: hooks.poststop[0]"* ]]
	check_nothing_left c1
}

@test "hooks: a failing startContainer hook stops the container (run)" {
	setup_bundle --rootless
	update_config '.hooks.startContainer = [{"path": "/bin/false"}]'
	runtime run c1
	[ "$status" -eq 1 ]
	[[ "$stderr" == *'hooks.startContainer[0]'* ]]
	check_nothing_left c1
}
