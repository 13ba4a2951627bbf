#!/usr/bin/env bats
# cli: --version, --help of every verb, features, spec, global options.

load helpers

teardown() {
	teardown_bundle
}

VERBS="create start run exec state kill delete list ps pause resume update spec features"

@test "cli: --version and --help" {
	requires urun
	run "$URUN" --version
	[ "$status" -eq 0 ]
	[[ "$output" == "urun version "* ]]
	run "$URUN" --help
	[ "$status" -eq 0 ]
	local v help=$output
	for v in $VERBS; do
		[[ "$help" == *"  $v "* ]] || { echo "no $v in --help" >&2; return 1; }
		run "$URUN" "$v" --help
		[ "$status" -eq 0 ] || { echo "$v --help failed" >&2; return 1; }
		[[ "$output" == "Usage: urun $v"* ]] || { echo "$v --help: $output" >&2; return 1; }
	done
}

@test "cli: an unknown verb or option is an error" {
	requires urun
	run --separate-stderr "$URUN" frobnicate
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"unknown command \`frobnicate\`"* ]]
	run --separate-stderr "$URUN" --log-format yaml list
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"--log-format"* ]]
}

@test "cli: features is the OCI features document" {
	requires urun
	run "$URUN" features
	[ "$status" -eq 0 ]
	jq -e '.ociVersionMax == "1.2.0" and (.hooks | length == 6)
		and (.linux.namespaces | index("user") != null)
		and (.linux.capabilities | index("CAP_SYS_ADMIN") != null)
		and .linux.seccomp.enabled' <<<"$output"
}

@test "cli: spec and spec --rootless write a config urun runs" {
	requires rootless
	setup_bundle --rootless
	rm "$BUNDLE/config.json"
	as_rootless "$URUN" spec --rootless --bundle "$BUNDLE"
	run jq -r '.linux.uidMappings | map("\(.containerID) \(.hostID) \(.size)") | join(",")' "$BUNDLE/config.json"
	[ "$output" = "0 $ROOTLESS_UID 1,1 $ROOTLESS_SUBUID 65536" ]
	set_cmd 'echo spec-ok'
	runtime run c1
	[ "$status" -eq 0 ]
	[ "$output" = spec-ok ]
	# It refuses to overwrite.
	run as_rootless "$URUN" spec --rootless --bundle "$BUNDLE"
	[ "$status" -eq 1 ]
}

@test "cli: --log-format json writes the error where conmon reads it" {
	setup_bundle --rootless
	local log
	log="$(make_host_dir log)/log.json"
	update_config '.process.args = [1]'
	runtime --log "$log" --log-format json run c1
	[ "$status" -eq 1 ]
	jq -e 'select(.level == "error") | .msg | test("process.args\\[0\\]: expected a string")' "$log"
}
