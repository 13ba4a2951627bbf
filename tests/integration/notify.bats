#!/usr/bin/env bats
# notify: systemd integration without systemd — the NOTIFY_SOCKET relay
# (tests/tools/notify-listener.c stands in for the service manager on the
# host and, built static, for sd_notify(3) in the busybox container, as
# /bin/sd-notify) and the --systemd-cgroup fallback to cgroupfs.

load helpers

LISTENER="$INTEGRATION_ROOT/../../build/tests/unit/notify-listener"

teardown() {
	teardown_bundle
}

# setup_notify [--rootless]: a bundle with /bin/sd-notify, and a listener on
# a path socket (HOST_SOCKET) the runtime's user can reach.
setup_notify() {
	setup_bundle "$@"
	[ -x "$LISTENER" ] || skip "notify-listener not built (ninja -C build)"
	cp "$LISTENER" "$BUNDLE/rootfs/bin/sd-notify"
	[ "$URUN_MODE" = rootless ] && chown "$ROOTLESS_UID:$ROOTLESS_GID" "$BUNDLE/rootfs/bin/sd-notify"
	start_listener "$(make_host_dir manager)/notify.sock"
}

# start_listener ADDRESS: the stand-in manager; what it receives goes to
# $MESSAGES, one line per datagram: "SENDER-PID PAYLOAD" (newlines as '|').
start_listener() {
	HOST_SOCKET=$1
	MESSAGES="$BATS_TEST_TMPDIR/messages-$RANDOM"
	"$LISTENER" listen "$HOST_SOCKET" "$MESSAGES" </dev/null >/dev/null 2>&1 3>&- &
	track_pid $!
	for _ in $(seq 50); do
		[ -e "$MESSAGES" ] && return 0
		sleep 0.1
	done
	echo "notify-listener did not start" >&2
	return 1
}

# The payloads received so far.
payloads() {
	cut -d' ' -f2- "$MESSAGES"
}

# urun_notify ARGS...: the runtime as the bundle's user with
# NOTIFY_SOCKET=$HOST_SOCKET (as_rootless starts from an empty environment);
# sets status, output and stderr as `runtime` does.
urun_notify() {
	run --separate-stderr notify_exec "$@"
	echo "[$URUN_MODE] NOTIFY_SOCKET=$HOST_SOCKET $(basename "$URUN") $* (status=$status)" >&2
	[ -n "$stderr" ] && echo "stderr: $stderr" >&2
	return 0
}

notify_exec() {
	local out rc=0
	out=$(mktemp "$BATS_TEST_TMPDIR/notify-out.XXXXXX")
	if [ "$URUN_MODE" = rootless ]; then
		as_rootless env NOTIFY_SOCKET="$HOST_SOCKET" "$URUN" --root "$ROOT" "$@" \
			</dev/null >"$out" 2>"$out.err" || rc=$?
	else
		NOTIFY_SOCKET=$HOST_SOCKET "$URUN" --root "$ROOT" "$@" \
			</dev/null >"$out" 2>"$out.err" || rc=$?
	fi
	cat "$out"
	cat "$out.err" >&2
	rm -f -- "$out" "$out.err"
	return "$rc"
}

# Milliseconds since the epoch.
now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

# The relay's pid, from the state dir (urun's own layout).
relay_pid() {
	cut -d' ' -f1 "$ROOT/$1/notify-relay"
}

# The container sleeps, then says READY=1 with a status and things that
# must not reach the manager.
READY_CMD='sleep 1; sd-notify send "STATUS=starting" "$(printf "READY=1\nSTATUS=up\nMAINPID=1\nFDSTORE=1\nNOTIFYACCESS=all\nX_CUSTOM=1")"; '"$WAIT_CMD"

check_run_detached() {
	local start elapsed pid
	set_cmd "$READY_CMD"
	start=$(now_ms)
	urun_notify run -d c1
	elapsed=$(($(now_ms) - start))
	[ "$status" -eq 0 ]
	# Returned only after READY=1 reached the manager.
	[ "$elapsed" -ge 1000 ]
	pid=$(container_pid c1)
	payloads | grep -qx 'STATUS=starting'
	payloads | grep -qx "READY=1|STATUS=up|MAINPID=$pid"
	[ "$(payloads | grep -cE 'MAINPID=1($|\|)|FDSTORE|NOTIFYACCESS|X_CUSTOM')" -eq 0 ]
	runtime delete --force c1
	[ "$status" -eq 0 ]
	check_nothing_left c1
}

@test "notify: run -d waits for READY=1, forwards it with MAINPID, drops the rest [root]" {
	setup_notify
	check_run_detached
}

@test "notify: run -d waits for READY=1, forwards it with MAINPID, drops the rest [rootless]" {
	setup_notify --rootless
	check_run_detached
}

@test "notify: the container sees NOTIFY_SOCKET on a read-only bind of the socket alone" {
	setup_notify
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	set_cmd 'echo "$NOTIFY_SOCKET"; ls /run/notify; grep " /run/notify/notify.sock " /proc/self/mounts; sd-notify send READY=1'
	urun_notify run c1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /run/notify/notify.sock ]
	[ "${lines[1]}" = notify.sock ]
	[[ "${lines[2]}" == *" ro,nosuid,nodev,noexec"* ]]
	payloads | grep -q '^READY=1|MAINPID='
}

@test "notify: without NOTIFY_SOCKET nothing is set up" {
	setup_bundle
	set_cmd 'echo "[$NOTIFY_SOCKET]"; ls /run/notify 2>&1 || true'
	env -u NOTIFY_SOCKET "$URUN" --root "$ROOT" run c1 </dev/null >"$BATS_TEST_TMPDIR/out"
	[ "$(head -1 "$BATS_TEST_TMPDIR/out")" = "[]" ]
	[ "$(grep -c notify.sock "$BATS_TEST_TMPDIR/out")" -eq 0 ]
}

@test "notify: create returns before READY=1, start after it" {
	setup_notify
	set_cmd "sleep 1; sd-notify send READY=1; $WAIT_CMD"
	urun_notify create c1
	[ "$status" -eq 0 ]
	[ ! -s "$MESSAGES" ]
	local start elapsed pid
	start=$(now_ms)
	urun_notify start c1
	elapsed=$(($(now_ms) - start))
	[ "$status" -eq 0 ]
	[ "$elapsed" -ge 1000 ]
	pid=$(container_pid c1)
	payloads | grep -qx "READY=1|MAINPID=$pid"
	runtime delete --force c1
	[ "$status" -eq 0 ]
	check_nothing_left c1
}

@test "notify: foreground run is the main pid; WATCHDOG and STOPPING follow; the relay ends with it" {
	setup_notify
	set_cmd 'sd-notify send READY=1; for i in 1 2 3; do sd-notify send WATCHDOG=1; sleep 0.1; done; sd-notify send "EXTEND_TIMEOUT_USEC=5000000" "EXTEND_TIMEOUT_USEC=junk" RELOADING=1 STOPPING=1'
	local pid relay
	NOTIFY_SOCKET=$HOST_SOCKET "$URUN" --root "$ROOT" run c1 </dev/null >/dev/null 2>&1 3>&- &
	pid=$!
	wait "$pid"
	# A foreground run stays the service's main process (as runc).
	payloads | grep -qx "READY=1|MAINPID=$pid"
	[ "$(payloads | grep -cx 'WATCHDOG=1')" -eq 3 ]
	payloads | grep -qx 'EXTEND_TIMEOUT_USEC=5000000'
	[ "$(payloads | grep -c junk)" -eq 0 ]
	payloads | grep -qx 'RELOADING=1'
	payloads | grep -qx 'STOPPING=1'
	relay=$(head -1 "$MESSAGES" | cut -d' ' -f1)
	[ "$relay" != "$pid" ]
	wait_pids_gone "$relay"
	check_nothing_left c1
}

@test "notify: an @abstract NOTIFY_SOCKET works; the manager hears the relay, delete ends it [rootless]" {
	setup_notify --rootless
	requires urun
	start_listener "@urun-test-notify-$$-$BATS_TEST_NUMBER"
	set_cmd "sd-notify send READY=1; $WAIT_CMD"
	urun_notify run -d c1
	[ "$status" -eq 0 ]
	local pid relay
	pid=$(container_pid c1)
	relay=$(relay_pid c1)
	track_pid "$relay"
	# The sender the manager sees (SCM_CREDENTIALS) is the relay, outside the
	# container: hence MAINPID and NotifyAccess=all.
	grep -qx "$relay READY=1|MAINPID=$pid" "$MESSAGES"
	[ "$(stat -c %u "/proc/$relay")" = "$ROOTLESS_UID" ]
	runtime delete --force c1
	[ "$status" -eq 0 ]
	wait_pids_gone "$relay"
	check_nothing_left c1
}

@test "notify: run -d fails when the container exits before READY=1" {
	setup_notify
	set_cmd 'sd-notify send STATUS=leaving'
	urun_notify run -d c1
	expect_error 'run `c1`: the container exited before it sent READY=1'
	payloads | grep -qx 'STATUS=leaving'
	runtime delete c1
	[ "$status" -eq 0 ]
	check_nothing_left c1
}

@test "notify: a NOTIFY_SOCKET that is no socket address fails before anything exists" {
	setup_notify
	HOST_SOCKET=relative/notify.sock
	urun_notify run -d c1
	expect_error 'NOTIFY_SOCKET `relative/notify.sock`: expected a socket path or an @abstract name'
	check_nothing_left c1
}

@test "notify: delete of a created container ends the relay" {
	setup_notify
	requires urun
	set_cmd 'sd-notify send READY=1'
	urun_notify create c1
	[ "$status" -eq 0 ]
	local relay
	relay=$(relay_pid c1)
	track_pid "$relay"
	pid_alive "$relay"
	runtime delete --force c1
	[ "$status" -eq 0 ]
	wait_pids_gone "$relay"
	[ ! -s "$MESSAGES" ]
	check_nothing_left c1
}

# ---------------------------------------------------------------------------
# --systemd-cgroup where no systemd runs

@test "notify: --systemd-cgroup without a systemd manager warns once and uses cgroupfs [root]" {
	setup_bundle
	requires urun
	[ ! -e /run/systemd/system ] || skip "systemd runs here"
	# No cgroup namespace: /proc/self/cgroup shows the path from the root.
	# A foreground run removes the parents it made (system.slice) as well.
	update_config '.linux.cgroupsPath = "system.slice:urun:c1"
		| .linux.namespaces -= [{"type": "cgroup"}]'
	set_cmd 'cat /proc/self/cgroup'
	runtime --systemd-cgroup run c1
	[ "$status" -eq 0 ]
	[ "$stderr" = 'urun: warning: --systemd-cgroup: no systemd system manager reachable (no `/run/systemd/system`); using cgroupfs' ]
	# The systemd driver's name for it, made by the cgroupfs driver.
	grep -q ':/system.slice/urun-c1.scope$' <<<"$output"
	check_nothing_left c1
}

@test "notify: --systemd-cgroup without a user manager warns once [rootless]" {
	setup_bundle --rootless
	requires urun
	local xdg="/run/user/$ROOTLESS_UID"
	[ ! -e "$xdg/systemd/private" ] && [ ! -e "$xdg/bus" ] || skip "a user manager runs here"
	update_config '.linux.cgroupsPath = "user.slice:urun:c1"'
	set_cmd 'true'
	runtime --systemd-cgroup run c1
	[ "$status" -eq 0 ]
	[ "${#stderr_lines[@]}" -ge 1 ]
	[ "${stderr_lines[0]}" = "urun: warning: --systemd-cgroup: no systemd user manager reachable (no \`$xdg/systemd/private\`, no \`$xdg/bus\`, DBUS_SESSION_BUS_ADDRESS unset); using cgroupfs" ]
	[ "$(grep -c -- --systemd-cgroup <<<"$stderr")" -eq 1 ]
	check_nothing_left c1
}
