#!/bin/bash
# podman-scenarios.sh [--hide-cgroup2] RUNTIME [SCENARIO...]
# podman-scenarios.sh --table [RUNTIME...]
#
# Rootless podman (Debian's 4.3, with conmon) drives the OCI runtime RUNTIME
# (a path: build/urun, /usr/sbin/runc, /usr/bin/crun) through the scenarios
# below, as the unprivileged test user: urun-test when run as root (setpriv),
# else the caller.  Podman gets a storage of its own (--root, --runroot and
# --tmpdir in a temporary directory) so the user's containers and images are
# left alone; the image is imported offline from the busybox bundle's rootfs.
# The runtime is called through a wrapper of the same name that logs its
# arguments (podman treats runtimes by name: crun may run without cgroups).
#
# Prints "ok NAME", "ok NAME # note", "FAIL NAME" (with its log) or
# "skip NAME: why" per scenario and exits non-zero when one failed.
#
# --table runs every scenario for each RUNTIME (default: build/urun, runc,
# crun, crun with --hide-cgroup2) and prints the markdown table of the
# README's "podman" section.
#
# --hide-cgroup2 runs the runtime inside `unshare -m` with cgroup2's
# cgroup.controllers covered by an empty file: crun 1.8 refuses a hybrid
# cgroup host ("cgroups in hybrid mode not supported") otherwise.
#
# tests/integration/podman.bats sources this file and runs one scenario per
# test.  Environment: URUN_TEST_CACHE (the busybox bundle, as helpers.bash),
# PODMAN_STORAGE_DRIVER (default overlay; vfs where overlay cannot mount).

PS_TESTS_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
PS_CACHE=${URUN_TEST_CACHE:-/tmp/urun-test-cache}
PS_IMAGE=localhost/urun-busybox:latest
PS_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# An init that exits 0 on SIGTERM: PID 1 of a PID namespace ignores signals
# it has no handler for.  pid_namespaces(7)
PS_WAIT_CMD='trap "exit 0" TERM; sleep 1000 & wait'

PS_SCENARIOS=(run-rm exit-codes detached exec exec-tty read-only userns-keep-id
	network-none network-slirp4netns ps-inspect-top pause-unpause run-it
	containers-conf system-reset)

# Markdown for the table: the backquotes are literal.
# shellcheck disable=SC2016
declare -A PS_WHAT=(
	[run-rm]='`run --rm`: stdout, stderr, stdin, exit status, nothing left'
	[exit-codes]='`run` of a missing (127) or non-executable (126) command'
	[detached]='`run -d`, `logs`, `stop` (SIGTERM), `rm`'
	[exec]='`exec` with `-u`, `-w`, `-e`, `-i`, exit status'
	[exec-tty]='`exec -t`'
	[read-only]='`run --read-only`'
	[userns-keep-id]='`run --userns=keep-id` (ids, volume file owner)'
	[network-none]='`run --network none`'
	[network-slirp4netns]='`--network slirp4netns` (to the host) and `-p`'
	[ps-inspect-top]='`ps`, `inspect`, `top`'
	[pause-unpause]='`pause`, `unpause`'
	[run-it]='`run -it` through conmon'"'"'s console socket (tmux), resize'
	[containers-conf]='runtime chosen by `~/.config/containers/containers.conf`'
	[system-reset]='`system reset` leaves no state dir, process or mount'
)

# ---------------------------------------------------------------------------
# Setup

# ps_init: derive everything from PS_WORK, PS_RUNTIME and PS_HIDE_CGROUP2
# (exported, so each bats test can call it again).
ps_init() {
	PS_NAME=$(basename "$PS_RUNTIME")
	if [ "$EUID" -eq 0 ]; then
		PS_USER=${ROOTLESS_USER:-urun-test}
	else
		PS_USER=$(id -un)
	fi
	PS_UID=$(id -u "$PS_USER") || return 1
	PS_GID=$(id -g "$PS_USER")
	PS_HOME=$(getent passwd "$PS_USER" | cut -d: -f6)
	PS_XDG=/run/user/$PS_UID
	PS_STATE_ROOT=$PS_XDG/$PS_NAME
	PS_FLAGS=(--root "$PS_WORK/graph" --runroot "$PS_WORK/run" --tmpdir "$PS_WORK/tmp"
		--storage-driver "${PODMAN_STORAGE_DRIVER:-overlay}")
	PS_LOG_SEEN=${PS_LOG_SEEN:-0}
	PS_LOG_START=${PS_LOG_START:-0}
}

# ps_setup RUNTIME [--hide-cgroup2]: a new work directory owned by the user,
# the runtime's wrapper, the image.  Exports PS_WORK, PS_RUNTIME, PS_HIDE_CGROUP2.
ps_setup() {
	export PS_RUNTIME PS_HIDE_CGROUP2="" PS_WORK
	PS_RUNTIME=$(realpath -m "$1")
	[ "${2:-}" = --hide-cgroup2 ] && PS_HIDE_CGROUP2=1
	[ -x "$PS_RUNTIME" ] || { echo "runtime \`$PS_RUNTIME\` not found" >&2; return 1; }
	PS_WORK=$(mktemp -d /tmp/urun-podman.XXXXXX) || return 1
	ps_init || return 1
	[ -d "$PS_XDG" ] || { echo "no $PS_XDG (run tests/setup.sh)" >&2; return 1; }
	chmod 755 "$PS_WORK"
	mkdir -p "$PS_WORK"/{bin,vol,www}
	# `podman system reset` makes ~/.config/containers/podman: ps_teardown
	# removes them again when they were not there.
	[ -d "$PS_HOME/.config/containers" ] || : >"$PS_WORK/home-containers.absent"
	: >"$PS_WORK/empty"
	: >"$PS_WORK/runtime.log"
	ps_write_wrapper
	ps_make_tarball || return 1
	[ "$EUID" -ne 0 ] || chown -R "$PS_UID:$PS_GID" "$PS_WORK"
	ps_import_image
}

# The runtime as podman sees it: $PS_WORK/bin/NAME logs "ARGS" and execs it.
ps_write_wrapper() {
	local w="$PS_WORK/bin/$PS_NAME" controllers=/sys/fs/cgroup/unified/cgroup.controllers
	{
		echo '#!/bin/bash'
		printf 'echo "$*" >>%q\n' "$PS_WORK/runtime.log"
		if [ -n "$PS_HIDE_CGROUP2" ] && [ -e "$controllers" ]; then
			printf 'exec unshare -m sh -c %q %q "$@"\n' \
				"mount --bind $PS_WORK/empty $controllers && exec $PS_RUNTIME \"\$@\"" "$PS_NAME"
		else
			printf 'exec %q "$@"\n' "$PS_RUNTIME"
		fi
	} >"$w"
	chmod 755 "$w"
}

# The busybox rootfs as a tarball owned by root, from a cached bundle we can
# read, else from one built by make-bundle.sh.
ps_make_tarball() {
	local rootfs tar="$PS_WORK/busybox.tar"
	for rootfs in "$PS_CACHE/bundle/rootfs" "$PS_CACHE/bundle-rootless-$PS_USER/rootfs" ""; do
		if [ -z "$rootfs" ]; then
			"$PS_TESTS_DIR/make-bundle.sh" "$PS_WORK/bundle" >&2 || return 1
			rootfs="$PS_WORK/bundle/rootfs"
		fi
		[ -x "$rootfs/bin/busybox" ] || continue
		if tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -cf "$tar" . 2>/dev/null; then
			rm -rf -- "$PS_WORK/bundle"
			return 0
		fi
	done
	echo "cannot make an image tarball" >&2
	return 1
}

ps_import_image() {
	local out
	pod image exists "$PS_IMAGE" 2>/dev/null && return 0
	out=$(pod import --change 'CMD ["/bin/sh"]' "$PS_WORK/busybox.tar" "$PS_IMAGE" 2>&1) ||
		{ echo "$out" >&2; return 1; }
}

# ps_teardown: podman's own reset, then the work directory; puts back the
# user's containers.conf.
ps_teardown() {
	[ -n "${PS_WORK:-}" ] && [ -d "$PS_WORK" ] || return 0
	ps_init
	ps_after_scenario
	pod system reset -f >/dev/null 2>&1 || true
	ps_kill_leftovers
	if [ -e "$PS_WORK/home-containers.absent" ]; then
		rmdir -- "$PS_HOME/.config/containers/podman" "$PS_HOME/.config/containers" 2>/dev/null || true
	fi
	if [ "$EUID" -eq 0 ]; then
		rm -rf -- "$PS_WORK"
	else
		pod unshare rm -rf -- "$PS_WORK" 2>/dev/null || rm -rf -- "$PS_WORK"
	fi
}

# After the reset: wait up to 10 s for podman's processes of this work
# directory (conmon, its exit command) to go, then kill what is left, the
# containers (conmon's children) first, so that nothing runs on and writes
# into a removed directory.
ps_kill_leftovers() {
	local p c left
	ps_retry eval '[ -z "$(procs_of_work)" ]' && return 0
	left=$(procs_of_work)
	echo "podman-scenarios: killing what podman left: $(echo $left)" >&2
	for p in $left; do
		for c in $(pgrep -P "$p"); do
			kill -KILL "$c" 2>/dev/null || true
		done
		kill -KILL "$p" 2>/dev/null || true
	done
	return 0
}

# ---------------------------------------------------------------------------
# Running podman

# Print "$@" quoted for a shell, run as the test user with a clean
# environment (setpriv when we are root).
ps_user_cmdline() {
	local env=(PATH="$PS_PATH" HOME="$PS_HOME" USER="$PS_USER" LOGNAME="$PS_USER"
		XDG_RUNTIME_DIR="$PS_XDG" TERM="${TERM:-xterm}") v pre=()
	# Sanitizer settings of tests/run-all.sh's ASan pass must reach the runtime.
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		[ -n "${!v:-}" ] && env+=("$v=${!v}")
	done
	[ "$EUID" -eq 0 ] && pre=(setpriv --reuid="$PS_UID" --regid="$PS_GID" --init-groups)
	printf '%q ' "${pre[@]}" env -i "${env[@]}" "$@"
}

ps_as_user() {
	eval "$(ps_user_cmdline "$@")"
}

# pod ARGS: podman with the test storage and the runtime under test.
pod() {
	ps_as_user podman "${PS_FLAGS[@]}" --runtime "$PS_WORK/bin/$PS_NAME" "$@"
}

# pod_conf ARGS: podman with the test storage; the runtime comes from
# containers.conf.
pod_conf() {
	ps_as_user podman "${PS_FLAGS[@]}" "$@"
}

# pod_run [pod_conf] ARGS: run podman, set POD_STATUS, POD_OUT, POD_ERR and
# log the command, its results and the runtime calls it made to stderr
# (bats shows it when a test fails).  stdin is $POD_STDIN or /dev/null.
pod_run() {
	local fn=pod out err
	[ "$1" = pod_conf ] && { fn=pod_conf; shift; }
	out=$(mktemp "$PS_WORK/out.XXXXXX")
	err=$(mktemp "$PS_WORK/err.XXXXXX")
	POD_STATUS=0
	"$fn" "$@" <"${POD_STDIN:-/dev/null}" >"$out" 2>"$err" || POD_STATUS=$?
	POD_OUT=$(cat "$out")
	POD_ERR=$(cat "$err")
	rm -f -- "$out" "$err"
	POD_CMD="podman $*"
	{
		echo "\$ $POD_CMD  (status $POD_STATUS)"
		[ -n "$POD_OUT" ] && sed 's/^/  out: /' <<<"$POD_OUT"
		[ -n "$POD_ERR" ] && sed 's/^/  err: /' <<<"$POD_ERR"
		tail -n +$((PS_LOG_SEEN + 1)) "$PS_WORK/runtime.log" | sed "s/^/  $PS_NAME: /"
	} >&2
	PS_LOG_SEEN=$(wc -l <"$PS_WORK/runtime.log")
	if grep -qE 'ERROR: (Address|Leak|Memory)Sanitizer|:[0-9]+:[0-9]+: runtime error: ' <<<"$POD_ERR"; then
		ps_fail "sanitizer error from the runtime"
	fi
	return 0
}

# ---------------------------------------------------------------------------
# Checks: each returns 1 with a message, which ends the scenario (set -e).

ps_fail() {
	echo "FAILED: $*" >&2
	return 1
}

expect_status() {
	[ "$POD_STATUS" -eq "$1" ] || ps_fail "$POD_CMD: status $POD_STATUS, expected $1"
}

# expect_out ERE / expect_err ERE: a line of stdout / stderr matches.
expect_out() {
	grep -qE -- "$1" <<<"$POD_OUT" || ps_fail "$POD_CMD: stdout does not match \`$1\`"
}

expect_err() {
	grep -qE -- "$1" <<<"$POD_ERR" || ps_fail "$POD_CMD: stderr does not match \`$1\`"
}

# Podman logs its own failed cleanups ("Removing container ... after
# creation failed") at level error.
expect_no_podman_error() {
	! grep -q 'level=error' <<<"$POD_ERR" || ps_fail "$POD_CMD: podman logged an error"
}

# ps_note TEXT: the scenario passed in a way the table should explain.
ps_note() {
	echo "$*" >"$PS_WORK/note"
}

# ps_skip WHY: bats' skip in a test, else exit 77 from the scenario's subshell.
ps_skip() {
	if [ -n "${BATS_TEST_NAME:-}" ]; then
		skip "$1"
	fi
	echo "$1" >"$PS_WORK/skip"
	exit 77
}

# Wait up to 10 s for CMD... to succeed.
ps_retry() {
	local i
	for ((i = 0; i < 100; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

pid_gone() {
	[ ! -d "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# The container IDs the runtime was called with in this scenario.
runtime_ids() {
	tail -n +$((PS_LOG_START + 1)) "$PS_WORK/runtime.log" | grep -oE '\b[0-9a-f]{64}\b' | sort -u
}

# Fail if the runtime's state root still holds one of the IDs in runtime.log.
expect_no_runtime_state() {
	local id left=""
	for id in $(runtime_ids); do
		[ -e "$PS_STATE_ROOT/$id" ] && left+=" $id"
	done
	[ -z "$left" ] || ps_fail "left in $PS_STATE_ROOT:$left"
}

# A free TCP port on 127.0.0.1.
free_port() {
	local port
	for port in $(shuf -i 20000-40000 -n 20); do
		ss -Htln "sport = :$port" | grep -q . || { echo "$port"; return 0; }
	done
	return 1
}

# ---------------------------------------------------------------------------
# Scenarios: scenario_NAME for each name in PS_SCENARIOS.

scenario_run_rm() {
	pod_run run --rm --name ps-rm "$PS_IMAGE" sh -c 'echo out; echo err >&2; exit 3'
	expect_status 3
	[ "$POD_OUT" = out ] || ps_fail "stdout is \`$POD_OUT\`, expected \`out\`"
	expect_err '^err$'

	printf 'line one\nline two\n' >"$PS_WORK/stdin"
	POD_STDIN="$PS_WORK/stdin" pod_run run --rm -i "$PS_IMAGE" sh -c 'cat; echo done'
	expect_status 0
	[ "$POD_OUT" = $'line one\nline two\ndone' ] || ps_fail "stdin did not come through"

	pod_run ps -a --format '{{.Names}}'
	! grep -q ps-rm <<<"$POD_OUT" || ps_fail "container ps-rm is still there"
	expect_no_runtime_state
}

scenario_exit_codes() {
	local cmd want
	for cmd in /nonexistent:127 nonexistent-command:127 /etc:126 /etc/passwd:126; do
		want=${cmd##*:}
		pod_run run --rm "$PS_IMAGE" "${cmd%:*}"
		expect_status "$want"
		expect_no_podman_error
	done
	pod_run ps -a -q
	[ -z "$POD_OUT" ] || ps_fail "containers left: $POD_OUT"
	expect_no_runtime_state
}

scenario_detached() {
	local id start
	pod_run run -d --name ps-d "$PS_IMAGE" \
		sh -c 'echo started; trap "echo stopping; exit 0" TERM; while :; do sleep 0.1; done'
	expect_status 0
	id=$POD_OUT
	ps_retry eval 'pod logs ps-d 2>/dev/null | grep -q started' || ps_fail "no \`started\` in the logs"
	pod_run ps --format '{{.Names}} {{.Status}}'
	expect_out '^ps-d Up'

	start=$SECONDS
	pod_run stop -t 10 ps-d
	expect_status 0
	((SECONDS - start < 8)) || ps_fail "stop took $((SECONDS - start)) s: SIGTERM did not stop it"
	pod_run logs ps-d
	expect_out '^stopping$'
	pod_run inspect --format '{{.State.Status}} {{.State.ExitCode}}' ps-d
	[ "$POD_OUT" = "exited 0" ] || ps_fail "state after stop: \`$POD_OUT\`"

	pod_run rm ps-d
	expect_status 0
	pod_run ps -a -q --no-trunc
	! grep -q "$id" <<<"$POD_OUT" || ps_fail "container still listed after rm"
	expect_no_runtime_state
}

scenario_exec() {
	pod_run run -d --name ps-e "$PS_IMAGE" sh -c "$PS_WAIT_CMD"
	expect_status 0

	pod_run exec -u 1000:1000 -w /tmp -e FOO=bar ps-e sh -c 'id -u; id -g; pwd; echo "$FOO"'
	expect_status 0
	[ "$POD_OUT" = $'1000\n1000\n/tmp\nbar' ] || ps_fail "exec -u -w -e printed \`$POD_OUT\`"
	pod_run exec ps-e sh -c 'id -u; pwd'
	[ "$POD_OUT" = $'0\n/' ] || ps_fail "plain exec printed \`$POD_OUT\`"

	printf 'to exec\n' >"$PS_WORK/stdin"
	POD_STDIN="$PS_WORK/stdin" pod_run exec -i ps-e cat
	[ "$POD_OUT" = "to exec" ] || ps_fail "exec -i printed \`$POD_OUT\`"

	pod_run exec ps-e sh -c 'exit 5'
	expect_status 5
	pod_run exec ps-e /nonexistent
	expect_status 127

	pod_run top ps-e args
	[ "$(grep -c . <<<"$POD_OUT")" -eq 3 ] || ps_fail "exec left processes behind"
	pod_run rm -f -t 5 ps-e
	expect_status 0
}

scenario_exec_tty() {
	pod_run run -d --name ps-t "$PS_IMAGE" sh -c "$PS_WAIT_CMD"
	expect_status 0
	pod_run exec -t ps-t sh -c 'tty; test -t 0 && echo stdin-tty; exit 6'
	expect_status 6
	expect_out '^/dev/pts/[0-9]+'
	expect_out 'stdin-tty'
	pod_run exec ps-t sh -c 'tty'
	expect_out 'not a tty'
	pod_run rm -f -t 5 ps-t
	expect_status 0
}

scenario_read_only() {
	pod_run run --rm --read-only "$PS_IMAGE" sh -c \
		'touch /x; echo "rc=$?"; touch /tmp/y && echo tmp-ok; awk "\$5 == \"/\" { print \$6 }" /proc/self/mountinfo'
	expect_status 0
	expect_err 'Read-only file system'
	expect_out '^rc=1$'
	expect_out '^tmp-ok$'
	expect_out '^ro(,|$)'
}

scenario_userns_keep_id() {
	rm -f -- "$PS_WORK/vol/f"
	pod_run run --rm --userns=keep-id -v "$PS_WORK/vol:/vol" "$PS_IMAGE" \
		sh -c 'id -u; id -g; id -un; touch /vol/f'
	expect_status 0
	[ "$POD_OUT" = "$PS_UID"$'\n'"$PS_GID"$'\n'"$PS_USER" ] || ps_fail "ids: \`$POD_OUT\`"
	[ "$(stat -c %u:%g "$PS_WORK/vol/f")" = "$PS_UID:$PS_GID" ] ||
		ps_fail "the file made in the volume is not the user's"
}

scenario_network_none() {
	pod_run run --rm --network none "$PS_IMAGE" sh -c 'ls /sys/class/net; ip -o link show lo'
	expect_status 0
	[ "$(head -1 <<<"$POD_OUT")" = lo ] && [ "$(grep -vc ': lo:' <<<"$POD_OUT")" -eq 1 ] ||
		ps_fail "interfaces besides lo: \`$POD_OUT\`"
}

scenario_network_slirp4netns() {
	local port hport httpd
	command -v slirp4netns >/dev/null || ps_skip "slirp4netns is not installed"
	[ -c /dev/net/tun ] || ps_skip "no /dev/net/tun"
	echo "hello from the host" >"$PS_WORK/www/hello.txt"
	port=$(free_port) || ps_fail "no free port"
	busybox httpd -f -p "127.0.0.1:$port" -h "$PS_WORK/www" &
	httpd=$!
	echo "$httpd" >"$PS_WORK/httpd.pid"
	pod_run run --rm --network slirp4netns:allow_host_loopback=true "$PS_IMAGE" \
		sh -c "ip -4 -o addr show tap0; wget -q -O- http://10.0.2.2:$port/hello.txt"
	kill "$httpd" 2>/dev/null || true
	wait "$httpd" 2>/dev/null || true
	rm -f -- "$PS_WORK/httpd.pid"
	expect_status 0
	expect_out 'inet 10\.0\.2\.100/'
	expect_out '^hello from the host$'

	hport=$(free_port) || ps_fail "no free port"
	pod_run run -d --name ps-web --network slirp4netns -p "127.0.0.1:$hport:8080" "$PS_IMAGE" \
		sh -c 'mkdir /www && echo "hello from the container" >/www/i.txt && exec httpd -f -p 8080 -h /www'
	expect_status 0
	ps_retry eval "busybox wget -q -O- http://127.0.0.1:$hport/i.txt 2>/dev/null | grep -q 'hello from the container'" ||
		ps_fail "published port $hport does not answer"
	pod_run rm -f -t 0 ps-web
}

scenario_ps_inspect_top() {
	local pid
	pod_run run -d --name ps-p "$PS_IMAGE" sh -c "$PS_WAIT_CMD"
	expect_status 0
	pod_run ps --format '{{.Names}}|{{.Status}}|{{.Command}}'
	expect_out '^ps-p\|Up .*\|sh -c trap'
	pod_run inspect --format '{{.State.Status}}|{{.State.Running}}|{{.OCIRuntime}}|{{.State.Pid}}' ps-p
	# OCIRuntime is the runtime's name, or its path when given as --runtime PATH.
	expect_out "^running\|true\|(.*/)?$PS_NAME\|[1-9][0-9]*$"
	pid=${POD_OUT##*|}
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sh ] || ps_fail "inspect's pid $pid is not the container's sh"
	pod_run top ps-p pid hpid args
	expect_status 0
	expect_out "^1 +$pid +sh -c trap"
	expect_out 'sleep 1000'
	pod_run rm -f -t 5 ps-p
	expect_status 0
	ps_retry pid_gone "$pid" || ps_fail "process $pid outlived rm -f"
}

scenario_pause_unpause() {
	pod_run run -d --name ps-pa "$PS_IMAGE" sh -c "$PS_WAIT_CMD"
	expect_status 0
	pod_run pause ps-pa
	if [ "$POD_STATUS" -ne 0 ]; then
		# Rootless podman on cgroup v1 runs containers without a cgroup: it
		# must say so itself, without calling the runtime.
		expect_err 'can not pause containers on rootless containers with cgroup V1'
		! tail -1 "$PS_WORK/runtime.log" | grep -q '^pause' || ps_fail "podman called the runtime's pause"
		pod_run unpause ps-pa
		expect_err 'unpause is not supported for cgroupv1 rootless containers'
		ps_note "refused by podman"
	else
		pod_run inspect --format '{{.State.Status}}' ps-pa
		[ "$POD_OUT" = paused ] || ps_fail "state after pause: \`$POD_OUT\`"
		pod_run unpause ps-pa
		expect_status 0
		pod_run inspect --format '{{.State.Status}}' ps-pa
		[ "$POD_OUT" = running ] || ps_fail "state after unpause: \`$POD_OUT\`"
	fi
	pod_run rm -f -t 5 ps-pa
	expect_status 0
}

# tmux TMUX-ARGS: our own server, on a socket in the work directory.
ps_tmux() {
	tmux -S "$PS_WORK/tmux.sock" "$@"
}

pane_has() {
	ps_tmux capture-pane -p -t ps-it | grep -qE -- "$1"
}

scenario_run_it() {
	command -v tmux >/dev/null || ps_skip "tmux is not installed"
	{
		ps_user_cmdline podman "${PS_FLAGS[@]}" --runtime "$PS_WORK/bin/$PS_NAME" \
			run -it --rm --name ps-it "$PS_IMAGE" sh
		# The pane stays, for capture-pane to show why podman ended.
		printf '\necho $? >%q\nsleep 60\n' "$PS_WORK/it.status"
	} >"$PS_WORK/it.sh"
	rm -f -- "$PS_WORK/it.status"
	ps_tmux new-session -d -s ps-it -x 100 -y 30 "bash $PS_WORK/it.sh"
	ps_retry pane_has '^/ #' || ps_fail "no shell prompt: $(ps_tmux capture-pane -p -t ps-it)"
	ps_tmux send-keys -t ps-it 'tty; stty size; echo "got-$((6 * 7))"' Enter
	ps_retry pane_has '^got-42$' || ps_fail "no answer: $(ps_tmux capture-pane -p -t ps-it)"
	pane_has '^/dev/pts/0$' || ps_fail "the shell's terminal is not /dev/pts/0"
	pane_has '^30 100$' || ps_fail "the terminal is not 30x100"
	ps_tmux resize-window -t ps-it -x 90 -y 25
	ps_tmux send-keys -t ps-it 'stty size' Enter
	ps_retry pane_has '^25 90$' || ps_fail "resize did not reach the container"
	ps_tmux send-keys -t ps-it 'exit 4' Enter
	ps_retry test -s "$PS_WORK/it.status" || ps_fail "podman run -it did not exit"
	[ "$(cat "$PS_WORK/it.status")" = 4 ] || ps_fail "exit status $(cat "$PS_WORK/it.status"), expected 4"
}

# containers.conf of the test user, saved to $PS_WORK/containers.conf.saved
# (or marked absent) and put back by ps_after_scenario.
ps_conf_path() {
	echo "$PS_HOME/.config/containers/containers.conf"
}

scenario_containers_conf() {
	local conf lock=/tmp/urun-podman-containers-conf.lock
	conf=$(ps_conf_path)
	# Runs from other checkouts share the user's file: one at a time.
	[ -e "$lock" ] || (umask 0 && : >>"$lock")
	exec {PS_CONF_LOCK}<"$lock"
	flock -w 120 "$PS_CONF_LOCK" || ps_fail "another run holds $lock"
	if [ -e "$conf" ]; then
		cp -p -- "$conf" "$PS_WORK/containers.conf.saved"
	else
		: >"$PS_WORK/containers.conf.absent"
	fi
	[ -d "$(dirname "$conf")" ] || : >"$PS_WORK/containers.dir.absent"
	ps_as_user mkdir -p "$(dirname "$conf")"
	ps_as_user tee "$conf" >/dev/null <<-EOF
		[engine]
		runtime = "$PS_NAME"
		# podman then passes --log-format=json --log FILE and reads errors there.
		runtime_supports_json = ["$PS_NAME"]

		[engine.runtimes]
		$PS_NAME = ["$PS_WORK/bin/$PS_NAME"]
	EOF
	pod_run pod_conf info --format '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}}'
	[ "$POD_OUT" = "$PS_NAME $PS_WORK/bin/$PS_NAME" ] || ps_fail "podman info: \`$POD_OUT\`"
	pod_run pod_conf run -d --name ps-c "$PS_IMAGE" sh -c "$PS_WAIT_CMD"
	expect_status 0
	tail -n 3 "$PS_WORK/runtime.log" | grep -q '^start ' || ps_fail "the wrapper was not called"
	pod_run pod_conf inspect --format '{{.OCIRuntime}}' ps-c
	[ "$POD_OUT" = "$PS_NAME" ] || ps_fail "inspect's OCIRuntime: \`$POD_OUT\`"
	pod_run pod_conf exec ps-c echo exec-via-conf
	expect_out '^exec-via-conf$'
	pod_run pod_conf exec ps-c /nonexistent
	expect_status 127
	expect_err '/nonexistent'
	grep -q -- '--log-format=json' "$PS_WORK/runtime.log" || ps_fail "podman did not ask for a JSON log"
	pod_run pod_conf rm -f -t 5 ps-c
	expect_status 0
	ps_conf_restore
	[ ! -e "$PS_WORK/containers.conf.saved" ] && [ ! -e "$PS_WORK/containers.conf.absent" ]
}

ps_conf_restore() {
	local conf
	conf=$(ps_conf_path)
	if [ -e "$PS_WORK/containers.conf.saved" ]; then
		cp -p -- "$PS_WORK/containers.conf.saved" "$conf"
		rm -f -- "$PS_WORK/containers.conf.saved"
	elif [ -e "$PS_WORK/containers.conf.absent" ]; then
		rm -f -- "$conf" "$PS_WORK/containers.conf.absent"
	fi
	# The directory too, with what podman made in it (an empty podman/).
	if [ -e "$PS_WORK/containers.dir.absent" ]; then
		rmdir -- "$(dirname "$conf")/podman" "$(dirname "$conf")" 2>/dev/null || true
		rm -f -- "$PS_WORK/containers.dir.absent"
	fi
	if [ -n "${PS_CONF_LOCK:-}" ]; then
		exec {PS_CONF_LOCK}<&-
		unset PS_CONF_LOCK
	fi
	return 0
}

# Processes of the user whose command line or cwd names the work directory
# (conmon, the container, slirp4netns, podman's exit command).
procs_of_work() {
	local p
	for p in $(pgrep -u "$PS_UID"); do
		pid_gone "$p" && continue
		{ tr '\0' ' ' <"/proc/$p/cmdline"; readlink "/proc/$p/cwd"; } 2>/dev/null |
			grep -q -- "$PS_WORK" && echo "$p"
	done
	return 0
}

# Mounts under the work directory, in the mount namespace of any process of
# the user (podman's pause process holds the overlay mounts) and in ours.
mounts_of_work() {
	local p
	for p in self $(pgrep -u "$PS_UID"); do
		# The process may be gone by now.
		awk -v d="$PS_WORK/" 'index($5, d) == 1 { print $5 }' "/proc/$p/mountinfo" 2>/dev/null || true
	done | sort -u
}

scenario_system_reset() {
	local pid left
	pod_run run -d --name ps-r "$PS_IMAGE" sh -c "$PS_WAIT_CMD"
	expect_status 0
	pod_run exec -d ps-r sleep 1000
	pod_run inspect --format '{{.State.Pid}}' ps-r
	pid=$POD_OUT
	[ -n "$(runtime_ids)" ] || ps_fail "no container ID in the runtime's log"
	# vfs copies layers: only overlay mounts the rootfs.
	[ "${PODMAN_STORAGE_DRIVER:-overlay}" != overlay ] || [ -n "$(mounts_of_work)" ] ||
		ps_fail "the container's rootfs is mounted nowhere (check broken)"

	pod_run system reset -f
	expect_status 0
	ps_retry pid_gone "$pid" || ps_fail "the container's init $pid is still alive"
	expect_no_runtime_state
	ps_retry eval '[ -z "$(procs_of_work)" ]' ||
		ps_fail "processes left: $(procs_of_work | xargs -r ps -o pid,args -p)"
	left=$(mounts_of_work)
	[ -z "$left" ] || ps_fail "mounts left: $left"
	for d in graph run tmp; do
		[ ! -e "$PS_WORK/$d" ] || ps_fail "$PS_WORK/$d is still there"
	done
}

# ---------------------------------------------------------------------------
# Driver

ps_before_scenario() {
	rm -f -- "$PS_WORK/note" "$PS_WORK/skip"
	PS_LOG_SEEN=$(wc -l <"$PS_WORK/runtime.log")
	PS_LOG_START=$PS_LOG_SEEN
	ps_import_image || ps_fail "cannot import $PS_IMAGE"
}

# Whatever a scenario may have left: containers, tmux, httpd, the user's
# containers.conf.
ps_after_scenario() {
	[ -n "${PS_WORK:-}" ] || return 0
	ps_conf_restore
	ps_tmux kill-server 2>/dev/null || true
	if [ -s "$PS_WORK/httpd.pid" ]; then
		kill "$(cat "$PS_WORK/httpd.pid")" 2>/dev/null || true
		rm -f -- "$PS_WORK/httpd.pid"
	fi
	if [ -d "$PS_WORK/graph" ]; then
		pod rm -a -f -t 0 >/dev/null 2>&1 || true
	fi
	return 0
}

# ps_scenario NAME: prepare and run one scenario in this shell (bats).
ps_scenario() {
	ps_before_scenario
	"scenario_${1//-/_}"
}

# ps_run_one NAME: run a scenario in a subshell with errexit, print its
# result line; its log is $PS_WORK/NAME.log.  Returns 0, 1 or 77.
ps_run_one() {
	local name=$1 rc
	(
		set -e
		ps_scenario "$name"
	) >"$PS_WORK/$name.log" 2>&1
	rc=$?
	ps_after_scenario
	case $rc in
	0)
		if [ -s "$PS_WORK/note" ]; then
			echo "ok $name # $(cat "$PS_WORK/note")"
		else
			echo "ok $name"
		fi
		;;
	77)
		echo "skip $name: $(cat "$PS_WORK/skip" 2>/dev/null)"
		;;
	*)
		echo "FAIL $name"
		sed 's/^/    /' "$PS_WORK/$name.log"
		rc=1
		;;
	esac
	return "$rc"
}

# ps_run_all RUNTIME [--hide-cgroup2] [SCENARIO...]
ps_run_all() {
	local runtime=$1 hide="" failed=0 name rc
	shift
	if [ "${1:-}" = --hide-cgroup2 ]; then
		hide=--hide-cgroup2
		shift
	fi
	[ $# -gt 0 ] || set -- "${PS_SCENARIOS[@]}"
	if ! ps_setup "$runtime" $hide; then
		echo "FAIL setup"
		ps_teardown
		return 1
	fi
	for name in "$@"; do
		if [ -z "${PS_WHAT[$name]:-}" ]; then
			echo "unknown scenario \`$name\`" >&2
			failed=1
			continue
		fi
		ps_run_one "$name"
		rc=$?
		[ "$rc" -eq 1 ] && failed=1
	done
	ps_teardown
	return "$failed"
}

# One column of the table: the name and version of the runtime.
ps_column_title() {
	local version
	version=$("$1" --version 2>/dev/null | head -1 | grep -oE '[0-9]+\.[0-9]+(\.[0-9]+)?' | head -1)
	printf '%s %s%s' "$(basename "$1")" "$version" "${2:+ in \`unshare -m\`}"
}

ps_table() {
	local runtimes=("$@") i spec name results=() line cell
	[ ${#runtimes[@]} -gt 0 ] ||
		runtimes=("$PS_TESTS_DIR/../build/urun" /usr/sbin/runc /usr/bin/crun "/usr/bin/crun --hide-cgroup2")
	printf '| scenario |'
	for spec in "${runtimes[@]}"; do
		# shellcheck disable=SC2086
		printf ' %s |' "$(ps_column_title $spec)"
	done
	printf '\n|---|'
	for spec in "${runtimes[@]}"; do printf -- '---|'; done
	printf '\n'
	for i in "${!runtimes[@]}"; do
		# shellcheck disable=SC2086
		results[i]=$(ps_run_all ${runtimes[i]} 2>&1 | grep -E '^(ok|FAIL|skip) ')
	done
	for name in "${PS_SCENARIOS[@]}"; do
		printf '| %s |' "${PS_WHAT[$name]}"
		for i in "${!runtimes[@]}"; do
			line=$(grep -E "^(ok|FAIL|skip) $name( |:|$)" <<<"${results[i]}")
			case $line in
			"ok $name # "*) cell=${line#"ok $name # "} ;;
			"ok $name") cell=ok ;;
			"skip $name"*) cell="skipped" ;;
			*) cell=fails ;;
			esac
			printf ' %s |' "$cell"
		done
		printf '\n'
	done
}

ps_main() {
	set -uo pipefail
	case ${1:-} in
	"" | -h | --help)
		sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
		[ -n "${1:-}" ]
		return
		;;
	--table)
		shift
		ps_table "$@"
		;;
	--hide-cgroup2)
		[ $# -ge 2 ] || { ps_main --help >&2; return 2; }
		local runtime=$2
		shift 2
		ps_run_all "$runtime" --hide-cgroup2 "$@"
		;;
	*)
		ps_run_all "$@"
		;;
	esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	ps_main "$@"
	exit
fi
