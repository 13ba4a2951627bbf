#!/usr/bin/env bats
# The container's filesystem: read-only root, masked and read-only paths,
# tmpfs and bind mounts, /dev, hostname and sysctls.

load helpers

teardown() {
	teardown_bundle
}

check_readonly_root() {
	set_cmd 'touch /x'
	runtime run c1
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"Read-only file system"* ]]
	[ ! -e "$BUNDLE/rootfs/x" ]

	# /tmp is not a mount here: it is part of the read-only root too.
	update_config '.root.readonly = false'
	set_cmd 'touch /x && echo ok'
	runtime run c2
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	[ -e "$BUNDLE/rootfs/x" ]
}

@test "mounts: root.readonly [root]" {
	setup_bundle
	check_readonly_root
}

@test "mounts: root.readonly [rootless]" {
	setup_bundle --rootless
	check_readonly_root
}

# A masked file reads empty, a masked directory is an empty tmpfs.
check_masked_paths() {
	local file="" f
	# Files in /proc have size 0: read a byte to know whether one is empty.
	for f in /proc/timer_list /proc/keys /proc/sched_debug; do
		if [ -n "$(head -c 1 "$f" 2>/dev/null)" ]; then
			file=$f
			break
		fi
	done
	[ -n "$file" ] || skip "no non-empty masked file in the host's /proc"
	[ -n "$(ls -A /sys/firmware)" ] || skip "/sys/firmware is empty on the host"
	set_cmd 'echo "$(wc -c < $0)"; ls -A /sys/firmware | wc -l; echo x > /sys/firmware/y'
	update_config '.process.args += [$f]' --arg f "$file"
	runtime run c1
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$status" -ne 0 ]
}

@test "mounts: maskedPaths [root]" {
	setup_bundle
	check_masked_paths
}

@test "mounts: maskedPaths [rootless]" {
	setup_bundle --rootless
	check_masked_paths
}

@test "mounts: readonlyPaths" {
	setup_bundle
	set_cmd 'cat /proc/sys/kernel/hostname && echo x > /proc/sys/kernel/domainname'
	runtime run c1
	[ "$status" -ne 0 ]
	[ "$output" = urun ]
	[[ "$stderr" == *"Read-only file system"* ]]
}

check_tmpfs_options() {
	update_config '.mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
		"options": ["size=1m", "mode=0710", "nosuid", "nodev"]}]'
	set_cmd 'stat -c %a /scratch; df -k /scratch | tail -n 1; grep " /scratch " /proc/self/mountinfo'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 710 ]
	[ "$(awk '{ print $2 }' <<<"${lines[1]}")" -eq 1024 ]
	[[ "${lines[2]}" == *nosuid* ]]
	[[ "${lines[2]}" == *nodev* ]]
	[[ "${lines[2]}" == *" tmpfs "* ]]
}

@test "mounts: tmpfs with size and mode [root]" {
	setup_bundle
	check_tmpfs_options
}

@test "mounts: tmpfs with size and mode [rootless]" {
	setup_bundle --rootless
	check_tmpfs_options
}

check_bind_mounts() {
	local dir
	dir=$(make_host_dir hostdir)
	echo from-host >"$dir/file"
	update_config '.mounts += [
		{"destination": "/ro", "type": "bind", "source": $dir, "options": ["rbind", "ro"]},
		{"destination": "/rw", "type": "bind", "source": $dir, "options": ["rbind", "rw"]}]' \
		--arg dir "$dir"
	set_cmd 'cat /ro/file; touch /ro/new 2>&1; echo from-container > /rw/new && echo written'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-host ]
	[[ "${lines[1]}" == *"Read-only file system"* ]]
	[ "${lines[2]}" = written ]
	[ "$(cat "$dir/new")" = from-container ]
	check_nothing_left c1
}

@test "mounts: bind mounts of a host directory, ro and rw [root]" {
	setup_bundle
	check_bind_mounts
}

@test "mounts: bind mounts of a host directory, ro and rw [rootless]" {
	setup_bundle --rootless
	check_bind_mounts
}

@test "mounts: a bind-mounted file" {
	setup_bundle
	echo content >"$BATS_TEST_TMPDIR/one-file"
	update_config '.mounts += [{"destination": "/etc/one-file", "type": "bind", "source": $f, "options": ["bind", "ro"]}]' \
		--arg f "$BATS_TEST_TMPDIR/one-file"
	set_cmd 'cat /etc/one-file'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "$output" = content ]
}

check_dev() {
	set_cmd '
		for d in null zero full random urandom tty; do
			[ -c /dev/$d ] || echo "missing /dev/$d"
		done
		for l in fd stdin stdout stderr ptmx; do
			echo "$l -> $(readlink /dev/$l)"
		done
		echo hello > /dev/null && head -c 4 /dev/zero | wc -c
		[ -d /dev/pts ] && [ -d /dev/shm ] && [ -d /dev/mqueue ] && echo dirs'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "$output" = "fd -> /proc/self/fd
stdin -> /proc/self/fd/0
stdout -> /proc/self/fd/1
stderr -> /proc/self/fd/2
ptmx -> pts/ptmx
4
dirs" ]
}

@test "mounts: /dev devices and symlinks [root]" {
	setup_bundle
	check_dev
}

@test "mounts: /dev devices and symlinks [rootless]" {
	setup_bundle --rootless
	check_dev
}

@test "mounts: /proc shows the container's PID namespace" {
	setup_bundle
	set_cmd 'echo $$; ls /proc | grep -c "^[0-9]"'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" -le 3 ]
}

check_hostname() {
	update_config '.hostname = "box1"'
	set_cmd 'hostname; cat /proc/sys/kernel/hostname'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "$output" = "box1
box1" ]
	[ "$(hostname)" != box1 ]
}

@test "hostname [root]" {
	setup_bundle
	check_hostname
}

@test "hostname [rootless]" {
	setup_bundle --rootless
	check_hostname
}

@test "sysctl: kernel.domainname and net.ipv4.ip_forward" {
	setup_bundle
	local host_forward
	host_forward=$(cat /proc/sys/net/ipv4/ip_forward)
	update_config '.linux.sysctl = {"kernel.domainname": "example.org",
		"net.ipv4.ip_forward": (if $f == "1" then "0" else "1" end)}' --arg f "$host_forward"
	set_cmd 'cat /proc/sys/kernel/domainname /proc/sys/net/ipv4/ip_forward'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = example.org ]
	[ "${lines[1]}" = "$((1 - host_forward))" ]
	# The host's values are untouched.
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_forward" ]
	[ "$(cat /proc/sys/kernel/domainname)" != example.org ]
}

@test "maskedPaths: a root container cannot chmod or chown the host's /dev/null through them [root]" {
	setup_bundle
	update_config '.process.capabilities.bounding += ["CAP_CHOWN", "CAP_FOWNER"]
		| .process.capabilities.effective += ["CAP_CHOWN", "CAP_FOWNER"]
		| .process.capabilities.permitted += ["CAP_CHOWN", "CAP_FOWNER"]'
	set_cmd 'chmod 600 /proc/keys; chown 1000 /proc/keys; true'
	local before
	before=$(stat -c '%a %u %g' /dev/null)
	runtime run c1
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"Read-only file system"* ]]
	[ "$(stat -c '%a %u %g' /dev/null)" = "$before" ]
}

# ---------------------------------------------------------------------------
# Mount namespaces urun does not make (sharedmnt.h): none of its own, or one
# joined by path. urun mounts nothing there; the root is still the rootfs.

no_mount_namespace() {
	update_config 'del(.linux.namespaces[] | select(.type == "mount")) | .root.readonly = false'
}

check_no_mount_namespace() {
	local pid
	no_mount_namespace
	echo rootfs-marker >"$BUNDLE/rootfs/marker"
	# Not WAIT_CMD: `sleep &` wants a /dev/null, and nothing made one.
	set_cmd 'while :; do sleep 1; done'
	runtime run -d c1
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"no mount namespace: the container shares the host's, where urun mounts nothing"* ]]
	pid=$(container_pid c1)
	# The host's mount namespace, the rootfs as root, no mount made.
	[ "$(readlink "/proc/$pid/ns/mnt")" = "$(readlink /proc/self/ns/mnt)" ]
	[ "$(readlink "/proc/$pid/root")" = "$(readlink -f "$BUNDLE/rootfs")" ]
	[ -z "$(mounts_under "$BUNDLE")" ]
	# exec enters the same root.
	runtime exec c1 cat /marker
	[ "$status" -eq 0 ]
	[ "$output" = rootfs-marker ]
	runtime delete --force c1
	[ "$status" -eq 0 ]
	check_nothing_left c1
}

@test "mounts: no mount namespace: the host's is shared, nothing mounted, the rootfs is the root [root]" {
	setup_bundle
	check_no_mount_namespace
}

@test "mounts: no mount namespace: the host's is shared, nothing mounted, the rootfs is the root [rootless]" {
	setup_bundle --rootless
	check_no_mount_namespace
}

@test "mounts: no mount namespace: what would need a mount over the container's view is an error" {
	requires urun
	setup_bundle
	no_mount_namespace
	update_config '.root.readonly = true'
	runtime run c1
	expect_error 'config.json: root.readonly needs a mount namespace of its own'
	update_config '.root.readonly = false | .linux.rootfsPropagation = "shared"'
	runtime run c1
	expect_error 'config.json: linux.rootfsPropagation needs a mount namespace of its own'
	echo secret >"$BUNDLE/rootfs/secret"
	update_config 'del(.linux.rootfsPropagation) | .linux.maskedPaths += ["/secret"]'
	runtime run c1
	expect_error 'config.json: linux.maskedPaths\[[0-9]+\]: `/secret` is in the rootfs, and without a mount namespace of its own urun cannot mount over it'
	check_nothing_left c1
}

@test "mounts: a joined mount namespace whose root is not the rootfs: the rootfs is entered, nothing mounted in it [root]" {
	local holder
	setup_bundle
	echo rootfs-marker >"$BUNDLE/rootfs/marker"
	unshare -m --propagation private sleep 1000 &
	holder=$!
	track_pid "$holder"
	# unshare has made its namespace once the link differs from ours.
	for ((i = 0; i < 50; i++)); do
		[ "$(readlink "/proc/$holder/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] && break
		sleep 0.1
	done
	update_config '(.linux.namespaces[] | select(.type == "mount")) |= {type: "mount", path: $p}
		| .root.readonly = false' --arg p "/proc/$holder/ns/mnt"
	set_cmd 'cat /marker'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "$output" = rootfs-marker ]
	# Nothing of urun's in the joined namespace.
	[ -z "$(awk -v d="$BUNDLE" 'index($5, d) == 1' "/proc/$holder/mountinfo")" ]
	kill "$holder"
	wait "$holder" 2>/dev/null || true
	check_nothing_left c1
}
