#!/usr/bin/env bats
# terminal: process.terminal with --console-socket (as conmon uses it) and
# with the caller's own terminal for a foreground `run` (driven by tmux).

load helpers

RECVTTY="$INTEGRATION_ROOT/../../build/tests/unit/recvtty"

teardown() {
	[ -n "${TMUX_SESSION:-}" ] && tmux kill-session -t "$TMUX_SESSION" 2>/dev/null
	teardown_bundle
}

# Start recvtty on a socket the runtime's user can reach; its output goes to
# $BATS_TEST_TMPDIR/console.out.
start_recvtty() {
	SOCKET="$(make_host_dir console)/console.sock"
	local cmd=("$RECVTTY" "$SOCKET" "${1:-}")
	if [ "$URUN_MODE" = rootless ]; then
		as_rootless "${cmd[@]}" >"$BATS_TEST_TMPDIR/console.out" 2>&1 &
	else
		"${cmd[@]}" >"$BATS_TEST_TMPDIR/console.out" 2>&1 &
	fi
	RECVTTY_PID=$!
	track_pid "$RECVTTY_PID"
	for _ in $(seq 50); do
		[ -S "$SOCKET" ] && return 0
		sleep 0.1
	done
	echo "recvtty did not start" >&2
	return 1
}

check_console_socket() {
	update_config '.process.terminal = true | .process.consoleSize = {"height": 33, "width": 111}'
	set_cmd 'tty; stty size; ls -l /dev/console; read line; echo "got:$line"'
	start_recvtty $'hello console\n'
	runtime create --console-socket "$SOCKET" c1
	[ "$status" -eq 0 ]
	runtime start c1
	[ "$status" -eq 0 ]
	wait "$RECVTTY_PID"
	run cat "$BATS_TEST_TMPDIR/console.out"
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *"33 111"* ]]
	[[ "$output" == *"136,"* ]] # /dev/console is the pty (major 136)
	[[ "$output" == *"got:hello console"* ]]
}

@test "terminal: --console-socket receives the pty [root]" {
	setup_bundle
	check_console_socket
}

@test "terminal: --console-socket receives the pty [rootless]" {
	setup_bundle --rootless
	check_console_socket
}

@test "terminal: create without --console-socket is an error" {
	setup_bundle --rootless
	update_config '.process.terminal = true'
	runtime create c1
	expect_error 'console-socket'
	check_nothing_left c1
}

@test "terminal: a console socket nobody listens on is an error" {
	setup_bundle
	update_config '.process.terminal = true'
	runtime create --console-socket "$BATS_TEST_TMPDIR/nobody.sock" c1
	expect_error 'console-socket.*connect'
	check_nothing_left c1
}

@test "terminal: foreground run uses the caller's terminal [rootless]" {
	requires tmux
	setup_bundle --rootless
	update_config '.process.terminal = true'
	set_cmd 'tty; stty size; read line; echo "got:$line"; exit 4'
	TMUX_SESSION="urun-test-$$-$BATS_TEST_NUMBER"
	local out="$BATS_TEST_TMPDIR/tmux.out"
	local uid
	uid=$(id -u "$ROOTLESS_USER")
	tmux new-session -d -s "$TMUX_SESSION" -x 90 -y 25 \
		"setpriv --reuid=$uid --regid=$uid --init-groups env XDG_RUNTIME_DIR=/run/user/$uid $URUN --root $ROOT run c1; echo EXIT=\$? > $out.status; sleep 60"
	for _ in $(seq 50); do
		tmux capture-pane -t "$TMUX_SESSION" -p | grep -q '25 90' && break
		sleep 0.1
	done
	tmux send-keys -t "$TMUX_SESSION" 'typed in tmux' Enter
	for _ in $(seq 50); do
		[ -s "$out.status" ] && break
		sleep 0.1
	done
	tmux capture-pane -t "$TMUX_SESSION" -p >"$out"
	run cat "$out"
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *"25 90"* ]]
	[[ "$output" == *"got:typed in tmux"* ]]
	[ "$(cat "$out.status")" = "EXIT=4" ]
}
