#!/usr/bin/env bats
# escapes: known container-breakout attacks, replayed against urun.  Each
# test names the CVE whose class it covers; every attack must fail, as root
# and rootless: urun refuses the container, or the container runs and the
# host (or the protected file) is untouched.
#
# CVE-2019-5736 (overwriting the runtime binary through /proc/self/exe or
# /proc/PID/exe) is covered by selfclone.bats: urun runs from a read-only
# clone of itself before it enters a container.

load helpers

teardown() {
	teardown_bundle
}

# A directory on the host holding a file `marker` with a secret.
host_secret_dir() {
	local dir
	dir=$(make_host_dir "$1")
	echo "host-secret-$BATS_TEST_NUMBER" >"$dir/marker"
	chmod 644 "$dir/marker"
	echo "$dir"
}

# chown_rootfs PATH...: give rootfs entries made here to the bundle's user
# (the rootless bundle's rootfs belongs to the test user).
chown_rootfs() {
	[ "$URUN_MODE" = rootless ] && [ "$EUID" -eq 0 ] && chown -h "$ROOTLESS_UID:$ROOTLESS_GID" "$@"
	return 0
}

# The container must have failed, or printed nothing of the host's secret.
no_secret() {
	if [ "$status" -eq 0 ] && [[ "$output" == *host-secret-* ]]; then
		echo "the container read the host's secret: $output" >&2
		return 1
	fi
}

# ---------------------------------------------------------------------------
# CVE-2024-21626: process.cwd /proc/self/fd/N through a host directory fd
# that leaked into the container.  Here the caller of urun leaks it: urun
# is started with fd N open on a host directory.

check_leaked_host_fd() {
	local dir n
	dir=$(host_secret_dir leak)
	set_cmd 'cat marker; cat ../marker; pwd'
	for n in 3 7 42; do
		update_config '.process.cwd = $cwd' --arg cwd "/proc/self/fd/$n"
		eval "runtime run c$n $n<\"\$dir\""
		no_secret
		[ "$status" -ne 0 ]
		check_nothing_left "c$n"
	done
	# Passed on on purpose (--preserve-fds): still not a way out of the root.
	update_config '.process.cwd = "/proc/self/fd/3"'
	runtime run --preserve-fds 1 cp 3<"$dir"
	no_secret
	[ "$status" -ne 0 ]
	check_nothing_left cp
	# exec --cwd, with the fd open in the caller of exec.
	update_config '.process.cwd = "/"'
	set_cmd_waiting
	runtime run -d c1
	[ "$status" -eq 0 ]
	runtime exec --cwd /proc/self/fd/9 c1 sh -c 'cat marker; cat ../marker' 9<"$dir"
	no_secret
	[ "$status" -ne 0 ]
	runtime delete --force c1
}

@test "escapes: CVE-2024-21626: cwd through a leaked host directory fd fails [root]" {
	setup_bundle
	check_leaked_host_fd
}

@test "escapes: CVE-2024-21626: cwd through a leaked host directory fd fails [rootless]" {
	setup_bundle --rootless
	check_leaked_host_fd
}

# ---------------------------------------------------------------------------
# CVE-2019-16884: a mount destination that a symlink in the image sends
# into /proc (there: over /proc/self/attr, past AppArmor), or out of the
# rootfs.

check_mount_through_symlink() {
	local target
	ln -s /proc "$BUNDLE/rootfs/evilproc"
	chown_rootfs "$BUNDLE/rootfs/evilproc"
	set_cmd 'true'
	update_config '.mounts += [{"destination": "/evilproc/sys", "type": "tmpfs", "source": "tmpfs"}]'
	runtime run c1
	expect_error 'mounts\[[0-9]+\] \(`tmpfs` on `/evilproc/sys`\): `/evilproc/sys` is on procfs'
	check_nothing_left c1

	update_config 'del(.mounts[-1])
		| .mounts += [{"destination": "/proc/self/attr", "type": "tmpfs", "source": "tmpfs"}]'
	runtime run c2
	[ "$status" -ne 0 ]
	check_nothing_left c2

	# Out of the rootfs: the symlink climbs to a host directory; the bind
	# must land inside the rootfs or nowhere.
	target=$(make_host_dir target)
	ln -s "../../../../../../../../..$target" "$BUNDLE/rootfs/out"
	chown_rootfs "$BUNDLE/rootfs/out"
	local src
	src=$(host_secret_dir src)
	update_config 'del(.mounts[-1])
		| .mounts += [{"destination": "/out", "type": "bind", "source": $src, "options": ["bind"]}]' --arg src "$src"
	runtime run c3
	[ -z "$(ls -A "$target")" ]
	[ -z "$(mounts_under "$target")" ]
	check_nothing_left c3
}

@test "escapes: CVE-2019-16884: a mount sent into /proc or out of the rootfs by a symlink fails [root]" {
	setup_bundle
	check_mount_through_symlink
}

@test "escapes: CVE-2019-16884: a mount sent into /proc or out of the rootfs by a symlink fails [rootless]" {
	setup_bundle --rootless
	check_mount_through_symlink
}

# ---------------------------------------------------------------------------
# CVE-2025-31133: the container's /dev/null replaced by a symlink (to a
# procfs file), for the runtime to bind over masked paths.  urun masks with
# the host's /dev/null, checked to be 1:3; the rootfs's own /dev is used
# (no tmpfs on /dev), so the symlink is there when urun masks.

check_dev_null_symlink() {
	local before
	before=$(cat /proc/sys/kernel/core_pattern)
	rm -f "$BUNDLE/rootfs/dev/null"
	mkdir -p "$BUNDLE/rootfs/dev"
	ln -s /proc/sys/kernel/core_pattern "$BUNDLE/rootfs/dev/null"
	chown_rootfs "$BUNDLE/rootfs/dev/null"
	update_config 'del(.mounts[] | select(.destination == "/dev"))
		| .linux.maskedPaths = ["/proc/timer_list", "/proc/keys"]'
	set_cmd 'stat -c "%t:%T" /proc/timer_list; echo "|/bin/evil" > /proc/timer_list; echo "|/bin/evil" > /dev/null; true'
	runtime run c1
	if [ "$status" -eq 0 ]; then
		[ "${lines[0]}" = "1:3" ]
	fi
	[ "$(cat /proc/sys/kernel/core_pattern)" = "$before" ]
	check_nothing_left c1
}

@test "escapes: CVE-2025-31133: a /dev/null symlink does not mask with a procfs file [root]" {
	setup_bundle
	check_dev_null_symlink
}

@test "escapes: CVE-2025-31133: a /dev/null symlink does not mask with a procfs file [rootless]" {
	setup_bundle --rootless
	check_dev_null_symlink
}

@test "escapes: CVE-2025-31133: a maskedPaths entry that is a symlink out of the root hides nothing of the host [root]" {
	setup_bundle
	local target
	target=$(host_secret_dir masktarget)
	ln -s "../../../../../../../..$target/marker" "$BUNDLE/rootfs/masked"
	update_config '.linux.maskedPaths += ["/masked"]'
	set_cmd 'cat /masked; true'
	runtime run c1
	no_secret
	# The host file is untouched and nothing is mounted over it.
	grep -q host-secret "$target/marker"
	[ -z "$(mounts_under "$target")" ]
	check_nothing_left c1
}

# ---------------------------------------------------------------------------
# CVE-2025-52565: /dev/console made a symlink to a procfs file, so that the
# runtime binds the pty over it.

RECVTTY="$INTEGRATION_ROOT/../../build/tests/unit/recvtty"

check_console_symlink() {
	[ -x "$RECVTTY" ] || skip "test requires build/tests/unit/recvtty"
	local sock
	sock="$(make_host_dir console)/console.sock"
	rm -f "$BUNDLE/rootfs/dev/console"
	mkdir -p "$BUNDLE/rootfs/dev"
	ln -s /proc/sys/kernel/core_pattern "$BUNDLE/rootfs/dev/console"
	chown_rootfs "$BUNDLE/rootfs/dev/console"
	update_config '.process.terminal = true | del(.mounts[] | select(.destination == "/dev"))'
	set_cmd 'stat -f -c %T /proc/sys/kernel/core_pattern'
	if [ "$URUN_MODE" = rootless ]; then
		as_rootless "$RECVTTY" "$sock" "" >"$BATS_TEST_TMPDIR/console.out" 2>&1 &
	else
		"$RECVTTY" "$sock" "" >"$BATS_TEST_TMPDIR/console.out" 2>&1 &
	fi
	track_pid $!
	for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
	runtime create --console-socket "$sock" c1
	expect_error '`/dev/console` leads to procfs'
	check_nothing_left c1
}

@test "escapes: CVE-2025-52565: a /dev/console symlink into /proc gets no pty bound over it [root]" {
	setup_bundle
	check_console_symlink
}

@test "escapes: CVE-2025-52565: a /dev/console symlink into /proc gets no pty bound over it [rootless]" {
	setup_bundle --rootless
	check_console_symlink
}

# ---------------------------------------------------------------------------
# CVE-2025-52881: procfs writes (sysctl, oom_score_adj) redirected through
# mounts the container controls: a tmpfs instead of proc on /proc, or a
# /proc that is a symlink.

check_procfs_redirect() {
	# A tmpfs where proc should be, with the files urun would write.
	update_config '(.mounts[] | select(.destination == "/proc")) |= {"destination": "/proc", "type": "tmpfs", "source": "tmpfs"}
		| .linux.sysctl = {"kernel.shmmax": "12345"} | .linux.maskedPaths = [] | .linux.readonlyPaths = []'
	set_cmd 'true'
	runtime run c1
	expect_error 'kernel.shmmax|/proc/sys'
	check_nothing_left c1

	# /proc in the image a symlink: proc is mounted where it leads, and the
	# sysctl still reaches the kernel (the container's ipc namespace).
	update_config '(.mounts[] | select(.destination == "/proc")) |= {"destination": "/proc", "type": "proc", "source": "proc"}'
	rmdir "$BUNDLE/rootfs/proc" 2>/dev/null || rm -rf "$BUNDLE/rootfs/proc"
	mkdir -p "$BUNDLE/rootfs/fakeproc/sys/kernel"
	echo 1 >"$BUNDLE/rootfs/fakeproc/sys/kernel/shmmax"
	ln -s fakeproc "$BUNDLE/rootfs/proc"
	chown_rootfs "$BUNDLE/rootfs/proc" "$BUNDLE/rootfs/fakeproc" "$BUNDLE/rootfs/fakeproc/sys" \
		"$BUNDLE/rootfs/fakeproc/sys/kernel" "$BUNDLE/rootfs/fakeproc/sys/kernel/shmmax"
	set_cmd 'cat /proc/sys/kernel/shmmax; stat -f -c %T /proc/sys/kernel/shmmax'
	runtime run c2
	if [ "$status" -eq 0 ]; then
		[ "${lines[0]}" = 12345 ]
		[ "${lines[1]}" = proc ]
	fi
	# Nothing was written into the image's fake file.
	[ "$(cat "$BUNDLE/rootfs/fakeproc/sys/kernel/shmmax" 2>/dev/null || echo 1)" = 1 ]
	check_nothing_left c2
}

@test "escapes: CVE-2025-52881: sysctl writes through a fake or symlinked /proc fail or reach the kernel [root]" {
	setup_bundle
	check_procfs_redirect
}

@test "escapes: CVE-2025-52881: sysctl writes through a fake or symlinked /proc fail or reach the kernel [rootless]" {
	setup_bundle --rootless
	check_procfs_redirect
}

# exec sets oomScoreAdj after joining the container's mount namespace: a
# container that mounted a tmpfs over its /proc offers a fake file.
check_exec_oom_redirect() {
	update_config '.process.capabilities |= map_values(. + ["CAP_SYS_ADMIN"])'
	update_config '.process.oomScoreAdj = 500 | .linux.maskedPaths = [] | .linux.readonlyPaths = []'
	set_cmd 'mount -t tmpfs tmpfs /proc && mkdir -p /proc/self && echo 0 > /proc/self/oom_score_adj && '"$WAIT_CMD"
	runtime run -d c1
	[ "$status" -eq 0 ]
	sleep 0.5
	runtime exec c1 true
	# Either exec refused the fake file, or it wrote the real one (and the
	# fake one is untouched).
	local pid
	pid=$(container_pid c1)
	[ "$(cat "/proc/$pid/root/proc/self/oom_score_adj")" = 0 ]
	runtime delete --force c1
	check_nothing_left c1
}

@test "escapes: CVE-2025-52881: exec's oomScoreAdj is not written into a tmpfs over the container's /proc [root]" {
	setup_bundle
	check_exec_oom_redirect
}

@test "escapes: CVE-2025-52881: exec's oomScoreAdj is not written into a tmpfs over the container's /proc [rootless]" {
	setup_bundle --rootless
	check_exec_oom_redirect
}

# ---------------------------------------------------------------------------
# A hostile rootfs: /proc, /sys and /dev are symlinks climbing out of it.
# Every mount lands inside the rootfs (openat2 RESOLVE_IN_ROOT) or fails;
# the host's directories get nothing.

check_hostile_rootfs() {
	local d out
	out=$(make_host_dir outside)
	for d in proc sys dev; do
		rm -rf "${BUNDLE:?}/rootfs/$d"
		mkdir -p "$out/$d"
		ln -s "../../../../../../../../..$out/$d" "$BUNDLE/rootfs/$d"
		chown_rootfs "$BUNDLE/rootfs/$d"
	done
	set_cmd 'ls /proc/self/status >/dev/null && echo proc-ok'
	runtime run c1
	for d in proc sys dev; do
		[ -z "$(ls -A "$out/$d")" ]
	done
	[ -z "$(mounts_under "$out")" ]
	check_nothing_left c1
}

@test "escapes: hostile rootfs with /proc, /sys and /dev symlinked out of it [root]" {
	setup_bundle
	check_hostile_rootfs
}

@test "escapes: hostile rootfs with /proc, /sys and /dev symlinked out of it [rootless]" {
	setup_bundle --rootless
	check_hostile_rootfs
}
