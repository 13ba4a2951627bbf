#!/usr/bin/env bats
# Rootless containers: the test user with its 65536 subordinate IDs.

load helpers

setup() {
	setup_bundle --rootless
}

teardown() {
	teardown_bundle
}

@test "rootless: the container's user is root" {
	set_cmd 'id -u; id -g'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	check_nothing_left c1
}

@test "rootless: uid_map and gid_map hold the user and its subordinate range" {
	set_cmd 'cat /proc/self/uid_map; echo --; cat /proc/self/gid_map'
	runtime run c1
	[ "$status" -eq 0 ]
	local expect
	expect=$(printf '%s %s 1\n%s %s 65536\n--\n%s %s 1\n%s %s 65536' \
		0 "$ROOTLESS_UID" 1 "$ROOTLESS_SUBUID" 0 "$ROOTLESS_GID" 1 "$ROOTLESS_SUBGID")
	[ "$(tr -s ' ' <<<"$output" | sed 's/^ //')" = "$expect" ]
}

# chown to a subordinate ID inside; from the host the owner is that ID mapped.
@test "rootless: chown to uid 1000 shows as subuid+999 on the host" {
	local dir
	dir=$(make_host_dir shared)
	update_config '.mounts += [{"destination": "/shared", "type": "bind", "source": $dir, "options": ["rbind", "rw"]}]
		| .process.capabilities |= map_values(. + ["CAP_CHOWN"])' --arg dir "$dir"
	set_cmd 'touch /shared/x && chown 1000:1000 /shared/x && stat -c "%u:%g" /shared/x'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "$output" = 1000:1000 ]
	[ "$(stat -c %u "$dir/x")" -eq $((ROOTLESS_SUBUID + 999)) ]
	[ "$(stat -c %g "$dir/x")" -eq $((ROOTLESS_SUBGID + 999)) ]
	check_nothing_left c1
}

@test "rootless: a file made by container root belongs to the user on the host" {
	local dir
	dir=$(make_host_dir shared)
	update_config '.mounts += [{"destination": "/shared", "type": "bind", "source": $dir, "options": ["rbind", "rw"]}]' \
		--arg dir "$dir"
	set_cmd 'echo hi > /shared/y'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "$(stat -c %u:%g "$dir/y")" = "$ROOTLESS_UID:$ROOTLESS_GID" ]
}

@test "rootless: container root cannot touch what the host's root owns" {
	local dir
	dir=$(make_host_dir shared)
	chown root:root "$dir"
	chmod 755 "$dir"
	update_config '.mounts += [{"destination": "/shared", "type": "bind", "source": $dir, "options": ["rbind", "rw"]}]' \
		--arg dir "$dir"
	set_cmd 'touch /shared/z'
	runtime run c1
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"Permission denied"* ]]
	[ ! -e "$dir/z" ]
}

# urun, like crun, gives a rootless caller a user namespace mapping it to
# root when config.json has none; runc refuses such a bundle.
@test "rootless: a bundle without a user namespace gets one" {
	requires urun
	update_config 'del(.linux.uidMappings, .linux.gidMappings)
		| .linux.namespaces -= [{"type": "user"}]'
	set_cmd 'id -u; cat /proc/self/uid_map'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	grep -qE "^ *0 +$ROOTLESS_UID +1$" <<<"$output"
	check_nothing_left c1
}

@test "rootless: a mapping outside the user's subordinate range fails" {
	update_config '.linux.uidMappings[1].hostID = 1'
	runtime run c1
	expect_error ''
	check_nothing_left c1
}
