#!/usr/bin/env bats
# Overlay mounts: the kernel's overlayfs in the user namespace, the
# fuse-overlayfs fallback (forced with URUN_TEST_OVERLAY=fuse), and the
# rootfs overlay with a throw-away tmpfs upper layer
# (annotation run.urun.rootfs.overlay=tmpfs).

load helpers

teardown() {
	teardown_bundle
}

# lower/, upper/ and work/ of the user's, lower/f holding "from-lower", and
# an overlay of them on /data.
add_overlay_mount() {
	LOWER=$(make_host_dir lower)
	UPPER=$(make_host_dir upper)
	WORK=$(make_host_dir work)
	echo from-lower >"$LOWER/f"
	update_config '.mounts += [{"destination": "/data", "type": "overlay", "source": "overlay",
		"options": ["lowerdir=\($lower)", "upperdir=\($upper)", "workdir=\($work)"]}]' \
		--arg lower "$LOWER" --arg upper "$UPPER" --arg work "$WORK"
}

# PIDs of the fuse-overlayfs daemons whose options name PATTERN.
fuse_daemons() {
	pgrep -f -- "fuse-overlayfs -f -o .*$1" || true
}

# A copy of the rootfs outside the bundle, read-only on the host (a bind
# mount of itself with ro): the image a shared filesystem would give.
make_readonly_image() {
	IMAGE="$BATS_TEST_TMPDIR/image"
	cp -a "$BUNDLE/rootfs" "$IMAGE"
	mount --bind "$IMAGE" "$IMAGE"
	mount -o remount,bind,ro "$IMAGE"
	update_config '.root = {path: $image, readonly: false}' --arg image "$IMAGE"
}

@test "overlay: the kernel's overlayfs in the user namespace" {
	setup_bundle --rootless
	add_overlay_mount
	set_cmd 'cat /data/f; echo new > /data/g; rm /data/f; ls /data; grep " /data " /proc/self/mountinfo'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-lower ]
	[ "${lines[1]}" = g ]
	[[ "${lines[2]}" == *" - overlay overlay "*userxattr* ]]
	[ "$(cat "$UPPER/g")" = new ]
	# The lower layer is untouched; the upper holds the whiteout.
	[ "$(cat "$LOWER/f")" = from-lower ]
	[ -c "$UPPER/f" ]
	check_nothing_left c1
}

@test "overlay: the kernel's overlayfs as root" {
	setup_bundle
	add_overlay_mount
	set_cmd 'cat /data/f; echo new > /data/g; grep -c " /data .* - overlay " /proc/self/mountinfo'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-lower ]
	[ "${lines[1]}" = 1 ]
	[ "$(cat "$UPPER/g")" = new ]
	check_nothing_left c1
}

@test "overlay: fuse-overlayfs when the kernel's is not used; its daemon ends with the container" {
	requires fuse
	setup_bundle --rootless
	add_overlay_mount
	set_cmd_waiting
	URUN_TEST_OVERLAY=fuse runtime run -d c1
	[ "$status" -eq 0 ]
	local daemons
	daemons=$(fuse_daemons "upperdir=$UPPER")
	[ -n "$daemons" ]
	runtime exec c1 sh -c 'cat /data/f; echo new > /data/g; grep " /data " /proc/self/mountinfo; ps -o comm'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-lower ]
	[[ "${lines[1]}" == *" - fuse.fuse-overlayfs fuse-overlayfs "* ]]
	# The daemon runs outside the container: not among its processes.
	[[ "$output" != *fuse-overlayfs*fuse-overlayfs*fuse-overlayfs* ]]
	[ "$(cat "$UPPER/g")" = new ]
	runtime delete --force c1
	[ "$status" -eq 0 ]
	# shellcheck disable=SC2086
	wait_pids_gone $daemons
	check_nothing_left c1
}

@test "overlay: a read-only image gets a writable throw-away rootfs (tmpfs upper layer)" {
	requires urun
	setup_bundle --rootless
	make_readonly_image
	set_cmd 'echo changed > /etc/motd && rm /bin/vi && mkdir /opt && cat /etc/motd && grep " / / " /proc/self/mountinfo'
	# Without the overlay the image stays read-only.
	runtime run c1
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"Read-only file system"* ]]
	update_config '.annotations["run.urun.rootfs.overlay"] = "tmpfs"'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = changed ]
	[[ "${lines[1]}" == *" - overlay overlay "* ]]
	[ ! -e "$IMAGE/etc/motd" ]
	[ -e "$IMAGE/bin/vi" ]
	# Throw-away: the next container starts from the image again.
	set_cmd 'test -e /bin/vi && ! test -e /opt && echo fresh'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "$output" = fresh ]
	check_nothing_left c1
	umount "$IMAGE"
}

@test "overlay: the throw-away rootfs through fuse-overlayfs leaves nothing after delete" {
	requires urun fuse
	setup_bundle --rootless
	make_readonly_image
	update_config '.annotations["run.urun.rootfs.overlay"] = "tmpfs"'
	set_cmd_waiting
	URUN_TEST_OVERLAY=fuse runtime create c1
	[ "$status" -eq 0 ]
	local daemons
	daemons=$(fuse_daemons "lowerdir=$IMAGE,")
	[ -n "$daemons" ]
	runtime start c1
	[ "$status" -eq 0 ]
	runtime exec c1 sh -c 'echo x > /x && cat /x && grep " / / " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = x ]
	[[ "${lines[1]}" == *" - fuse.fuse-overlayfs "* ]]
	[ ! -e "$IMAGE/x" ]
	runtime delete --force c1
	[ "$status" -eq 0 ]
	# shellcheck disable=SC2086
	wait_pids_gone $daemons
	check_nothing_left c1
	umount "$IMAGE"
}

@test "overlay: an image owned by root goes to fuse-overlayfs, which can copy its files up" {
	requires urun fuse
	setup_bundle --rootless
	IMAGE="$BATS_TEST_TMPDIR/image"
	cp -a "$BUNDLE/rootfs" "$IMAGE"
	chown -R root:root "$IMAGE"
	chmod 1777 "$IMAGE/tmp"
	update_config '.root = {path: $image, readonly: false} | .annotations["run.urun.rootfs.overlay"] = "tmpfs"' \
		--arg image "$IMAGE"
	# The kernel's overlayfs would copy /tmp up with its owner, which the
	# user namespace does not map: EOVERFLOW.
	set_cmd 'echo x > /tmp/x && cat /tmp/x'
	runtime --debug run c1
	[ "$status" -eq 0 ]
	[ "$output" = x ]
	[[ "$stderr" == *"does not map: fuse-overlayfs"* ]]
	[ ! -e "$IMAGE/tmp/x" ]
	check_nothing_left c1
}

@test "overlay: upperdir without workdir is an error before anything exists" {
	requires urun
	setup_bundle --rootless
	add_overlay_mount
	update_config '.mounts[-1].options |= map(select(startswith("workdir=") | not))'
	runtime run c1
	expect_error 'config.json: mounts\[[0-9]+\] \(`overlay` on `/data`\): options: `upperdir=` needs `workdir=`'
	check_nothing_left c1
}

@test "overlay: a missing lowerdir is an error naming it" {
	requires urun
	setup_bundle --rootless
	add_overlay_mount
	update_config '.mounts[-1].options[0] = "lowerdir=/nonexistent/layer"'
	runtime run c1
	expect_error 'mounts\[[0-9]+\] \(`overlay` on `/data`\): lowerdir `/nonexistent/layer`: No such file or directory'
	check_nothing_left c1
}

@test "overlay: without fuse-overlayfs the fallback fails clearly" {
	requires urun
	setup_bundle --rootless
	add_overlay_mount
	URUN_TEST_OVERLAY=fuse URUN_TEST_FUSE_OVERLAYFS=/nonexistent runtime run c1
	expect_error 'mounts\[[0-9]+\] \(`overlay` on `/data`\): `/nonexistent` \(from \$URUN_TEST_FUSE_OVERLAYFS\) is not an executable file'
	check_nothing_left c1
}

@test "overlay: an unknown rootfs overlay value is an error" {
	requires urun
	setup_bundle --rootless
	update_config '.annotations["run.urun.rootfs.overlay"] = "disk"'
	runtime run c1
	expect_error 'config.json: annotations.run.urun.rootfs.overlay: expected `tmpfs`, not `disk`'
	check_nothing_left c1
}
