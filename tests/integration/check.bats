#!/usr/bin/env bats
# `urun check`: one line per thing a container needs on this host, OK, WARN
# or FAIL with the fix; exit status 1 when anything FAILs.

load helpers

setup() {
	requires urun
	ROOT="$BATS_TEST_TMPDIR/state"
}

teardown() {
	rm -rf -- "$BATS_TEST_TMPDIR/state"
}

# Every line reads "OK|WARN|FAIL  name: message"; a WARN or FAIL says the fix.
check_format() {
	local line
	[ "${#lines[@]}" -ge 8 ]
	for line in "${lines[@]}"; do
		[[ "$line" =~ ^(OK|WARN|FAIL)\ +[^:]+:\ .+ ]] || { echo "bad line: $line" >&2; return 1; }
		[[ "$line" != OK* ]] && [[ "$line" != *"(fix: "* ]] && { echo "no fix: $line" >&2; return 1; }
	done
	return 0
}

@test "check: as root on this host, nothing fails" {
	requires root
	urun check
	[ "$status" -eq 0 ]
	check_format
	grep -q '^OK    user namespaces: allowed' <<<"$output"
	grep -q '^OK    subordinate IDs: not needed: you are root' <<<"$output"
	! grep -q '^FAIL' <<<"$output"
}

@test "check: as a user with a subordinate range, its ranges and the helpers are OK" {
	requires rootless
	mkdir -m 700 "$ROOT"
	chown "$ROOTLESS_UID:$ROOTLESS_GID" "$ROOT"
	make_traversable "$BATS_TEST_TMPDIR"
	urun_rootless check
	[ "$status" -eq 0 ]
	check_format
	grep -qE "^OK    subordinate uids: $ROOTLESS_SUBUID-$((ROOTLESS_SUBUID + 65535)) \\(65536 IDs\\)$" <<<"$output"
	grep -qE "^OK    subordinate gids: $ROOTLESS_SUBGID-" <<<"$output"
	grep -qE '^OK    newuidmap: `/usr/bin/newuidmap` \(setuid root\)$' <<<"$output"
	grep -qE "^OK    state directory: \`$ROOT\`: yours and writable" <<<"$output"
	grep -qE '^(OK|WARN) +cgroup v2 delegation: ' <<<"$output"
	grep -qE '^(OK|WARN) +/dev/fuse: ' <<<"$output"
	grep -qE '^(OK|WARN) +criu: ' <<<"$output"
	grep -qE '^OK    binary self-clone: ' <<<"$output"
}

@test "check: a user without a subordinate range gets a WARN that says how to get one" {
	setup_norange_user
	mkdir -m 700 "$ROOT"
	chown "$NORANGE_UID:$NORANGE_GID" "$ROOT"
	make_traversable "$BATS_TEST_TMPDIR"
	urun_as "$NORANGE_USER" check
	[ "$status" -eq 0 ]
	check_format
	grep -qF "WARN  subordinate uids: none for \`$NORANGE_USER\` in /etc/subuid (or the subid source in nsswitch.conf): containers map only your own ID (fix: as root: \`usermod --add-subuids FIRST-LAST $NORANGE_USER\`" <<<"$output"
	grep -qF "WARN  subordinate gids: none for \`$NORANGE_USER\`" <<<"$output"
}

@test "check: --format json for tools" {
	requires rootless
	mkdir -m 700 "$ROOT"
	chown "$ROOTLESS_UID:$ROOTLESS_GID" "$ROOT"
	make_traversable "$BATS_TEST_TMPDIR"
	urun_rootless check --format json
	[ "$status" -eq 0 ]
	jq -e '.ok == true and (.checks | length >= 8)
		and all(.checks[]; (.status | IN("ok", "warn", "fail")) and (.message | type == "string"))
		and (.checks[] | select(.name == "subordinate uids") | .status == "ok")
		and all(.checks[] | select(.status == "ok"); .fix == null)' <<<"$output"
	urun_rootless check --format yaml
	expect_error 'check: --format: expected `text` or `json`'
}

@test "check: a FAIL (a state directory that is a symlink) exits 1 with the fix" {
	requires rootless
	ln -s /tmp "$ROOT"
	make_traversable "$BATS_TEST_TMPDIR"
	urun_rootless check
	[ "$status" -eq 1 ]
	grep -qF "FAIL  state directory: \`$ROOT\` is a symlink, which urun refuses (fix: remove \`$ROOT\`, or pass \`--root DIR\`)" <<<"$output"
	urun_rootless check --format json
	[ "$status" -eq 1 ]
	jq -e '.ok == false and (.checks[] | select(.name == "state directory") | .status == "fail")' <<<"$output"
}

@test "check: a user with a range but no newuidmap FAILs" {
	requires rootless
	mkdir -m 700 "$ROOT"
	chown "$ROOTLESS_UID:$ROOTLESS_GID" "$ROOT"
	make_traversable "$BATS_TEST_TMPDIR"
	URUN_TEST_NEWUIDMAP=/nonexistent urun_rootless check
	[ "$status" -eq 1 ]
	grep -qF 'FAIL  newuidmap: not found at `/nonexistent`' <<<"$output"
	grep -qF '(fix: as root: `apt-get install uidmap`)' <<<"$output"
}
