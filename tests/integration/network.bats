#!/usr/bin/env bats
# network: the run.urun.network=slirp annotation — urun starts urun-slirp
# (helpers/urun-slirp) for the container's new network namespace, forwards
# the run.urun.ports through its API, and stops it with the container
# (src/network.c, src/network-slirp.c).  Root and rootless.
#
# Only loopback addresses are contacted: host servers listen on 127.0.0.1
# (10.0.2.2 in the container), the DNS server on a 127.x address named by a
# resolv.conf bound over /etc/resolv.conf in a mount namespace of the test.

load helpers

# tcp_server PORTFILE: one connection on 127.0.0.1, any port (written to
# PORTFILE): says "hello-from-host", prints the line it gets.
PY_TCP_SERVER='
import os, socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1); s.settimeout(30)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
c, _ = s.accept(); c.settimeout(10); c.sendall(b"hello-from-host\n")
print(c.makefile("rb").readline().decode().strip())
'

# dns_server ADDR READYFILE: every A query gets 127.0.0.42.
PY_DNS_SERVER='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53)); s.settimeout(60)
open(sys.argv[2], "w").write("ready")
while True:
    q, a = s.recvfrom(512)
    i = 12
    while q[i]:
        i += q[i] + 1
    question = q[12:i + 5]
    ans = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([127, 0, 0, 42])
    n = 1 if q[i + 1:i + 3] == b"\x00\x01" else 0
    s.sendto(q[:2] + b"\x81\x80\x00\x01\x00" + bytes([n]) + b"\x00\x00\x00\x00" + question + (ans if n else b""), a)
'

setup_file() {
	# The helper opens /dev/net/tun inside the container's user namespace,
	# where only the "other" bits apply (tests/setup.sh does the same).
	if [ "$EUID" -eq 0 ] && [ -c /dev/net/tun ]; then
		chmod 666 /dev/net/tun
	fi
}

setup() {
	HOST_PORT=$((20000 + RANDOM % 20000))
}

teardown() {
	teardown_bundle
}

# setup_network MODE [ANNOTATIONS_JSON]: a bundle (root or rootless) with a
# new network namespace and run.urun.network=slirp plus ANNOTATIONS.
setup_network() {
	local mode=$1 extra=${2:-"{}"}
	requires urun slirp
	if [ "$mode" = rootless ]; then setup_bundle --rootless; else setup_bundle; fi
	update_config '.linux.namespaces = ([.linux.namespaces[] | select(.type != "network")] + [{"type": "network"}])
		| .annotations = ((.annotations // {}) + {"run.urun.network": "slirp"} + $extra)' --argjson extra "$extra"
}

# The recorded helper of container ID: "PID:STARTTIME" (for pid_alive).
helper_of() {
	local pid start
	read -r pid start <"$ROOT/$1/slirp.pid" || return 1
	track_pid "$pid"
	echo "$pid:$start"
}

# Live urun-slirp processes serving a container under $ROOT (a zombie has an
# empty cmdline and does not count).
helpers_under_root() {
	local f
	for f in /proc/[0-9]*/cmdline; do
		tr '\0' ' ' <"$f" 2>/dev/null | grep -qF -- "--api-socket $ROOT/" && echo "${f//[^0-9]/}"
	done
	return 0
}

# host_server: PY_TCP_SERVER in the background; sets PORT, SERVER_PID and
# SERVER_OUT.
host_server() {
	local pf="$BATS_TEST_TMPDIR/port.$RANDOM"
	SERVER_OUT="$BATS_TEST_TMPDIR/server.out"
	python3 -c "$PY_TCP_SERVER" "$pf" >"$SERVER_OUT" &
	SERVER_PID=$!
	track_pid $SERVER_PID
	for _ in $(seq 100); do
		[ -s "$pf" ] && break
		sleep 0.1
	done
	PORT=$(cat "$pf")
}

# get_port PORT PATH: GET http://127.0.0.1:PORT/PATH from the host, retried
# for up to 5 s while the container's server starts.
get_port() {
	local i
	for ((i = 0; i < 50; i++)); do
		curl -sf --max-time 2 "http://127.0.0.1:$1/$2" && return 0
		sleep 0.1
	done
	return 1
}

# --- reaching the host ---------------------------------------------------------

host_loopback() {
	setup_network "$1"
	host_server
	set_cmd "ip -o -4 addr show tap0; echo ping-from-container | nc 10.0.2.2 $PORT"
	runtime run c1
	[ "$status" -eq 0 ]
	[[ "$output" == *"10.0.2.100/24"* ]]
	[[ "$output" == *"hello-from-host"* ]]
	wait "$SERVER_PID"
	[ "$(cat "$SERVER_OUT")" = ping-from-container ]
	# A foreground run stops its helper and removes everything.
	[ -z "$(helpers_under_root)" ]
	check_nothing_left c1
}

@test "network: the container reaches the host's loopback through 10.0.2.2 (root)" {
	host_loopback root
}

@test "network: the container reaches the host's loopback through 10.0.2.2 (rootless)" {
	host_loopback rootless
}

# in_resolver_ns ARGS...: the runtime as the bundle's user in a mount
# namespace where /etc/resolv.conf names DNS_ADDR; the helper reads it there.
in_resolver_ns() {
	local as=()
	[ "$URUN_MODE" = rootless ] && as=(setpriv --reuid="$ROOTLESS_UID" --regid="$ROOTLESS_GID"
		--init-groups env -i PATH="$CLEAN_PATH" XDG_RUNTIME_DIR="/run/user/$ROOTLESS_UID")
	run --separate-stderr unshare --mount --propagation private \
		sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$BATS_TEST_TMPDIR/resolv.conf" \
		"${as[@]}" "$URUN" --root "$ROOT" "$@"
	echo "[$URUN_MODE, resolv.conf: $DNS_ADDR] $* (status=$status) $output $stderr" >&2
}

dns() {
	setup_network "$1"
	DNS_ADDR=127.53.$((RANDOM % 200 + 1)).$((RANDOM % 200 + 1))
	echo "nameserver $DNS_ADDR" >"$BATS_TEST_TMPDIR/resolv.conf"
	chmod 644 "$BATS_TEST_TMPDIR/resolv.conf"
	python3 -c "$PY_DNS_SERVER" "$DNS_ADDR" "$BATS_TEST_TMPDIR/dns.ready" &
	track_pid $!
	for _ in $(seq 100); do
		[ -s "$BATS_TEST_TMPDIR/dns.ready" ] && break
		sleep 0.1
	done
	set_cmd "nslookup urun-network.test 10.0.2.3"
	in_resolver_ns run c1
	[ "$status" -eq 0 ]
	[[ "$output" == *"127.0.0.42"* ]]
	check_nothing_left c1
}

@test "network: a name resolves through 10.0.2.3 (root)" {
	dns root
}

@test "network: a name resolves through 10.0.2.3 (rootless)" {
	dns rootless
}

# --- ports, and the helper's life ----------------------------------------------

# serve MODE [ID]: a created and started container serving /etc/hostname on
# port 80, with run.urun.ports=HOST_PORT:80.  Sets ID and HELPER.
serve() {
	ID=${2:-c1}
	setup_network "$1" "{\"run.urun.ports\": \"$HOST_PORT:80\"}"
	set_cmd "exec httpd -f -p 80 -h /etc"
	runtime create "$ID"
	[ "$status" -eq 0 ]
	HELPER=$(helper_of "$ID")
	[ -S "$ROOT/$ID/slirp.sock" ]
	runtime start "$ID"
	[ "$status" -eq 0 ]
	container_pid "$ID" >/dev/null
}

forward_then_delete() {
	serve "$1"
	run get_port "$HOST_PORT" hostname
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat "$BUNDLE/rootfs/etc/hostname")" ]
	# `urun state` stays the OCI state: no helper in it.
	runtime state c1
	[ "$(jq -c 'keys' <<<"$output")" = '["annotations","bundle","created","id","ociVersion","owner","pid","rootfs","status"]' ]
	runtime delete --force c1
	[ "$status" -eq 0 ]
	wait_pids_gone "$HELPER"
	[ ! -e "$ROOT/c1" ]
	check_nothing_left c1
	run curl -s --max-time 2 "http://127.0.0.1:$HOST_PORT/hostname"
	[ "$status" -ne 0 ]
}

@test "network: run.urun.ports forwards a host port into the container; delete stops the helper (root)" {
	forward_then_delete root
}

@test "network: run.urun.ports forwards a host port into the container; delete stops the helper (rootless)" {
	forward_then_delete rootless
}

# port-mode=splice: the helper splices TCP ports (faster; the container
# sees connections from its own address, slirp.bats checks that).
@test "network: port-mode=splice forwards run.urun.ports by splice; delete leaves no helper (rootless)" {
	setup_network rootless "{\"run.urun.ports\": \"127.0.0.1:$HOST_PORT:80\", \"run.urun.network.options\": \"port-mode=splice\"}"
	set_cmd "exec httpd -f -p 80 -h /etc"
	runtime run -d c1
	[ "$status" -eq 0 ]
	local helper
	helper=$(helper_of c1)
	tr '\0' ' ' <"/proc/${helper%%:*}/cmdline" | grep -q -- "--port-mode=splice"
	run python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
s.sendall(b"{\"execute\": \"list_hostfwd\"}"); s.shutdown(socket.SHUT_WR)
print(s.recv(4096).decode())' "$ROOT/c1/slirp.sock"
	[ "$(jq -c '[.entries[] | [.host_port, .guest_port, .mode]]' <<<"$output")" = "[[$HOST_PORT,80,\"splice\"]]" ]
	run get_port "$HOST_PORT" hostname
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat "$BUNDLE/rootfs/etc/hostname")" ]
	runtime delete --force c1
	[ "$status" -eq 0 ]
	wait_pids_gone "$helper"
	# The helper's namespace child (same command line) went with it.
	[ -z "$(helpers_under_root)" ]
	check_nothing_left c1
}

killed_container() {
	serve "$1"
	kill -KILL "$(container_pid c1)"
	# The helper watches the container's process and exits with it.
	wait_pids_gone "$HELPER"
	wait_for_state c1 stopped
	runtime delete c1
	[ "$status" -eq 0 ]
	check_nothing_left c1
}

@test "network: kill -9 of the container ends the helper (root)" {
	killed_container root
}

@test "network: kill -9 of the container ends the helper (rootless)" {
	killed_container rootless
}

@test "network: a container ID too long for the API socket's path still gets its ports (root)" {
	# $ROOT/ID/slirp.sock passes sun_path's 108 bytes: the helper binds it
	# relative to the state directory.
	serve root "$(printf 'n%.0s' $(seq 150))"
	run get_port "$HOST_PORT" hostname
	[ "$status" -eq 0 ]
	runtime delete --force "$ID"
	[ "$status" -eq 0 ]
	wait_pids_gone "$HELPER"
	check_nothing_left "$ID"
}

@test "network: run -d keeps the helper until delete (rootless)" {
	setup_network rootless "{\"run.urun.ports\": \"127.0.0.1:$HOST_PORT:80\"}"
	set_cmd "exec httpd -f -p 80 -h /etc"
	runtime run -d c1
	[ "$status" -eq 0 ]
	local helper
	helper=$(helper_of c1)
	run get_port "$HOST_PORT" hostname
	[ "$status" -eq 0 ]
	pid_alive "$helper"
	runtime delete --force c1
	[ "$status" -eq 0 ]
	wait_pids_gone "$helper"
	check_nothing_left c1
}

@test "network: run.urun.network.options set the MTU and network, and can refuse the host's loopback" {
	setup_network rootless '{"run.urun.network.options": "mtu=1500,cidr=10.1.2.0/24,disable-host-loopback"}'
	host_server
	set_cmd "ip -o link show tap0; ip -o -4 addr show tap0; ip route; nc -w 2 10.1.2.2 $PORT </dev/null; echo nc=\$?"
	runtime run c1
	[ "$status" -eq 0 ]
	[[ "$output" == *"mtu 1500"* ]]
	[[ "$output" == *"10.1.2.100/24"* ]]
	[[ "$output" == *"default via 10.1.2.2"* ]]
	[[ "$output" != *"hello-from-host"* ]]
	check_nothing_left c1
}

# --- failures leave nothing behind ---------------------------------------------

failed_forward() {
	setup_network "$1" "{\"run.urun.ports\": \"$((HOST_PORT + 1)):81,127.0.0.1:$HOST_PORT:80\"}"
	# The host port is taken: the helper refuses the forward.
	python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
open(sys.argv[2], "w").write("x"); time.sleep(60)' "$HOST_PORT" "$BATS_TEST_TMPDIR/bound" &
	track_pid $!
	for _ in $(seq 100); do
		[ -s "$BATS_TEST_TMPDIR/bound" ] && break
		sleep 0.1
	done
	set_cmd_waiting
	runtime create c1
	expect_error "create \`c1\`: network: run.urun.ports: forward 127.0.0.1:$HOST_PORT to 80/tcp: .*Address already in use"
	[ -z "$(helpers_under_root)" ]
	check_nothing_left c1
}

@test "network: a port the host has taken fails create, leaving no helper (root)" {
	failed_forward root
}

@test "network: a port the host has taken fails create, leaving no helper (rootless)" {
	failed_forward rootless
}

@test "network: bad annotation values fail before anything exists" {
	setup_network rootless
	local cases=(
		'{"run.urun.network": "pasta"}|annotations.run.urun.network: expected `slirp` or `none`, not `pasta`'
		'{"run.urun.ports": "8080"}|annotations.run.urun.ports: `8080`: expected \[HOSTIP:\]HOSTPORT:GUESTPORT'
		'{"run.urun.ports": "80:80,8o:81"}|annotations.run.urun.ports: `8o:81`: host port `8o` is not a number in 1-65535'
		'{"run.urun.ports": "80:80/sctp"}|annotations.run.urun.ports: `80:80/sctp`: protocol `sctp` is not tcp or udp'
		'{"run.urun.ports": "80:80,80:81"}|annotations.run.urun.ports: `80:81`: host port 80/tcp is forwarded twice'
		'{"run.urun.network.options": "mtu=9"}|annotations.run.urun.network.options: `mtu=9`: the MTU must be 68-65521'
		'{"run.urun.network.options": "port-mode=fast"}|annotations.run.urun.network.options: unknown option `port-mode=fast` \(expected mtu=N, cidr=A.B.C.D/P, disable-host-loopback, enable-ipv6 or port-mode=slirp\|splice\)'
		'{"run.urun.network": "none", "run.urun.ports": "80:80"}|annotations.run.urun.ports: needs run.urun.network=slirp'
	)
	local c
	for c in "${cases[@]}"; do
		update_config '.annotations += $a' --argjson a "${c%%|*}"
		runtime create c1
		expect_error "create \`c1\`: config.json: ${c#*|}"
		check_nothing_left c1
		update_config '.annotations = {"run.urun.network": "slirp"}'
	done
	update_config '.linux.namespaces |= map(select(.type != "network"))'
	runtime create c1
	expect_error 'config.json: annotations.run.urun.network: `slirp` needs a network namespace of the container.s own'
	check_nothing_left c1
}

@test "network: no helper to be found fails create with the place looked at" {
	setup_network root
	URUN_SLIRP=/nonexistent/urun-slirp runtime create c1
	expect_error 'create `c1`: config.json: annotations.run.urun.network=slirp: \$URUN_SLIRP: `/nonexistent/urun-slirp` is not an executable'
	check_nothing_left c1
	# URUN_SLIRP takes slirp4netns, whose command line urun-slirp copies.
	command -v slirp4netns >/dev/null || return 0
	update_config '.annotations += {"run.urun.ports": "127.0.0.1:'"$HOST_PORT"':80"}'
	set_cmd "exec httpd -f -p 80 -h /etc"
	URUN_SLIRP=slirp4netns runtime run -d c1
	[ "$status" -eq 0 ]
	run get_port "$HOST_PORT" hostname
	[ "$status" -eq 0 ]
	local helper
	helper=$(helper_of c1)
	runtime delete --force c1
	wait_pids_gone "$helper"
	check_nothing_left c1
}
