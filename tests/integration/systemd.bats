#!/usr/bin/env bats
# systemd: --systemd-cgroup with a real systemd user manager — the container
# in a transient scope the manager starts over D-Bus, as runc and crun do.
#
# This host does not run systemd as PID 1, so each test starts a user
# manager for the test user (Debian's /lib/systemd/systemd --user) the way
# systemd would run user@UID.service: in a cgroup v2 subtree delegated to
# the user, with its own runtime directory (not /run/user/UID, which other
# tests use).  It runs in a mount namespace of its own whose /run/systemd
# is a tmpfs with system/ in it: a manager refuses to start unless the
# system was booted with systemd (sd_booted(3) tests /run/systemd/system).
# urun runs from a cgroup inside the manager's subtree, as a user's
# processes do on a systemd host (there PID 1 moves a process from a login
# session into the user's manager; no PID 1 does that here).

load helpers

setup() {
	MGR_PID=""
	MGR_CG=""
	MGR_XDG=""
}

teardown() {
	teardown_bundle
	stop_user_manager
}

# start_user_manager: the manager, in $MGR_CG, with $MGR_XDG as runtime
# directory; urun's cgroup is $MGR_CG/runner.  Skips (saying why) where the
# manager cannot run.
start_user_manager() {
	local v2 home i
	requires root rootless urun
	[ -x /lib/systemd/systemd ] || skip "test requires systemd's /lib/systemd/systemd (Debian: systemd)"
	command -v systemctl >/dev/null || skip "test requires systemctl"
	v2=$(findmnt -n -t cgroup2 -o TARGET | head -1)
	[ -n "$v2" ] || skip "test requires a cgroup v2 hierarchy"
	MGR_CG="$v2/urun-bats-systemd-$$-$BATS_TEST_NUMBER"
	MGR_XDG="/tmp/urun-bats-xdg-$$-$BATS_TEST_NUMBER"
	MGR_LOG="$BATS_TEST_TMPDIR/manager.log"
	mkdir "$MGR_CG" "$MGR_CG/runner"
	delegate "$MGR_CG"
	delegate "$MGR_CG/runner"
	mkdir -m 700 "$MGR_XDG"
	chown "$ROOTLESS_UID:$ROOTLESS_GID" "$MGR_XDG"
	home=$(getent passwd "$ROOTLESS_USER" | cut -d: -f6)
	(
		echo "$BASHPID" >"$MGR_CG/cgroup.procs"
		exec unshare -m --propagation private sh -c '
			mount -t tmpfs -o mode=755 tmpfs /run/systemd && mkdir /run/systemd/system || exit 1
			exec setpriv --reuid "$1" --regid "$2" --init-groups env -i HOME="$3" USER="$4" \
				LOGNAME="$4" PATH=/usr/bin:/bin XDG_RUNTIME_DIR="$5" \
				/lib/systemd/systemd --user --log-target=console' \
			sh "$ROOTLESS_UID" "$ROOTLESS_GID" "$home" "$ROOTLESS_USER" "$MGR_XDG"
	) </dev/null >"$MGR_LOG" 2>&1 &
	MGR_PID=$!
	for ((i = 0; i < 100; i++)); do
		[ -S "$MGR_XDG/systemd/private" ] && break
		kill -0 "$MGR_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -S "$MGR_XDG/systemd/private" ] ||
		skip "a systemd user manager cannot start here: $(tail -3 "$MGR_LOG" | tr '\n' ' ')"
	ROOTLESS_XDG_RUNTIME_DIR=$MGR_XDG
}

# The cgroup v2 files systemd hands a delegated user (systemd.resource-control(5)).
delegate() {
	chown "$ROOTLESS_UID:$ROOTLESS_GID" "$1" "$1/cgroup.procs" "$1/cgroup.subtree_control" "$1/cgroup.threads"
}

# Stop the manager this test started, then remove its cgroups (deepest
# first) and runtime directory, exactly those.
stop_user_manager() {
	local d i
	if [ -n "$MGR_PID" ]; then
		kill -TERM "$MGR_PID" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			kill -0 "$MGR_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$MGR_PID" 2>/dev/null || true
		wait "$MGR_PID" 2>/dev/null || true
	fi
	if [ -n "$MGR_CG" ] && [ -d "$MGR_CG" ]; then
		echo 1 >"$MGR_CG/cgroup.kill" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			while read -r d; do
				rmdir "$d" 2>/dev/null || true
			done < <(find "$MGR_CG" -depth -type d)
			[ -d "$MGR_CG" ] || break
			sleep 0.1
		done
	fi
	[ -z "$MGR_XDG" ] || rm -rf -- "$MGR_XDG"
	unset ROOTLESS_XDG_RUNTIME_DIR
}

# urun as the test user, from inside the manager's subtree.
urun_user() {
	urun_rootless_in_cgroup "$MGR_CG/runner" "$@"
}

# systemctl --user for the test user's manager.
user_systemctl() {
	as_rootless systemctl --user --no-pager "$@"
}

cgroup2_of() {
	awk -F: '$1 == 0 { print $3 }' "/proc/$1/cgroup"
}

@test "systemd: [rootless] the container runs in a transient scope of the user's manager" {
	start_user_manager
	setup_bundle --rootless
	set_cmd_waiting
	update_config '.linux.cgroupsPath = "user.slice:urun:c1"
		| .linux.resources = {"hugepageLimits": [{"pageSize": "2MB", "limit": 8388608}],
			"unified": {"cgroup.max.descendants": "3"}}
		| .annotations["org.systemd.property.TimeoutStopUSec"] = "uint64 123456789"
		| .annotations["org.systemd.property.CollectMode"] = "'"'inactive-or-failed'"'"'
	urun_user --systemd-cgroup run -d c1
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	pid=$(container_pid c1)

	run user_systemctl is-active urun-c1.scope
	[ "$output" = active ]
	run user_systemctl show -p ControlGroup -p Slice -p Delegate -p TimeoutStopUSec -p CollectMode urun-c1.scope
	[ "$status" -eq 0 ]
	scope=$(sed -n 's/^ControlGroup=//p' <<<"$output")
	[ "$scope" = "${MGR_CG#/sys/fs/cgroup/unified}/user.slice/urun-c1.scope" ]
	grep -qx 'Slice=user.slice' <<<"$output"
	grep -qx 'Delegate=yes' <<<"$output"
	grep -qx 'TimeoutStopUSec=2min 3.456789s' <<<"$output"
	grep -qx 'CollectMode=inactive-or-failed' <<<"$output"
	# The container's process is in it, and what systemd has no property
	# for urun wrote there itself.
	[ "$(cgroup2_of "$pid")" = "$scope" ]
	[ "$(cat "$MGR_CG/user.slice/urun-c1.scope/hugetlb.2MB.max")" = 8388608 ]
	[ "$(cat "$MGR_CG/user.slice/urun-c1.scope/cgroup.max.descendants")" = 3 ]

	# exec joins the scope (rooted there: its cgroup namespace's root).
	urun_user exec c1 cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	grep -qx '0::/' <<<"$output"

	urun_user pause c1
	[ "$status" -eq 0 ]
	[ "$(cat "$MGR_CG/user.slice/urun-c1.scope/cgroup.freeze")" = 1 ]
	urun_user resume c1
	[ "$status" -eq 0 ]
	urun_user ps c1
	[ "$status" -eq 0 ]
	grep -qw "$pid" <<<"$output"

	# delete stops the scope; systemd removes its cgroup.
	urun_user delete --force c1
	[ "$status" -eq 0 ]
	run user_systemctl is-active urun-c1.scope
	[ "$output" = inactive ]
	[ ! -e "$MGR_CG/user.slice/urun-c1.scope" ]
	check_nothing_left c1
}

@test "systemd: [rootless] update: unit properties through systemd, the rest into the scope" {
	start_user_manager
	setup_bundle --rootless
	set_cmd_waiting
	update_config '.linux.cgroupsPath = "user.slice:urun:c1"'
	urun_user --systemd-cgroup run -d c1
	[ "$status" -eq 0 ]
	echo '{"hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}]}' >"$BATS_TEST_TMPDIR/r.json"
	urun_user update --resources "$BATS_TEST_TMPDIR/r.json" c1
	[ "$status" -eq 0 ]
	[ "$(cat "$MGR_CG/user.slice/urun-c1.scope/hugetlb.2MB.max")" = 4194304 ]
	grep -qw pids "$MGR_CG/cgroup.controllers" && skip "pids is a cgroup v2 controller here"
	# Refused before systemd is asked: it would take TasksMax and not apply it.
	run user_systemctl show -p TasksMax --value urun-c1.scope
	tasks_max=$output
	urun_user update --pids-limit 10 c1
	expect_error 'update `c1`: linux.resources.pids.limit: systemd cannot apply TasksMax: the `pids` controller is not enabled'
	run user_systemctl show -p TasksMax --value urun-c1.scope
	[ "$output" = "$tasks_max" ] && [ "$output" != 10 ]
}

@test "systemd: [rootless] a cgroup namespace is rooted at the scope; run removes the scope" {
	start_user_manager
	setup_bundle --rootless
	set_cmd 'cat /proc/self/cgroup'
	urun_user --systemd-cgroup run c1
	[ "$status" -eq 0 ]
	grep -qx '0::/' <<<"$output"
	# No cgroupsPath: urun-ID.scope (ID with a hash of --root) in user.slice.
	run user_systemctl list-units --all --plain --no-legend 'urun-*.scope'
	[ -z "$output" ]
	[ -z "$(find "$MGR_CG/user.slice" -name 'urun-*.scope' 2>/dev/null)" ]
	check_nothing_left c1
}

@test "systemd: [rootless] staged (a time namespace): pid 1, forked later, is in the scope too" {
	start_user_manager
	setup_bundle --rootless
	set_cmd_waiting
	update_config '.linux.cgroupsPath = "user.slice:urun:c1" | .linux.namespaces += [{"type": "time"}]'
	urun_user --systemd-cgroup run -d c1
	[ "$status" -eq 0 ]
	pid=$(container_pid c1)
	[ "$(cgroup2_of "$pid")" = "${MGR_CG#/sys/fs/cgroup/unified}/user.slice/urun-c1.scope" ]
	[ "$(wc -l <"$MGR_CG/user.slice/urun-c1.scope/cgroup.procs")" -ge 1 ]
	urun_user exec c1 cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	grep -qx '0::/' <<<"$output"
}

@test "systemd: [rootless] the default unit is urun-ID.scope in user.slice" {
	start_user_manager
	setup_bundle --rootless
	set_cmd_waiting
	urun_user --systemd-cgroup run -d c1
	[ "$status" -eq 0 ]
	pid=$(container_pid c1)
	[[ "$(cgroup2_of "$pid")" =~ /user\.slice/urun-c1-[0-9a-f]{8}\.scope$ ]]
	unit=$(basename "$(cgroup2_of "$pid")")
	run user_systemctl is-active "$unit"
	[ "$output" = active ]
	urun_user delete --force c1
	[ "$status" -eq 0 ]
	run user_systemctl is-active "$unit"
	[ "$output" = inactive ]
}

@test "systemd: [rootless] a limit systemd cannot apply fails, naming the controller, and leaves nothing" {
	start_user_manager
	setup_bundle --rootless
	set_cmd_waiting
	# This hybrid host has the pids controller on cgroup v1 only.
	grep -qw pids "$MGR_CG/cgroup.controllers" && skip "pids is a cgroup v2 controller here"
	update_config '.linux.cgroupsPath = "user.slice:urun:c1" | .linux.resources.pids = {"limit": 20}'
	urun_user --systemd-cgroup run -d c1
	expect_error "systemd scope \`urun-c1.scope\`: linux.resources.pids.limit: systemd cannot apply TasksMax: the \`pids\` controller is not enabled in cgroup \`$MGR_CG/user.slice/urun-c1.scope\`"
	run user_systemctl is-active urun-c1.scope
	[ "$output" = inactive ]
	[ ! -e "$MGR_CG/user.slice/urun-c1.scope" ]
	check_nothing_left c1
}

@test "systemd: [rootless] a scope the manager cannot move the process into: a clear error" {
	start_user_manager
	setup_bundle --rootless
	set_cmd_waiting
	update_config '.linux.cgroupsPath = "user.slice:urun:c1"'
	# From outside the manager's subtree: the user may not write
	# cgroup.procs of the common ancestor (the root cgroup).
	urun_rootless --systemd-cgroup run -d c1
	expect_error "systemd scope \`urun-c1.scope\`: the start job of the scope ended \`failed\` \(\`systemctl --user status urun-c1.scope\` says why\)"
	run user_systemctl is-failed urun-c1.scope
	[ "$output" != failed ]
	check_nothing_left c1
}

@test "systemd: [rootless] through the session bus (DBUS_SESSION_BUS_ADDRESS)" {
	start_user_manager
	setup_bundle --rootless
	[ -S "$MGR_XDG/bus" ] || skip "test requires the manager's dbus.socket (Debian: dbus-user-session)"
	set_cmd 'true'
	update_config '.linux.cgroupsPath = "user.slice:urun:c1"'
	in_runner() {
		echo "$BASHPID" >"$MGR_CG/runner/cgroup.procs" &&
			as_rootless env DBUS_SESSION_BUS_ADDRESS="unix:path=$MGR_XDG/bus" \
				"$URUN" --root "$ROOT" "$@"
	}
	run --separate-stderr in_runner --debug --systemd-cgroup run c1
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"scope \`urun-c1.scope\` in \`user.slice\`, through \`unix:path=$MGR_XDG/bus\`"* ]]
	check_nothing_left c1
}

@test "systemd: [rootless] bad cgroupsPath and annotations are refused before anything runs" {
	start_user_manager
	setup_bundle --rootless
	set_cmd 'true'
	update_config '.linux.cgroupsPath = "/not/systemd"'
	urun_user --systemd-cgroup run c1
	expect_error 'config.json: linux.cgroupsPath: `/not/systemd` is not `slice:prefix:name`, as --systemd-cgroup needs'
	check_nothing_left c1
	update_config '.linux.cgroupsPath = "user.slice:urun:c1" | .annotations["org.systemd.property.TimeoutStopUSec"] = "soon"'
	urun_user --systemd-cgroup run c1
	expect_error 'config.json: annotations: `org.systemd.property.TimeoutStopUSec`: `soon` is not a GVariant'
	check_nothing_left c1
	run user_systemctl list-units --all --plain --no-legend 'urun-*.scope'
	[ -z "$output" ]
}
