#!/usr/bin/env bats
# slirp.bats: urun-slirp, the user-mode networking helper
# (helpers/urun-slirp), run as the unprivileged test user against network
# namespaces made with `unshare --user --map-root-user --net`.
#
# Only loopback and namespace-internal addresses are ever contacted: the
# host side of every connection is 127.0.0.1 (10.0.2.2 inside), the DNS
# resolver is a script on a 127.x address, and the "remote client" of the
# source-address test lives in a network namespace of its own.
#
# SLIRP_BINARY picks the helper (default: urun-slirp next to the runtime
# under test); slirp4netns works for the tests not marked urun-slirp-only.

load helpers

SLIRP=$(realpath -m "${SLIRP_BINARY:-$(dirname "$URUN")/helpers/urun-slirp/urun-slirp}")

# --- python snippets (python3 is in every Debian test image) ---------------

# tcp_server HOST PORT PORTFILE: accept one connection, send "peer=ADDR",
# echo one line back.
PY_TCP_SERVER='
import os, socket, sys
host, port, portfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port)); s.listen(4); s.settimeout(30)
open(portfile + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(portfile + ".tmp", portfile)
c, a = s.accept(); c.settimeout(10)
c.sendall(("peer=%s\n" % a[0]).encode())
f = c.makefile("rb"); c.sendall(f.readline()); c.close()
'

# tcp_client HOST PORT [SOURCE]: print the server'"'"'s two lines.
PY_TCP_CLIENT='
import socket, sys
src = (sys.argv[3], 0) if len(sys.argv) > 3 else None
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10,
                             source_address=src)
f = c.makefile("rb"); peer = f.readline().decode().strip()
c.sendall(b"ping\n"); print(peer, f.readline().decode().strip())
'

# udp_echo HOST PORT PORTFILE: answer datagrams with "echo:DATA from ADDR".
PY_UDP_ECHO='
import os, socket, sys
host, port, portfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((host, port)); s.settimeout(30)
open(portfile + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(portfile + ".tmp", portfile)
while True:
    d, a = s.recvfrom(65535)
    s.sendto(b"echo:" + d + (" from %s" % a[0]).encode(), a)
'

# udp_client HOST PORT [SIZE]: send a datagram (of SIZE bytes), print the
# reply (its length with SIZE); retries, as UDP may lose the first one
# while ARP settles.
PY_UDP_CLIENT='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
size = int(sys.argv[3]) if len(sys.argv) > 3 else 0
msg = b"x" * size if size else b"hello"
for _ in range(5):
    s.sendto(msg, (sys.argv[1], int(sys.argv[2])))
    try:
        d = s.recv(70000)
    except socket.timeout:
        continue
    print(len(d) if size else d.decode()); sys.exit(0)
sys.exit(1)
'

# dns_server ADDR: answer every A query with 127.0.0.42, others with no data.
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
    qtype = q[i + 1:i + 3]
    question = q[12:i + 5]
    if qtype == b"\x00\x01":
        ans = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([127, 0, 0, 42])
        s.sendto(q[:2] + b"\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00" + question + ans, a)
    else:
        s.sendto(q[:2] + b"\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00" + question, a)
'

# api SOCKET JSON: one request as slirp4netns clients send it (write, then
# shutdown(SHUT_WR)), print the reply.
PY_API='
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.settimeout(10)
s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode()); s.shutdown(socket.SHUT_WR)
out = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    out += d
print(out.decode())
'

# bulk_server HOST PORT PORTFILE MODE: MODE=send: send 4 MiB of a pattern;
# MODE=recv: print the sha256 of all it receives.
PY_BULK_SERVER='
import hashlib, os, socket, sys
host, port, portfile, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port)); s.listen(1); s.settimeout(30)
open(portfile + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(portfile + ".tmp", portfile)
c, _ = s.accept(); c.settimeout(30)
data = bytes((i * 7 + i // 251) & 255 for i in range(1 << 16)) * 64
if mode == "send":
    c.sendall(data); c.close()
else:
    h = hashlib.sha256()
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        h.update(d)
    print(h.hexdigest())
'

PY_BULK_CLIENT='
import hashlib, socket, sys
host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
c = socket.create_connection((host, port), timeout=30)
data = bytes((i * 7 + i // 251) & 255 for i in range(1 << 16)) * 64
if mode == "send":
    c.sendall(data); c.shutdown(socket.SHUT_WR); c.recv(1)
else:
    h = hashlib.sha256()
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        h.update(d)
    print(h.hexdigest())
'

# paused_reader PORTFILE NS_PID: accept one connection, read nothing for
# 1 s, then read all of it; print the bytes read and the window probes the
# namespace's TCP sent after the reading resumed (TcpExt TCPWinProbe of
# /proc/NS_PID/net/netstat, the namespace's own counters).
PY_PAUSED_READER='
import os, socket, sys, time
def probes():
    lines = open("/proc/%s/net/netstat" % sys.argv[2]).read().splitlines()
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            return int(values.split()[names.split().index("TCPWinProbe")])
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1); s.settimeout(30)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
c, _ = s.accept(); c.settimeout(30)
time.sleep(1)
before = probes(); n = 0
while True:
    d = c.recv(1 << 20)
    if not d:
        break
    n += len(d)
print(n, probes() - before)
'

# PY_ECHO_SERVER PORT: echo every connection back until its end, then close.
PY_ECHO_SERVER='
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(256)
def echo(c):
    while True:
        d = c.recv(65536)
        if not d:
            break
        c.sendall(d)
    c.close()
while True:
    threading.Thread(target=echo, args=(s.accept()[0],), daemon=True).start()
'

# PY_PARALLEL_CLIENTS PORT N: N clients at once, each sends 30000+i random
# bytes, half-closes, and must get exactly them back; prints how many did.
PY_PARALLEL_CLIENTS='
import os, socket, sys, threading
ok = []
def client(i):
    try:
        c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
        data = os.urandom(30000 + i)
        c.sendall(data); c.shutdown(socket.SHUT_WR)
        got = b""
        while True:
            d = c.recv(65536)
            if not d:
                break
            got += d
        ok.append(got == data)
    except OSError as e:
        print(i, e)
ts = [threading.Thread(target=client, args=(i,)) for i in range(int(sys.argv[2]))]
[t.start() for t in ts]
[t.join() for t in ts]
print(sum(ok))
'

BULK_SHA256=$(python3 -c 'import hashlib; print(hashlib.sha256(bytes((i * 7 + i // 251) & 255 for i in range(1 << 16)) * 64).hexdigest())')

# --- helpers ----------------------------------------------------------------

setup_file() {
	# /dev/net/tun is 0600 on some machines; the helper opens it as the test
	# user inside a user namespace, where only "other" bits apply.
	if [ "$EUID" -eq 0 ] && [ -c /dev/net/tun ]; then
		chmod 666 /dev/net/tun
	fi
}

setup() {
	requires rootless
	[ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" = 666 ] ||
		skip "test requires /dev/net/tun with mode 666 (run as root or tests/setup.sh)"
	[ -x "$SLIRP" ] || skip "helper \`$SLIRP\` not built (ninja -C build) and SLIRP_BINARY not set"
	command -v python3 >/dev/null || skip "test requires python3"
	if [ "$EUID" -eq 0 ]; then
		AS_USER=(setpriv --reuid="$ROOTLESS_UID" --regid="$ROOTLESS_GID" --init-groups
			env -i PATH="$CLEAN_PATH" HOME="$(getent passwd "$ROOTLESS_USER" | cut -d: -f6)"
			XDG_RUNTIME_DIR="/run/user/$ROOTLESS_UID")
	else
		AS_USER=(env -i PATH="$CLEAN_PATH" HOME="$HOME" XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-}")
	fi
	# A directory the test user may write (API sockets, port files).
	WORK="$BATS_TEST_TMPDIR/work"
	mkdir -p "$WORK"
	if [ "$EUID" -eq 0 ]; then
		chown "$ROOTLESS_UID:$ROOTLESS_GID" "$WORK"
		make_traversable "$BATS_TEST_TMPDIR"
	fi
	NS_PID=""
	SLIRP_PID=""
}

teardown() {
	local entry
	if [ -f "$BATS_TEST_TMPDIR/podman-dir" ]; then
		local pm
		pm=$(cat "$BATS_TEST_TMPDIR/podman-dir")
		# vfs layers of a rootless store belong to subordinate IDs.
		[[ "$pm" == /tmp/urun-slirp-podman.* ]] && rm -rf -- "$pm" 2>/dev/null
		[ -d "$pm" ] && "${AS_USER[@]}" podman unshare rm -rf -- "$pm" 2>/dev/null
		rm -rf -- "$pm" 2>/dev/null
	fi
	if [ -f "$BATS_TEST_TMPDIR/tracked-pids" ]; then
		for entry in $(sort -u "$BATS_TEST_TMPDIR/tracked-pids"); do
			# wait: reap our own children quietly (no "Killed" job notice).
			pid_alive "$entry" && { kill -KILL "${entry%%:*}"; wait "${entry%%:*}"; } 2>/dev/null
		done
		rm -f -- "$BATS_TEST_TMPDIR/tracked-pids"
	fi
	# Whatever still runs in a namespace this test made (servers started
	# with in_ns) goes too.
	if [ -f "$BATS_TEST_TMPDIR/netns-ids" ]; then
		local p id
		for p in /proc/[0-9]*; do
			id=$(readlink "$p/ns/net" 2>/dev/null) || continue
			grep -qxF "$id" "$BATS_TEST_TMPDIR/netns-ids" && kill -KILL "${p#/proc/}" 2>/dev/null
		done
		rm -f -- "$BATS_TEST_TMPDIR/netns-ids"
	fi
	return 0
}

is_urun_slirp() {
	[[ "$(basename "$SLIRP")" == urun-slirp* ]]
}

requires_urun_slirp() {
	is_urun_slirp || skip "checks urun-slirp's own behaviour, not $(basename "$SLIRP")'s"
}

# start_netns [HOST_NS_PID]: a fresh user+network namespace owned by the
# test user (NS_PID), made inside HOST_NS_PID's network namespace if given.
start_netns() {
	local enter=()
	[ -n "${1:-}" ] && enter=(nsenter -t "$1" -n)
	"${enter[@]}" "${AS_USER[@]}" unshare --user --map-root-user --net sleep 1000 &
	NS_PID=$!
	track_pid "$NS_PID"
	local i
	for ((i = 0; i < 50; i++)); do
		if [ "$(readlink "/proc/$NS_PID/ns/net")" != "$(readlink /proc/self/ns/net)" ] &&
			[ "$(readlink "/proc/$NS_PID/ns/user")" != "$(readlink /proc/self/ns/user)" ]; then
			readlink "/proc/$NS_PID/ns/net" >>"$BATS_TEST_TMPDIR/netns-ids"
			return 0
		fi
		sleep 0.1
	done
	echo "namespace process $NS_PID did not unshare" >&2
	return 1
}

# in_ns CMD...: run CMD as the test user inside NS_PID's namespaces.
in_ns() {
	"${AS_USER[@]}" nsenter -t "$NS_PID" -U -n --preserve-credentials "$@"
}

# start_slirp ARGS...: the helper as the test user for NS_PID's tap0, with
# --ready-fd; waits until it is ready.  Sets SLIRP_PID; log in SLIRP_LOG.
start_slirp() {
	SLIRP_LOG="$BATS_TEST_TMPDIR/slirp.log"
	local ready="$BATS_TEST_TMPDIR/ready.$RANDOM"
	mkfifo "$ready"
	exec {ready_fd}<>"$ready"
	"${SLIRP_PREFIX[@]}" "${AS_USER[@]}" "$SLIRP" --ready-fd=3 "$@" "$NS_PID" tap0 \
		3>"$ready" {ready_fd}>&- >"$SLIRP_LOG" 2>&1 &
	SLIRP_PID=$!
	track_pid "$SLIRP_PID"
	local got=""
	read -r -t 10 -n 1 got <&"$ready_fd" || true
	exec {ready_fd}>&-
	rm -f -- "$ready"
	if [ "$got" != 1 ]; then
		echo "helper did not signal ready; log:" >&2
		cat "$SLIRP_LOG" >&2
		return 1
	fi
}

# wait_file FILE: up to 10 s for FILE to appear (servers write their port).
wait_file() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	echo "timed out waiting for $1" >&2
	return 1
}

# host_tcp_server [HOST]: the one-connection server on the host (as the test
# user); sets PORT.
host_tcp_server() {
	local pf="$WORK/tcp.port"
	"${AS_USER[@]}" python3 -c "$PY_TCP_SERVER" "${1:-127.0.0.1}" 0 "$pf" &
	track_pid $!
	wait_file "$pf"
	PORT=$(cat "$pf")
}

api() {
	"${AS_USER[@]}" python3 -c "$PY_API" "$API" "$1"
}

# ns_tcp_server PORT: the one-connection server inside the namespace, on
# every address; returns once it listens.
ns_tcp_server() {
	local pf="$WORK/guest.port.$1"
	in_ns python3 -c "$PY_TCP_SERVER" 0.0.0.0 "$1" "$pf" &
	track_pid $!
	wait_file "$pf"
}

# wait_gone PID: up to 5 s for the helper to exit.
wait_gone() {
	local i
	for ((i = 0; i < 50; i++)); do
		pid_alive "$1" || return 0
		sleep 0.1
	done
	echo "process $1 still alive" >&2
	return 1
}

# --- command line -----------------------------------------------------------

@test "slirp: --help names every option podman probes for, --version is parsable" {
	run "$SLIRP" --help
	[ "$status" -eq 0 ]
	for opt in --configure --mtu --cidr --disable-host-loopback --enable-ipv6 \
		--api-socket --exit-fd --ready-fd --enable-sandbox --enable-seccomp \
		--netns-type --userns-path --disable-dns --outbound-addr; do
		grep -q -- "$opt" <<<"$output" || { echo "missing $opt" >&2; false; }
	done
	run "$SLIRP" --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *" version "* ]]
	grep -q '^libslirp: ' <<<"$output"
}

@test "slirp: bad arguments fail with one message and status 1" {
	requires_urun_slirp
	run "$SLIRP" --mtu 70000 1 tap0
	[ "$status" -eq 1 ]
	[[ "$output" == "urun-slirp: --mtu: \`70000\`"* ]]
	run "$SLIRP" --cidr 10.0.2.1/24 1 tap0
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a network address"* ]]
	run "$SLIRP" 1
	[ "$status" -eq 1 ]
	[[ "$output" == *"missing TAPNAME"* ]]
	run "$SLIRP" --macaddress 02:00:00:00:00:01 1 tap0
	[ "$status" -eq 1 ]
	[[ "$output" == *"needs --configure"* ]]
}

@test "slirp: a namespace that does not exist is reported" {
	requires_urun_slirp
	run "${AS_USER[@]}" "$SLIRP" --netns-type=path "$WORK/nonexistent" tap0
	[ "$status" -eq 1 ]
	[[ "$output" == *"open \`$WORK/nonexistent\`: No such file or directory"* ]]
}

# --- configuration and connectivity ------------------------------------------

@test "slirp: --configure sets address, route, MTU and MAC; --ready-fd says 1" {
	start_netns
	start_slirp --configure --mtu 9000 --macaddress 02:11:22:33:44:55
	run in_ns ip -o -4 addr show dev tap0
	[[ "$output" == *"inet 10.0.2.100/24"* ]]
	run in_ns ip route show default
	[[ "$output" == *"default via 10.0.2.2 dev tap0"* ]]
	run in_ns ip -o link show dev tap0
	[[ "$output" == *"mtu 9000"* ]]
	[[ "$output" == *"link/ether 02:11:22:33:44:55"* ]]
	[[ "$output" == *"UP"* ]]
	run in_ns ip -o link show dev lo
	[[ "$output" == *"UP"* ]]
}

@test "slirp: --cidr moves every address" {
	start_netns
	start_slirp --configure --cidr 10.5.0.0/16
	run in_ns ip -o -4 addr show dev tap0
	[[ "$output" == *"inet 10.5.0.100/16"* ]]
	run in_ns ip route show default
	[[ "$output" == *"default via 10.5.0.2 dev tap0"* ]]
	host_tcp_server
	run in_ns python3 -c "$PY_TCP_CLIENT" 10.5.0.2 "$PORT"
	[ "$status" -eq 0 ]
	[ "$output" = "peer=127.0.0.1 ping" ]
}

@test "slirp: TCP to the host's loopback through 10.0.2.2" {
	start_netns
	start_slirp --configure
	host_tcp_server
	run in_ns python3 -c "$PY_TCP_CLIENT" 10.0.2.2 "$PORT"
	[ "$status" -eq 0 ]
	[ "$output" = "peer=127.0.0.1 ping" ]
	run in_ns busybox ping -c 1 -W 5 10.0.2.2
	[[ "$output" == *"1 packets received"* ]]
}

@test "slirp: --disable-host-loopback refuses 10.0.2.2" {
	start_netns
	start_slirp --configure --disable-host-loopback
	host_tcp_server
	run in_ns python3 -c "$PY_TCP_CLIENT" 10.0.2.2 "$PORT"
	[ "$status" -ne 0 ]
}

@test "slirp: UDP to the host's loopback through 10.0.2.2" {
	start_netns
	start_slirp --configure
	local pf="$WORK/udp.port"
	"${AS_USER[@]}" python3 -c "$PY_UDP_ECHO" 127.0.0.1 0 "$pf" &
	track_pid $!
	wait_file "$pf"
	run in_ns python3 -c "$PY_UDP_CLIENT" 10.0.2.2 "$(cat "$pf")"
	[ "$status" -eq 0 ]
	# libslirp sends from a socket of its own: the host sees itself.
	[ "$output" = "echo:hello from 127.0.0.1" ]
	# Datagrams larger than the MTU: fragmented on the way in and out.
	run in_ns python3 -c "$PY_UDP_CLIENT" 10.0.2.2 "$(cat "$pf")" 6000
	[ "$status" -eq 0 ]
	[ "$output" = "$((5 + 6000 + 15))" ]
}

# libslirp answers 10.0.2.3 with the first nameserver of the helper's
# /etc/resolv.conf: the helper runs in a mount namespace of its own where
# that file names a resolver this test starts on a loopback address.
# Needs root for the mount namespace and for port 53.
dns_setup() {
	requires root
	DNS_ADDR=127.53.$((RANDOM % 200 + 1)).$((RANDOM % 200 + 1))
	echo "nameserver $DNS_ADDR" >"$WORK/resolv.conf"
	chmod 644 "$WORK/resolv.conf"
	python3 -c "$PY_DNS_SERVER" "$DNS_ADDR" "$WORK/dns.ready" &
	track_pid $!
	wait_file "$WORK/dns.ready"
	SLIRP_PREFIX=(unshare --mount --propagation private
		sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$WORK/resolv.conf")
}

@test "slirp: DNS through 10.0.2.3 reaches the resolver of the helper's resolv.conf" {
	dns_setup
	start_netns
	start_slirp --configure
	run in_ns busybox nslookup urun-slirp.test 10.0.2.3
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"127.0.0.42"* ]]
}

@test "slirp: --disable-dns leaves 10.0.2.3 unanswered" {
	dns_setup
	start_netns
	start_slirp --configure --disable-dns
	run timeout 10 "${AS_USER[@]}" nsenter -t "$NS_PID" -U -n --preserve-credentials \
		busybox nslookup urun-slirp.test 10.0.2.3
	[[ "$output" != *"127.0.0.42"* ]]
}

# --- port forwarding and the API ---------------------------------------------

@test "slirp: API adds, lists and removes a TCP forward; the guest sees the gateway for loopback clients" {
	start_netns
	API="$WORK/api.sock"
	start_slirp --configure --api-socket "$API"
	local hport=$((20000 + RANDOM % 20000))
	ns_tcp_server 8080

	run api '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "127.0.0.1", "host_port": '"$hport"', "guest_port": 8080}}'
	[ "$(jq -r .return.id <<<"$output")" = 1 ]
	run api '{"execute": "list_hostfwd"}'
	[ "$(jq -c '(.return.entries // .entries)[0] | del(.mode)' <<<"$output")" = \
		'{"id":1,"proto":"tcp","host_addr":"127.0.0.1","host_port":'"$hport"',"guest_addr":"10.0.2.100","guest_port":8080}' ]
	# urun-slirp says which forward it is (slirp4netns has only this one).
	! is_urun_slirp || [ "$(jq -r '.entries[0].mode' <<<"$output")" = slirp ]

	run "${AS_USER[@]}" python3 -c "$PY_TCP_CLIENT" 127.0.0.1 "$hport"
	[ "$status" -eq 0 ]
	[ "$output" = "peer=10.0.2.2 ping" ]

	run api '{"execute": "remove_hostfwd", "arguments": {"id": 1}}'
	[ "$output" = '{"return":{}}' ]
	run api '{"execute": "list_hostfwd"}'
	[ "$(jq -c '(.return.entries // .entries)' <<<"$output")" = '[]' ]
	run "${AS_USER[@]}" python3 -c "$PY_TCP_CLIENT" 127.0.0.1 "$hport"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Connection refused"* ]]
}

@test "slirp: API forwards UDP" {
	start_netns
	API="$WORK/api.sock"
	start_slirp --configure --api-socket "$API"
	local pf="$WORK/guest.port" hport=$((20000 + RANDOM % 20000))
	in_ns python3 -c "$PY_UDP_ECHO" 0.0.0.0 5353 "$pf" &
	track_pid $!
	wait_file "$pf"
	run api '{"execute": "add_hostfwd", "arguments": {"proto": "udp", "host_addr": "127.0.0.1", "host_port": '"$hport"', "guest_port": 5353}}'
	[ "$(jq -r .return.id <<<"$output")" = 1 ]
	run "${AS_USER[@]}" python3 -c "$PY_UDP_CLIENT" 127.0.0.1 "$hport"
	[ "$status" -eq 0 ]
	[ "$output" = "echo:hello from 10.0.2.2" ]
}

@test "slirp: forwarded connections keep a non-loopback client's source address" {
	requires root
	# A private "host" network namespace with 198.18.0.1 (benchmarking range)
	# on its loopback device: a client address that is not 127.x, with no
	# route anywhere.
	unshare --net sh -c 'ip link set lo up && ip addr add 198.18.0.1/32 dev lo && exec sleep 1000' &
	local host_ns=$!
	track_pid "$host_ns"
	local i
	for ((i = 0; i < 50; i++)); do
		nsenter -t "$host_ns" -n ip -o addr show dev lo | grep -q 198.18.0.1 && break
		sleep 0.1
	done
	start_netns
	API="$WORK/api.sock"
	SLIRP_PREFIX=(nsenter -t "$host_ns" -n)
	start_slirp --configure --api-socket "$API"
	ns_tcp_server 8080
	run api '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_port": 8081, "guest_port": 8080}}'
	[ "$(jq -r .return.id <<<"$output")" = 1 ]
	run nsenter -t "$host_ns" -n "${AS_USER[@]}" python3 -c "$PY_TCP_CLIENT" 198.18.0.1 8081 198.18.0.1
	[ "$status" -eq 0 ]
	[ "$output" = "peer=198.18.0.1 ping" ]
}

# libslirp listens on a forwarded port with a backlog of 1; urun-slirp
# raises it, so a burst of clients all get through.
@test "slirp: a burst of 40 parallel clients through a forwarded port" {
	requires_urun_slirp
	start_netns
	API="$WORK/api.sock"
	start_slirp --configure --enable-sandbox --enable-seccomp --api-socket "$API"
	in_ns python3 -c "$PY_ECHO_SERVER" 9000 &
	track_pid $!
	local hport=$((20000 + RANDOM % 20000))
	sleep 0.5
	run api '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "127.0.0.1", "host_port": '"$hport"', "guest_port": 9000}}'
	[ "$(jq -r .return.id <<<"$output")" = 1 ]
	run "${AS_USER[@]}" python3 -c "$PY_PARALLEL_CLIENTS" "$hport" 40
	echo "$output"
	[ "$output" = 40 ]
}

@test "slirp: malformed API requests get error replies and the helper keeps serving" {
	start_netns
	API="$WORK/api.sock"
	start_slirp --configure --api-socket "$API"
	run api 'badjson'
	[ "$(jq -r .error.desc <<<"$output")" = "bad request: cannot parse JSON" ]
	run api '{"unexpectedjson": 42}'
	[ "$(jq -r .error.desc <<<"$output")" = "bad request: no execute found" ]
	run api '{"execute": "bad"}'
	[ "$(jq -r .error.desc <<<"$output")" = "bad request: unknown execute" ]
	run api '{"execute": "add_hostfwd", "arguments": {"proto": "bad"}}'
	[ "$(jq -r .error.desc <<<"$output")" = "bad request: add_hostfwd: bad arguments.proto" ]
	run api '{"execute": "remove_hostfwd", "arguments": {"id": 7}}'
	[ "$(jq -r .error.desc <<<"$output")" = "bad request: remove_hostfwd: bad arguments.id" ]
	run api '[1, 2'
	[ "$(jq -r .error.desc <<<"$output")" = "bad request: cannot parse JSON" ]
	run api '{"execute": "list_hostfwd"}'
	[ "$(jq -c '(.return.entries // .entries)' <<<"$output")" = '[]' ]
	pid_alive "$SLIRP_PID"
}

@test "slirp: API survives requests slirp4netns crashes on, and does not stall on a silent client" {
	requires_urun_slirp
	start_netns
	API="$WORK/api.sock"
	start_slirp --configure --api-socket "$API"
	# No arguments at all (slirp4netns 1.2 dereferences NULL here).
	run api '{"execute": "add_hostfwd"}'
	[ "$(jq -r .error.desc <<<"$output")" = "bad request: add_hostfwd: bad arguments.proto" ]
	# A client that connects and says nothing must not block the next one.
	"${AS_USER[@]}" python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(8)' "$API" &
	track_pid $!
	sleep 0.3
	run timeout 3 "${AS_USER[@]}" python3 -c "$PY_API" "$API" '{"execute": "list_hostfwd"}'
	[ "$status" -eq 0 ]
	[ "$(jq -c .return.entries <<<"$output")" = '[]' ]
	# A request without shutdown(SHUT_WR) is answered once it is complete.
	run timeout 3 "${AS_USER[@]}" python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(3); s.connect(sys.argv[1])
s.sendall(b"{\"execute\": \"list_hostfwd\"}"); print(s.recv(4096).decode())' "$API"
	[ "$status" -eq 0 ]
	[ "$(jq -c .return.entries <<<"$output")" = '[]' ]
	# Too large.
	run "${AS_USER[@]}" python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
try:
    s.sendall(b"[" * 200000)
except OSError:
    pass
print(s.recv(4096).decode())' "$API"
	[ "$(jq -r .error.desc <<<"$output")" = "bad request: too large message" ]
	pid_alive "$SLIRP_PID"
}

# --- lifetime -------------------------------------------------------------------

@test "slirp: closing --exit-fd ends the helper" {
	start_netns
	touch "$WORK/keep-alive"
	start_slirp --configure --exit-fd=4 4< <(while [ -e "$WORK/keep-alive" ]; do sleep 0.1; done)
	sleep 0.3
	pid_alive "$SLIRP_PID"
	rm "$WORK/keep-alive"
	wait_gone "$SLIRP_PID"
	grep -q "exit fd" "$SLIRP_LOG" || ! is_urun_slirp
}

@test "slirp: the death of the target process ends the helper" {
	requires_urun_slirp
	start_netns
	start_slirp --configure
	kill -KILL "$NS_PID"
	wait_gone "$SLIRP_PID"
	grep -q "target process exited" "$SLIRP_LOG"
}

@test "slirp: --netns-type=path, with and without --userns-path" {
	requires_urun_slirp
	start_netns
	SLIRP_LOG="$BATS_TEST_TMPDIR/path.log"
	"${AS_USER[@]}" "$SLIRP" --configure --netns-type=path \
		--userns-path="/proc/$NS_PID/ns/user" "/proc/$NS_PID/ns/net" tap0 >"$SLIRP_LOG" 2>&1 &
	track_pid $!
	local i
	for ((i = 0; i < 50; i++)); do
		in_ns ip -o -4 addr show dev tap0 2>/dev/null | grep -q 10.0.2.100 && break
		sleep 0.1
	done
	run in_ns ip -o -4 addr show dev tap0
	[[ "$output" == *"10.0.2.100"* ]]
	# Without --userns-path the owner of the network namespace is found.
	"${AS_USER[@]}" "$SLIRP" --configure --netns-type=path "/proc/$NS_PID/ns/net" tap1 \
		>"$SLIRP_LOG.2" 2>&1 &
	track_pid $!
	for ((i = 0; i < 50; i++)); do
		in_ns ip -o link show dev tap1 2>/dev/null | grep -q UP && break
		sleep 0.1
	done
	run in_ns ip -o link show dev tap1
	[[ "$output" == *"UP"* ]]
}

# --- sandbox ------------------------------------------------------------------

@test "slirp: --enable-sandbox --enable-seccomp: empty root, no capabilities, still forwarding" {
	start_netns
	API="$WORK/api.sock"
	start_slirp --configure --enable-sandbox --enable-seccomp --api-socket "$API"
	if [ "$EUID" -eq 0 ]; then
		# Its root holds only /etc (and where resolv.conf lives).
		run ls "/proc/$SLIRP_PID/root/"
		[ "$output" = "etc" ] || [ "$(echo "$output" | tr '\n' ' ')" = "etc run " ]
		[ "$(readlink "/proc/$SLIRP_PID/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]
	fi
	run grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp):' "/proc/$SLIRP_PID/status"
	echo "$output"
	# slirp4netns keeps CAP_NET_BIND_SERVICE in the user namespace it joins.
	is_urun_slirp && [[ "$output" == *"CapEff:	0000000000000000"* ]]
	[[ "$output" == *"NoNewPrivs:	1"* ]]
	[[ "$output" == *"Seccomp:	2"* ]]

	host_tcp_server
	run in_ns python3 -c "$PY_TCP_CLIENT" 10.0.2.2 "$PORT"
	[ "$output" = "peer=127.0.0.1 ping" ]
	local hport=$((20000 + RANDOM % 20000))
	ns_tcp_server 8080
	run api '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "127.0.0.1", "host_port": '"$hport"', "guest_port": 8080}}'
	[ "$(jq -r .return.id <<<"$output")" = 1 ]
	run "${AS_USER[@]}" python3 -c "$PY_TCP_CLIENT" 127.0.0.1 "$hport"
	[ "$output" = "peer=10.0.2.2 ping" ]
	pid_alive "$SLIRP_PID"
}

@test "slirp: DNS still works inside the sandbox" {
	dns_setup
	start_netns
	start_slirp --configure --enable-sandbox --enable-seccomp
	run in_ns busybox nslookup urun-slirp.test 10.0.2.3
	[[ "$output" == *"127.0.0.42"* ]]
}

# --- bulk data through both offload modes --------------------------------------

# 4 MiB each way, checked by SHA-256: the GSO frames, completed checksums
# and raised MSS of --offload=on must deliver the same bytes as plain frames.
bulk_roundtrip() {
	start_netns
	API="$WORK/api.sock"
	start_slirp --configure --api-socket "$API" "$@"
	local pf="$WORK/bulk.port"
	# namespace -> host
	"${AS_USER[@]}" python3 -c "$PY_BULK_SERVER" 127.0.0.1 0 "$pf" recv >"$WORK/recv.sum" &
	local srv=$!
	track_pid $srv
	wait_file "$pf"
	run in_ns python3 -c "$PY_BULK_CLIENT" 10.0.2.2 "$(cat "$pf")" send
	[ "$status" -eq 0 ]
	wait $srv
	[ "$(cat "$WORK/recv.sum")" = "$BULK_SHA256" ]
	# host -> namespace, through a forwarded port
	rm -f "$pf"
	in_ns python3 -c "$PY_BULK_SERVER" 0.0.0.0 9000 "$pf" send &
	track_pid $!
	wait_file "$pf"
	local hport=$((20000 + RANDOM % 20000))
	run api '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "127.0.0.1", "host_port": '"$hport"', "guest_port": 9000}}'
	[ "$(jq -r .return.id <<<"$output")" = 1 ]
	run "${AS_USER[@]}" python3 -c "$PY_BULK_CLIENT" 127.0.0.1 "$hport" recv
	[ "$status" -eq 0 ]
	[ "$output" = "$BULK_SHA256" ]
}

@test "slirp: bulk TCP both ways, MTU 1500 with offload" {
	requires_urun_slirp
	bulk_roundtrip --offload=on
}

@test "slirp: bulk TCP both ways, MTU 1500 without offload" {
	requires_urun_slirp
	bulk_roundtrip --offload=off
}

@test "slirp: bulk TCP both ways, MTU 65520" {
	bulk_roundtrip --mtu=65520
}

# paused_upload ARGS...: 64 MiB from the namespace to PY_PAUSED_READER
# through a helper started with ARGS; sets PROBES to the window probes sent
# once the reader resumed.  libslirp (4.7) sends a window update after its
# buffer for the host socket drains only if the window grew by two of its
# segments; with its largest ones (32 KiB, where slirp4netns is at MTU 65520)
# that never happens and the namespace waits for its persist timer, 200 ms
# or more, each time the host side falls behind.  urun-slirp sizes
# libslirp's segments so that the update comes (frame.c).
paused_upload() {
	start_netns
	start_slirp --configure "$@"
	local pf="$WORK/paused.port"
	rm -f "$pf"
	"${AS_USER[@]}" python3 -c "$PY_PAUSED_READER" "$pf" "$NS_PID" >"$WORK/paused.out" &
	local srv=$!
	track_pid $srv
	wait_file "$pf"
	run in_ns python3 -c 'import socket, sys
c = socket.create_connection(("10.0.2.2", int(sys.argv[1])), timeout=30)
c.sendall(b"x" * (64 << 20)); c.close()' "$(cat "$pf")"
	[ "$status" -eq 0 ]
	wait $srv
	read -r bytes PROBES <"$WORK/paused.out"
	[ "$bytes" -eq $((64 << 20)) ]
	kill "$SLIRP_PID" "$NS_PID"
	wait "$SLIRP_PID" "$NS_PID" 2>/dev/null || true
}

# no_probe_after_resume ARGS...: paused_upload needs no window probe.  A
# second try is allowed: a probe timer armed during the pause may fire in
# the instant between the counter's reading and the first recv().  Without
# the update every try needs one.
no_probe_after_resume() {
	paused_upload "$@"
	[ "$PROBES" -eq 0 ] && return 0
	echo "# try 1: $PROBES window probes after the reader resumed; again" >&3
	paused_upload "$@"
	echo "window probes after the reader resumed: $PROBES"
	[ "$PROBES" -eq 0 ]
}

@test "slirp: an upload goes on as soon as the host side catches up, MTU 1500" {
	requires_urun_slirp
	no_probe_after_resume
}

@test "slirp: an upload goes on as soon as the host side catches up, MTU 65520" {
	requires_urun_slirp
	no_probe_after_resume --mtu=65520
}

@test "slirp: an upload goes on as soon as the host side catches up, MTU 65520 without offload" {
	requires_urun_slirp
	no_probe_after_resume --mtu=65520 --offload=off
}

@test "slirp: bulk TCP both ways, MTU 65520 without offload" {
	requires_urun_slirp
	bulk_roundtrip --mtu=65520 --offload=off
}

@test "slirp: IPv6 forward keeps the IPv6 client's address" {
	requires_urun_slirp
	start_netns
	API="$WORK/api.sock"
	start_slirp --configure --enable-ipv6 --api-socket "$API"
	local i
	# SLAAC from libslirp's router advertisements (fd00::/64), after DAD.
	for ((i = 0; i < 100; i++)); do
		in_ns ip -o -6 addr show dev tap0 scope global 2>/dev/null | grep -q 'fd00::' &&
			! in_ns ip -o -6 addr show dev tap0 tentative | grep -q fd00 && break
		sleep 0.1
	done
	local pf="$WORK/guest.port"
	in_ns python3 -c "$PY_TCP_SERVER" :: 8080 "$pf" &
	track_pid $!
	wait_file "$pf"
	local hport=$((20000 + RANDOM % 20000))
	run api '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "::1", "host_port": '"$hport"', "guest_port": 8080}}'
	[ "$(jq -r .return.id <<<"$output")" = 1 ]
	# ::1 is loopback: the guest sees libslirp's host address fd00::2.
	run "${AS_USER[@]}" python3 -c "$PY_TCP_CLIENT" ::1 "$hport"
	echo "$output"
	[ "$output" = "peer=fd00::2 ping" ]
	run api '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "::1", "host_port": 8081, "guest_addr": "10.0.2.100", "guest_port": 8080}}'
	[[ "$(jq -r .error.desc <<<"$output")" == *"one family"* ]]
}

# --- spliced forwards ---------------------------------------------------------------

# add_forward HOST_PORT GUEST_PORT [EXTRA_JSON]: add_hostfwd on 127.0.0.1,
# checked.
add_forward() {
	run api '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "127.0.0.1", "host_port": '"$1"', "guest_port": '"$2""${3:+, $3}"'}}'
	echo "$output"
	[ "$(jq -r .return.id <<<"$output")" != null ]
}

@test "slirp: a spliced forward connects from the namespace's own address; listed, removed" {
	requires_urun_slirp
	start_netns
	API="$WORK/api.sock"
	start_slirp --configure --api-socket "$API"
	local hport=$((20000 + RANDOM % 20000))
	ns_tcp_server 8080
	add_forward "$hport" 8080 '"mode": "splice"'
	run api '{"execute": "list_hostfwd"}'
	[ "$(jq -c '.entries[0]' <<<"$output")" = \
		'{"id":1,"proto":"tcp","host_addr":"127.0.0.1","host_port":'"$hport"',"guest_addr":"10.0.2.100","guest_port":8080,"mode":"splice"}' ]
	# The connection is made inside the namespace: its source is the
	# namespace's own address, not the gateway's or the client's.
	run "${AS_USER[@]}" python3 -c "$PY_TCP_CLIENT" 127.0.0.1 "$hport"
	[ "$status" -eq 0 ]
	[ "$output" = "peer=10.0.2.100 ping" ]
	run api '{"execute": "remove_hostfwd", "arguments": {"id": 1}}'
	[ "$output" = '{"return":{}}' ]
	run "${AS_USER[@]}" python3 -c "$PY_TCP_CLIENT" 127.0.0.1 "$hport"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Connection refused"* ]]
}

@test "slirp: --port-mode=splice splices TCP forwards; UDP and \"mode\": \"slirp\" stay with libslirp" {
	requires_urun_slirp
	start_netns
	API="$WORK/api.sock"
	start_slirp --configure --port-mode=splice --api-socket "$API"
	local uf="$WORK/udp.port" hport=$((20000 + RANDOM % 20000))
	ns_tcp_server 8080
	in_ns python3 -c "$PY_UDP_ECHO" 0.0.0.0 5353 "$uf" &
	track_pid $!
	wait_file "$uf"
	add_forward "$hport" 8080
	run api '{"execute": "add_hostfwd", "arguments": {"proto": "udp", "host_addr": "127.0.0.1", "host_port": '"$hport"', "guest_port": 5353}}'
	[ "$(jq -r .return.id <<<"$output")" = 2 ]
	add_forward $((hport + 1)) 8081 '"mode": "slirp"'
	run api '{"execute": "list_hostfwd"}'
	[ "$(jq -c '[.entries[] | [.proto, .mode]]' <<<"$output")" = '[["tcp","splice"],["udp","slirp"],["tcp","slirp"]]' ]
	run "${AS_USER[@]}" python3 -c "$PY_TCP_CLIENT" 127.0.0.1 "$hport"
	[ "$output" = "peer=10.0.2.100 ping" ]
	run "${AS_USER[@]}" python3 -c "$PY_UDP_CLIENT" 127.0.0.1 "$hport"
	[ "$output" = "echo:hello from 10.0.2.2" ]
}

@test "slirp: spliced forwards: 4 MiB each way, 40 parallel clients with half-close" {
	requires_urun_slirp
	start_netns
	API="$WORK/api.sock"
	start_slirp --configure --mtu=65520 --port-mode=splice --api-socket "$API"
	local pf="$WORK/bulk.port" hport=$((20000 + RANDOM % 20000))
	# namespace -> host client
	in_ns python3 -c "$PY_BULK_SERVER" 0.0.0.0 9000 "$pf" send &
	track_pid $!
	wait_file "$pf"
	add_forward "$hport" 9000
	run "${AS_USER[@]}" python3 -c "$PY_BULK_CLIENT" 127.0.0.1 "$hport" recv
	[ "$status" -eq 0 ]
	[ "$output" = "$BULK_SHA256" ]
	# host client -> namespace; the server prints what it got once the
	# client's half-close reaches it.
	rm -f "$pf"
	in_ns python3 -c "$PY_BULK_SERVER" 0.0.0.0 9001 "$pf" recv >"$WORK/recv.sum" &
	local srv=$!
	track_pid $srv
	wait_file "$pf"
	add_forward $((hport + 1)) 9001
	run "${AS_USER[@]}" python3 -c "$PY_BULK_CLIENT" 127.0.0.1 $((hport + 1)) send
	[ "$status" -eq 0 ]
	wait $srv
	[ "$(cat "$WORK/recv.sum")" = "$BULK_SHA256" ]
	# Many at once, each echoed back whole after its half-close.
	in_ns python3 -c "$PY_ECHO_SERVER" 9002 &
	track_pid $!
	sleep 0.5
	add_forward $((hport + 2)) 9002
	run "${AS_USER[@]}" python3 -c "$PY_PARALLEL_CLIENTS" $((hport + 2)) 40
	echo "$output"
	[ "$output" = 40 ]
	# Every connection is gone: the helper holds no socket but its own
	# listeners, API socket and tap.
	local i n
	for ((i = 0; i < 50; i++)); do
		n=$(find "/proc/$SLIRP_PID/fd" -lname 'socket:*' 2>/dev/null | wc -l)
		[ "$n" -le 8 ] && break
		sleep 0.1
	done
	echo "sockets: $n"
	[ "$n" -le 8 ]
	pid_alive "$SLIRP_PID"
	# Six descriptors a connection: the helper raised its soft limit.
	run awk '/^Max open files/ { print ($4 == $5) }' "/proc/$SLIRP_PID/limits"
	[ "$output" = 1 ]
}

# PY_RESET_CLIENT PORT: connect, send a byte, read: "reset" when the
# connection is reset (the reset may beat connect(2)'s return on loopback).
PY_RESET_CLIENT='
import socket, sys
try:
    c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    c.sendall(b"x")
    print("read", len(c.recv(10)))
except ConnectionResetError:
    print("reset")
'

@test "slirp: spliced forwards pass resets on: a closed guest port, a server that resets" {
	requires_urun_slirp
	start_netns
	API="$WORK/api.sock"
	start_slirp --configure --port-mode=splice --api-socket "$API"
	local hport=$((20000 + RANDOM % 20000))
	add_forward "$hport" 9000
	# Nothing listens on 9000 in the namespace: the client's connection is
	# reset, as a closed port's would be.
	run "${AS_USER[@]}" python3 -c "$PY_RESET_CLIENT" "$hport"
	echo "$output"
	[ "$output" = reset ]
	# A server that answers with a reset (SO_LINGER 0).
	in_ns python3 -c 'import socket, struct
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 9000)); s.listen(8)
while True:
    c, _ = s.accept(); c.recv(10)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); c.close()' &
	track_pid $!
	sleep 0.5
	run "${AS_USER[@]}" python3 -c "$PY_RESET_CLIENT" "$hport"
	echo "$output"
	[ "$output" = reset ]
	pid_alive "$SLIRP_PID"
}

@test "slirp: spliced forward requests that cannot work get error replies" {
	requires_urun_slirp
	start_netns
	API="$WORK/api.sock"
	start_slirp --configure --enable-ipv6 --api-socket "$API"
	local hport=$((20000 + RANDOM % 20000))
	run api '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_port": '"$hport"', "guest_port": 80, "mode": "fast"}}'
	[ "$(jq -r .error.desc <<<"$output")" = 'bad request: add_hostfwd: bad arguments.mode ("slirp" or "splice")' ]
	run api '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_port": '"$hport"', "guest_port": 80, "mode": 1}}'
	[ "$(jq -r .error.desc <<<"$output")" = 'bad request: add_hostfwd: bad arguments.mode ("slirp" or "splice")' ]
	run api '{"execute": "add_hostfwd", "arguments": {"proto": "udp", "host_port": '"$hport"', "guest_port": 80, "mode": "splice"}}'
	[ "$(jq -r .error.desc <<<"$output")" = 'bad request: add_hostfwd: arguments.mode "splice" forwards TCP only' ]
	run api '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "::1", "host_port": '"$hport"', "guest_port": 80, "mode": "splice"}}'
	[ "$(jq -r .error.desc <<<"$output")" = 'bad request: add_hostfwd: arguments.mode "splice" over IPv6 needs arguments.guest_addr' ]
	# A host port that is taken.
	add_forward "$hport" 80 '"mode": "splice"'
	run api '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "127.0.0.1", "host_port": '"$hport"', "guest_port": 81, "mode": "splice"}}'
	[ "$(jq -r .error.desc <<<"$output")" = 'bad request: add_hostfwd: listen on the host port failed: Address already in use' ]
	run api '{"execute": "list_hostfwd"}'
	[ "$(jq -c '[.entries[].id]' <<<"$output")" = '[1]' ]
	pid_alive "$SLIRP_PID"
	# On the command line.
	run "${AS_USER[@]}" "$SLIRP" --port-mode=fast "$NS_PID" tap1
	[ "$status" -eq 1 ]
	[ "$output" = 'urun-slirp: --port-mode: `fast` is not slirp or splice' ]
	run "${AS_USER[@]}" "$SLIRP" --port-mode=splice "$NS_PID" tap1
	[ "$status" -eq 1 ]
	[ "$output" = 'urun-slirp: --port-mode=splice needs --api-socket and a PID or path target' ]
}

# The child that makes the namespace's sockets lives in the container's
# user namespace: it must hold nothing there, and end with the helper.
@test "slirp: the namespace child of spliced forwards: no capabilities, seccomp, ends with the helper" {
	requires_urun_slirp
	start_netns
	API="$WORK/api.sock"
	start_slirp --configure --enable-sandbox --enable-seccomp --port-mode=splice --api-socket "$API"
	local child extra
	# No newline ends the list: read returns 1 with the fields set.
	read -r child extra <"/proc/$SLIRP_PID/task/$SLIRP_PID/children" || true
	[ -n "$child" ] && [ -z "$extra" ]
	[ "$(readlink "/proc/$child/ns/net")" = "$(readlink "/proc/$NS_PID/ns/net")" ]
	[ "$(readlink "/proc/$child/ns/user")" = "$(readlink "/proc/$NS_PID/ns/user")" ]
	run grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp):' "/proc/$child/status"
	echo "$output"
	[[ "$output" == *"CapEff:	0000000000000000"* ]]
	[[ "$output" == *"CapPrm:	0000000000000000"* ]]
	[[ "$output" == *"CapBnd:	0000000000000000"* ]]
	[[ "$output" == *"NoNewPrivs:	1"* ]]
	[[ "$output" == *"Seccomp:	2"* ]]
	# It kept only its socket to the helper.
	[ "$(ls "/proc/$child/fd" | wc -l)" -eq 1 ]
	# Forwarding works through the sandbox and both filters.
	local hport=$((20000 + RANDOM % 20000))
	ns_tcp_server 8080
	add_forward "$hport" 8080
	run "${AS_USER[@]}" python3 -c "$PY_TCP_CLIENT" 127.0.0.1 "$hport"
	[ "$output" = "peer=10.0.2.100 ping" ]
	# SIGKILL leaves the helper no time to end it: the child goes anyway.
	kill -KILL "$SLIRP_PID"
	wait_gone "$child"
	# And without a namespace child (no API socket) there is none.
	start_slirp --configure
	[ -z "$(cat "/proc/$SLIRP_PID/task/$SLIRP_PID/children")" ]
}

# --- podman ----------------------------------------------------------------------

@test "slirp: podman 4 (rootless) uses it as network_cmd_path with port_handler=slirp4netns" {
	requires podman
	command -v busybox >/dev/null || skip "test requires busybox (busybox-static)"
	[ -x "$(command -v runc || command -v crun)" ] || skip "test requires crun or runc"
	local pm runtime
	runtime=$(command -v runc || command -v crun)
	# Short: podman puts the API socket in --tmpdir (sun_path is 108 bytes).
	pm=$(mktemp -d /tmp/urun-slirp-podman.XXXXXX)
	echo "$pm" >"$BATS_TEST_TMPDIR/podman-dir"
	mkdir -p "$pm/rootfs/bin" "$pm/rootfs/etc" "$pm/rootfs/tmp"
	cp "$(command -v busybox)" "$pm/rootfs/bin/busybox"
	for c in sh nc echo sleep cat; do ln -s busybox "$pm/rootfs/bin/$c"; done
	cat >"$pm/containers.conf" <<-EOF
		[engine]
		network_cmd_path = "$SLIRP"
		runtime = "$runtime"
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		[containers]
		netns = "slirp4netns"
	EOF
	[ "$EUID" -eq 0 ] && chown -R "$ROOTLESS_UID:$ROOTLESS_GID" "$pm"
	PODMAN=("${AS_USER[@]}" CONTAINERS_CONF="$pm/containers.conf"
		podman --root "$pm/storage" --runroot "$pm/run" --storage-driver vfs
		--tmpdir "$pm/tmp")
	tar -C "$pm/rootfs" -cf "$pm/rootfs.tar" .
	[ "$EUID" -eq 0 ] && chown "$ROOTLESS_UID:$ROOTLESS_GID" "$pm/rootfs.tar"
	run "${PODMAN[@]}" import "$pm/rootfs.tar" localhost/urun-slirp-busybox
	echo "$output"
	[ "$status" -eq 0 ]

	local hport=$((20000 + RANDOM % 20000))
	# runc ignores cgroup errors of rootless v1/hybrid hosts; crun refuses
	# hybrid hosts unless cgroups are off.
	local cg=()
	[ "$(basename "$runtime")" = crun ] && cg=(--cgroups=disabled)
	run "${PODMAN[@]}" run -d --name slirp-test "${cg[@]}" \
		--network slirp4netns:port_handler=slirp4netns -p "127.0.0.1:$hport:8080" \
		localhost/urun-slirp-busybox sh -c 'echo hello-from-podman | nc -l -p 8080'
	echo "$output"
	[ "$status" -eq 0 ]
	# The helper podman started is ours.
	local i found=""
	for ((i = 0; i < 50; i++)); do
		found=$(pgrep -u "$ROOTLESS_UID" -f "^$SLIRP .*tap0" || true)
		[ -n "$found" ] && break
		sleep 0.1
	done
	[ -n "$found" ]
	run "${AS_USER[@]}" python3 -c 'import socket, sys, time
for _ in range(50):
    try:
        c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
        d = c.recv(100)
        if d:
            print(d.decode().strip()); sys.exit(0)
    except OSError:
        pass
    time.sleep(0.2)
sys.exit(1)' "$hport"
	"${PODMAN[@]}" rm -f -t 0 slirp-test >/dev/null 2>&1 || true
	[ "$status" -eq 0 ]
	[ "$output" = "hello-from-podman" ]
	"${PODMAN[@]}" rmi -f localhost/urun-slirp-busybox >/dev/null 2>&1 || true
}
