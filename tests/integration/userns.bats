#!/usr/bin/env bats
# User namespaces for unprivileged users: the mappings urun writes (full
# subordinate range, single-ID fallback, keep-id), shared namespaces, and the
# checks of a spec's mappings before anything exists.

load helpers

setup() {
	setup_bundle --rootless
}

teardown() {
	teardown_norange
}

# The rootless bundle without its mappings: urun chooses them.
drop_mappings() {
	update_config 'del(.linux.uidMappings, .linux.gidMappings)'
}

bind_host_dir() {
	update_config '.mounts += [{"destination": "/shared", "type": "bind", "source": $dir, "options": ["rbind", "rw"]}]' \
		--arg dir "$1"
}

add_caps() {
	update_config '.process.capabilities |= map_values(. + $caps)' --argjson caps "$1"
}

# ---------------------------------------------------------------------------
# Mappings urun chooses

@test "userns: without mappings, root is you and 1.. your subordinate range; chown 1000 is subuid+999 on the host" {
	requires urun
	drop_mappings
	local dir
	dir=$(make_host_dir shared)
	bind_host_dir "$dir"
	add_caps '["CAP_CHOWN"]'
	set_cmd 'cat /proc/self/uid_map; touch /shared/x && chown 1000:1000 /shared/x && stat -c "%u:%g" /shared/x'
	runtime run c1
	[ "$status" -eq 0 ]
	grep -qE "^ *0 +$ROOTLESS_UID +1$" <<<"$output"
	grep -qE "^ *1 +$ROOTLESS_SUBUID +65536$" <<<"$output"
	[ "${lines[-1]}" = 1000:1000 ]
	[ "$(stat -c %u:%g "$dir/x")" = "$((ROOTLESS_SUBUID + 999)):$((ROOTLESS_SUBGID + 999))" ]
	# No notice: the user has a range.
	[ -z "$stderr" ]
	check_nothing_left c1
}

@test "userns: a bundle written for root (runc spec) runs rootless unchanged" {
	requires urun
	cp "$(cached_bundle root)/config.json" "$BUNDLE/config.json.root"
	cat "$BUNDLE/config.json.root" >"$BUNDLE/config.json"
	set_cmd 'id -u; cat /proc/self/uid_map | wc -l; ls /dev/pts'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 2 ]
	check_nothing_left c1
}

@test "userns: --debug says a user namespace was added and sysfs became a bind" {
	requires urun
	# runc spec's /sys, without a network namespace of the container's own.
	update_config 'del(.linux.uidMappings, .linux.gidMappings)
		| .linux.namespaces -= [{"type": "user"}]
		| .mounts |= map(if .destination == "/sys" then
			{destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]}
			else . end)'
	set_cmd 'test -e /sys/kernel && echo sys-ok'
	runtime --debug run c1
	[ "$status" -eq 0 ]
	[ "$output" = sys-ok ]
	[[ "$stderr" == *"no user namespace; adding one"* ]]
	[[ "$stderr" == *"sysfs on \`/sys\` refused in the user namespace: binding the host's /sys"* ]]
}

@test "userns: no subordinate range: only your own ID is mapped, setgroups denied, one notice" {
	requires urun
	setup_norange_user
	drop_mappings
	set_cmd 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; touch /tmp/x; stat -c %u /tmp/x'
	update_config '.root.readonly = false'
	give_bundle_to "$NORANGE_USER"
	urun_as "$NORANGE_USER" run c1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	grep -qE "^ *0 +$NORANGE_UID +1$" <<<"${lines[2]}"
	grep -qE "^ *0 +$NORANGE_GID +1$" <<<"${lines[3]}"
	[ "${lines[4]}" = deny ]
	[ "$stderr" = "urun: warning: no subordinate IDs for \`$NORANGE_USER\`: mapping only your own ID (see \`urun check\`)" ]
	[ "$(stat -c %u "$BUNDLE/rootfs/tmp/x")" = "$NORANGE_UID" ]
	check_nothing_left c1
}

@test "userns: no subordinate range: gid=5 of devpts is an error naming the mount, before anything exists" {
	requires urun
	setup_norange_user
	drop_mappings
	update_config '.mounts |= map(if .destination == "/dev/pts" then .options += ["gid=5"] else . end)'
	give_bundle_to "$NORANGE_USER"
	urun_as "$NORANGE_USER" run c1
	expect_error 'mounts\[[0-9]+\] \(`devpts` on `/dev/pts`\): option `gid=5`: gid 5 is not mapped in the user namespace; only your own ID is \(no subordinate IDs: see `urun check`\)'
	check_nothing_left c1
}

@test "userns: no subordinate range: keep-id runs as you with your own ID only" {
	requires urun
	setup_norange_user
	drop_mappings
	local dir
	dir=$(make_host_dir shared)
	chown "$NORANGE_UID:$NORANGE_GID" "$dir"
	bind_host_dir "$dir"
	set_cmd 'id -u; cat /proc/self/uid_map; echo hi > /shared/f'
	give_bundle_to "$NORANGE_USER"
	urun_as "$NORANGE_USER" run --userns=keep-id c1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$NORANGE_UID" ]
	grep -qE "^ *$NORANGE_UID +$NORANGE_UID +1$" <<<"${lines[1]}"
	[ "$(stat -c %u:%g "$dir/f")" = "$NORANGE_UID:$NORANGE_GID" ]
	check_nothing_left c1
}

# ---------------------------------------------------------------------------
# keep-id

@test "userns: keep-id (annotation): you are yourself inside, and what you write to a bind mount is yours" {
	requires urun
	local dir
	dir=$(make_host_dir scratch)
	bind_host_dir "$dir"
	update_config '.annotations["run.urun.userns"] = "keep-id"'
	set_cmd 'id -u; id -g; cat /proc/self/uid_map; echo result > /shared/out'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$ROOTLESS_UID" ]
	[ "${lines[1]}" = "$ROOTLESS_GID" ]
	# 0..uid-1 from the range, uid -> you, uid+1.. the rest of the range.
	grep -qE "^ *0 +$ROOTLESS_SUBUID +$ROOTLESS_UID$" <<<"$output"
	grep -qE "^ *$ROOTLESS_UID +$ROOTLESS_UID +1$" <<<"$output"
	grep -qE "^ *$((ROOTLESS_UID + 1)) +$((ROOTLESS_SUBUID + ROOTLESS_UID)) +$((65536 - ROOTLESS_UID))$" <<<"$output"
	[ "$(stat -c %u:%g "$dir/out")" = "$ROOTLESS_UID:$ROOTLESS_GID" ]
	check_nothing_left c1
}

@test "userns: --userns=keep-id replaces the spec's mappings; a spec's non-root user is kept" {
	requires urun
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	set_cmd 'id -u; grep -cE "^ *'"$ROOTLESS_UID"' +'"$ROOTLESS_UID"' +1$" /proc/self/uid_map'
	runtime run --userns=keep-id c1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1 ]
	check_nothing_left c1
}

@test "userns: an unknown identity mode is an error" {
	requires urun
	runtime run --userns=host c1
	expect_error '--userns: expected `auto` or `keep-id`, not `host`'
	update_config '.annotations["run.urun.userns"] = "nope"'
	runtime run c1
	expect_error 'annotations.run.urun.userns: expected `auto` or `keep-id`, not `nope`'
	check_nothing_left c1
}

# ---------------------------------------------------------------------------
# Shared namespaces

@test "userns: two containers share one user and mount namespace: same files, same IDs" {
	local dir pid
	add_caps '["CAP_CHOWN"]'
	update_config '.root.readonly = false'
	set_cmd 'echo from-a > /tmp/a && chown 1000:1000 /tmp/a && '"$WAIT_CMD"
	runtime run -d a
	[ "$status" -eq 0 ]
	pid=$(container_pid a)
	# b: a sidecar that joins a's user, mount and pid namespaces by path.
	update_config 'del(.linux.uidMappings, .linux.gidMappings, .hostname)
		| .linux.namespaces = [{type: "user", path: "/proc/\($pid)/ns/user"},
		                       {type: "mount", path: "/proc/\($pid)/ns/mnt"},
		                       {type: "pid", path: "/proc/\($pid)/ns/pid"}]' --arg pid "$pid"
	set_cmd 'cat /tmp/a; stat -c %u:%g /tmp/a; cat /proc/self/uid_map; echo from-b > /tmp/b; chown 1000:1000 /tmp/b'
	runtime run b
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-a ]
	[ "${lines[1]}" = 1000:1000 ]
	grep -qE "^ *0 +$ROOTLESS_UID +1$" <<<"$output"
	grep -qE "^ *1 +$ROOTLESS_SUBUID +65536$" <<<"$output"
	runtime exec a stat -c '%u:%g %n' /tmp/b
	[ "$status" -eq 0 ]
	[ "$output" = "1000:1000 /tmp/b" ]
	# Both write through the same rootfs: the host sees one owner.
	[ "$(stat -c %u "$BUNDLE/rootfs/tmp/b")" = "$((ROOTLESS_SUBUID + 999))" ]
	runtime delete --force a
	[ "$status" -eq 0 ]
	check_nothing_left a
	check_nothing_left b
}

# ---------------------------------------------------------------------------
# Bad mappings: clear errors, nothing left behind

@test "userns: overlapping container IDs are an error naming both ranges" {
	requires urun
	update_config '.linux.uidMappings[1].containerID = 0'
	runtime run c1
	expect_error 'config.json: linux.uidMappings\[1\]: container IDs 0-65535 overlap linux.uidMappings\[0\] \(0-0\)'
	check_nothing_left c1
}

@test "userns: overlapping host IDs are an error" {
	requires urun
	update_config '.linux.gidMappings += [{"containerID": 70000, "hostID": ($sub + 10), "size": 5}]' \
		--argjson sub "$ROOTLESS_SUBGID"
	runtime run c1
	expect_error "config.json: linux.gidMappings\\[2\\]: host IDs $((ROOTLESS_SUBGID + 10))-$((ROOTLESS_SUBGID + 14)) overlap linux.gidMappings\\[1\\]"
	check_nothing_left c1
}

@test "userns: a range you do not own is an error naming yours and where it comes from" {
	requires urun
	update_config '.linux.uidMappings[1].hostID = 200000'
	runtime run c1
	expect_error "config.json: linux.uidMappings\\[1\\]: host IDs 200000-265535 are not yours: \`$ROOTLESS_USER\` has the subordinate uids $ROOTLESS_SUBUID-$((ROOTLESS_SUBUID + 65535)) in /etc/subuid \\(or the subid source in nsswitch.conf\\)"
	check_nothing_left c1
}

@test "userns: without a range, any subordinate mapping is an error that says so" {
	requires urun
	setup_norange_user
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": $uid, "size": 1}, {"containerID": 1, "hostID": 300000, "size": 10}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": $gid, "size": 1}]' \
		--argjson uid "$NORANGE_UID" --argjson gid "$NORANGE_GID"
	give_bundle_to "$NORANGE_USER"
	urun_as "$NORANGE_USER" run c1
	expect_error "host IDs 300000-300009 are not yours: \`$NORANGE_USER\` has no subordinate uids in /etc/subuid \\(or the subid source in nsswitch.conf\\) \\(see \`urun check\`\\)"
	check_nothing_left c1
}

@test "userns: a missing newuidmap is an error naming the package" {
	requires urun
	URUN_TEST_NEWUIDMAP=/nonexistent runtime run c1
	expect_error 'linux.uidMappings: `newuidmap` not found at `/nonexistent` .*\(Debian package `uidmap`\)'
	check_nothing_left c1
}

@test "userns: a newgidmap without setuid or file capabilities is an error saying how to fix it" {
	requires urun
	cp /usr/bin/newgidmap "$BATS_TEST_TMPDIR/newgidmap"
	chmod 755 "$BATS_TEST_TMPDIR/newgidmap"
	URUN_TEST_NEWGIDMAP="$BATS_TEST_TMPDIR/newgidmap" runtime run c1
	expect_error "neither setuid root nor has the file capability cap_setgid.*setcap cap_setgid\\+ep"
	check_nothing_left c1
}

@test "userns: a process user outside the mappings is an error before anything exists" {
	requires urun
	update_config '.process.user.uid = 70000'
	runtime run c1
	expect_error 'config.json: process.user.uid: uid 70000 is not mapped in the user namespace'
	check_nothing_left c1
}
