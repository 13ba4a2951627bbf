#!/usr/bin/env bats
# podman: rootless podman 4.3 with conmon drives the runtime under test, one
# test per scenario of tests/podman-scenarios.sh (which also runs them for
# runc and crun, for the table in the README).  Podman gets a storage of its
# own in a temporary directory; the image is the busybox bundle's rootfs,
# imported offline.

load helpers
# shellcheck source=../podman-scenarios.sh
source "$TESTS_ROOT/podman-scenarios.sh"

setup_file() {
	# One podman storage, used in turn: system-reset, last, empties it.
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	requires podman rootless
	command -v conmon >/dev/null || skip "test requires conmon"
	ps_setup "$URUN"
}

teardown_file() {
	ps_teardown
}

setup() {
	ps_init
}

teardown() {
	ps_after_scenario
}

@test "podman: run --rm: stdout, stderr, stdin, exit status" {
	ps_scenario run-rm
}

@test "podman: run of a missing (127) or non-executable (126) command" {
	ps_scenario exit-codes
}

@test "podman: run -d, logs, stop, rm" {
	ps_scenario detached
}

@test "podman: exec -u -w -e -i and its exit status" {
	ps_scenario exec
}

@test "podman: exec -t" {
	ps_scenario exec-tty
}

@test "podman: run --read-only" {
	ps_scenario read-only
}

@test "podman: run --userns=keep-id" {
	ps_scenario userns-keep-id
}

@test "podman: run --network none" {
	ps_scenario network-none
}

@test "podman: --network slirp4netns to the host, and -p" {
	requires slirp
	ps_scenario network-slirp4netns
}

@test "podman: ps, inspect, top" {
	ps_scenario ps-inspect-top
}

@test "podman: pause and unpause, or podman's own refusal" {
	ps_scenario pause-unpause
}

@test "podman: run -it through conmon's console socket" {
	requires tmux
	ps_scenario run-it
}

@test "podman: the runtime from containers.conf" {
	ps_scenario containers-conf
}

@test "podman: system reset leaves nothing behind" {
	ps_scenario system-reset
}
