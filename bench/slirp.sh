#!/bin/bash
# slirp.sh: urun-slirp against slirp4netns, side by side in one run.
#
#   bench/slirp.sh [-t SECONDS] [-n RUNS] [-m "MTU..."] [-F] [-P] [URUN_SLIRP]
#
# For each MTU (default 1500 and 65520) and each helper, iperf3 measures
#   ns->host  a client in the namespace sends to a server on the host's
#             loopback through 10.0.2.2;
#   host->ns  a client on the host sends through a forwarded port (API
#             add_hostfwd, 127.0.0.1:PORT -> 10.0.2.100:5201) to a server in
#             the namespace; urun-slirp twice: its default libslirp forward
#             (which keeps the client's address) and "mode": "splice";
# and the helper's CPU time (utime + stime of /proc/PID/stat, which also
# counts the kernel work done in its context) per GB moved.  Runs are
# interleaved (helper A, helper B, A, B, ...) and the median is reported,
# with the median of the run-by-run ratios: the runs of one round are
# seconds apart, so a slow spell of the machine (on this VM both helpers
# lose a fifth of their throughput at times) moves both sides of a round,
# where it may move only one side's median.
# As root, every process of a run (helper, iperf3 on both sides) runs
# SCHED_FIFO priority 1 so that other load on the machine does not decide
# the result (a 2-core machine shared with builds swings by 3x otherwise);
# -F turns that off.  -P pins the helper to CPU 1 and everything else
# (both iperf3 ends) to CPU 0: the helper then has a core of its own, as
# beside a container's workload on a larger host, and the result depends on
# the helper's cost per byte rather than on how the scheduler packs three
# busy processes onto 2 cores.  -P runs without SCHED_FIFO: two FIFO
# processes of one priority on one CPU starve each other (the iperf3 client
# never yields to the server).  RT throttling (sched_rt_runtime_us) keeps the
# machine responsive; nothing here spins.  Prints a markdown table; a ratio
# above 1 is urun-slirp ahead (more throughput, less CPU per GB).
#
# URUN_SLIRP_ARGS adds options to urun-slirp's command line (say
# --offload=off to compare the plain frame path).
#
# Only loopback and the namespaces' own addresses are used.  Needs iperf3,
# slirp4netns, python3, jq and unprivileged user namespaces (or root).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=5
RUNS=3
MTUS="1500 65520"
RT=0
PIN=0
[ "$EUID" -eq 0 ] && command -v chrt >/dev/null && RT=1
ARGS=("$@")
while getopts "t:n:m:FP" opt; do
	case $opt in
	t) DURATION=$OPTARG ;;
	n) RUNS=$OPTARG ;;
	m) MTUS=$OPTARG ;;
	F) RT=0 ;;
	P) PIN=1 RT=0 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
# reexec_once MARKER COMMAND...: run this script again under COMMAND,
# once (MARKER set in the environment says it happened).  Everything started
# from here inherits the policy and the CPU (-P: CPU 0; run_one moves the
# helper to CPU 1).
reexec_once() {
	local marker=$1
	shift
	[ -n "${!marker:-}" ] || exec env "$marker=1" "$@" "$0" "${ARGS[@]}"
}
# Not nproc: it counts the CPUs of our affinity, one after the re-exec.
if [ "$PIN" = 1 ] && ! taskset -c 0,1 true 2>/dev/null; then
	echo "slirp.sh: -P needs CPUs 0 and 1 and taskset" >&2
	exit 1
fi
[ "$PIN" = 1 ] && reexec_once URUN_SLIRP_BENCH_PIN taskset -c 0
[ "$RT" = 1 ] && reexec_once URUN_SLIRP_BENCH_RT chrt -f 1
PIN_HELPER=()
[ "$PIN" = 1 ] && PIN_HELPER=(taskset -c 1)
URUN_SLIRP=$(realpath "${1:-$REPO/build/helpers/urun-slirp/urun-slirp}")
SLIRP4NETNS=$(command -v slirp4netns || true)

for tool in iperf3 python3 jq unshare nsenter "$URUN_SLIRP" "$SLIRP4NETNS"; do
	if [ -z "$tool" ] || ! command -v "$tool" >/dev/null; then
		echo "slirp.sh: missing ${tool:-slirp4netns} (apt-get install iperf3 slirp4netns python3 jq)" >&2
		exit 1
	fi
done

WORK=$(mktemp -d /tmp/urun-slirp-bench.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf -- "$WORK"
}
trap cleanup EXIT

CLK_TCK=$(getconf CLK_TCK)

# utime + stime of PID, in clock ticks.
cpu_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat")
	stat=${stat##*) }
	awk '{ print $12 + $13 }' <<<"$stat"
}

api() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode()); s.shutdown(socket.SHUT_WR)
print(s.recv(4096).decode())' "$@"
}

wait_for() {
	local i
	for ((i = 0; i < 100; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "slirp.sh: timed out waiting for: $*" >&2
	return 1
}

# run_one HELPER MTU DIRECTION [MODE]: sets RESULT to "GBITS CPU_S_PER_GB";
# MODE is add_hostfwd's "mode" (urun-slirp only).
# Background processes write nowhere near our stdout, so nothing holds it.
run_one() {
	local helper=$1 mtu=$2 dir=$3 mode=${4:-} ns slirp port=$((30000 + RANDOM % 20000)) extra=()
	local api_sock="$WORK/api.$RANDOM.sock" json="$WORK/iperf.json" t0 t1 bytes

	unshare --user --map-root-user --net sleep 1000 >/dev/null 2>&1 &
	ns=$!
	PIDS+=("$ns")
	wait_for sh -c '[ "$(readlink "/proc/$1/ns/net")" != "$(readlink /proc/self/ns/net)" ]' sh "$ns"
	# shellcheck disable=SC2206
	[ "$helper" = "$URUN_SLIRP" ] && extra=(${URUN_SLIRP_ARGS:-})
	"${PIN_HELPER[@]}" "$helper" --configure --mtu "$mtu" --api-socket "$api_sock" "${extra[@]}" "$ns" tap0 \
		>"$WORK/helper.log" 2>&1 &
	slirp=$!
	PIDS+=("$slirp")
	wait_for test -S "$api_sock"
	wait_for nsenter -t "$ns" -U -n --preserve-credentials sh -c 'ip -o -4 addr show tap0 | grep -q 10.0.2.100'

	if [ "$dir" = ns-host ]; then
		iperf3 -s -1 -B 127.0.0.1 -p "$port" >/dev/null 2>&1 </dev/null &
		PIDS+=($!)
		wait_for sh -c "ss -ltn | grep -q 127.0.0.1:$port"
		t0=$(cpu_ticks "$slirp")
		nsenter -t "$ns" -U -n --preserve-credentials \
			iperf3 -c 10.0.2.2 -p "$port" -t "$DURATION" -J >"$json"
	else
		nsenter -t "$ns" -U -n --preserve-credentials iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
		PIDS+=($!)
		wait_for nsenter -t "$ns" -U -n --preserve-credentials sh -c 'ss -ltn | grep -q :5201'
		api "$api_sock" '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"127.0.0.1","host_port":'"$port"',"guest_port":5201'"${mode:+,\"mode\":\"$mode\"}"'}}' >/dev/null
		t0=$(cpu_ticks "$slirp")
		iperf3 -c 127.0.0.1 -p "$port" -t "$DURATION" -J >"$json"
	fi
	t1=$(cpu_ticks "$slirp")
	bytes=$(jq '.end.sum_received.bytes' "$json")
	kill "$ns" "$slirp" 2>/dev/null || true
	wait "$ns" "$slirp" 2>/dev/null || true
	RESULT=$(awk -v b="$bytes" -v d="$DURATION" -v t=$((t1 - t0)) -v hz="$CLK_TCK" \
		'BEGIN { printf "%.3f %.3f\n", b * 8 / d / 1e9, (t / hz) / (b / 1e9) }')
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "urun-slirp:  $("$URUN_SLIRP" --version | head -1) ($URUN_SLIRP)" >&2
echo "slirp4netns: $("$SLIRP4NETNS" --version | head -1)" >&2
echo "$RUNS runs of ${DURATION}s each, interleaved; medians$([ "$RT" = 1 ] && echo "; SCHED_FIFO 1")$([ "$PIN" = 1 ] && echo "; helper on CPU 1, iperf3 on CPU 0")" >&2

declare -A GBITS CPUGB
for mtu in $MTUS; do
	for dir in ns-host host-ns; do
		helpers="slirp4netns urun-slirp"
		[ "$dir" = host-ns ] && helpers+=" urun-slirp-splice"
		for ((r = 1; r <= RUNS; r++)); do
			for h in $helpers; do
				bin=$URUN_SLIRP mode=""
				[ "$h" = slirp4netns ] && bin=$SLIRP4NETNS
				[ "$h" = urun-slirp-splice ] && mode=splice
				run_one "$bin" "$mtu" "$dir" "$mode"
				read -r g c <<<"$RESULT"
				echo "  $dir mtu=$mtu $h run $r: $g Gbit/s, $c CPU-s/GB" >&2
				GBITS[$h,$mtu,$dir]+="$g "
				CPUGB[$h,$mtu,$dir]+="$c "
			done
		done
	done
done

echo
# paired S U: the median of U[i] / S[i] (or S[i] / U[i] with -i) over the
# runs i of two space-separated lists.
paired() {
	local invert=0
	[ "$1" = -i ] && invert=1 && shift
	awk -v s="$1" -v u="$2" -v inv="$invert" 'BEGIN {
		n = split(s, a, " "); split(u, b, " ")
		for (i = 1; i <= n; i++) print (inv ? a[i] / b[i] : b[i] / a[i]) }' | median
}

echo "| direction | MTU | slirp4netns Gbit/s | urun-slirp Gbit/s | throughput ratio (paired) | slirp4netns CPU-s/GB | urun-slirp CPU-s/GB | CPU/GB ratio (paired) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for mtu in $MTUS; do
	for row in ns-host,urun-slirp host-ns,urun-slirp host-ns,urun-slirp-splice; do
		dir=${row%,*} h=${row#*,}
		label="namespace -> host loopback (10.0.2.2)"
		[ "$dir" = host-ns ] && label="host -> forwarded port -> namespace"
		[ "$h" = urun-slirp-splice ] && label="host -> spliced forwarded port -> namespace"
		sg=$(tr ' ' '\n' <<<"${GBITS[slirp4netns,$mtu,$dir]}" | grep . | median)
		ug=$(tr ' ' '\n' <<<"${GBITS[$h,$mtu,$dir]}" | grep . | median)
		sc=$(tr ' ' '\n' <<<"${CPUGB[slirp4netns,$mtu,$dir]}" | grep . | median)
		uc=$(tr ' ' '\n' <<<"${CPUGB[$h,$mtu,$dir]}" | grep . | median)
		pg=$(paired "${GBITS[slirp4netns,$mtu,$dir]}" "${GBITS[$h,$mtu,$dir]}")
		pc=$(paired -i "${CPUGB[slirp4netns,$mtu,$dir]}" "${CPUGB[$h,$mtu,$dir]}")
		awk -v l="$label" -v m="$mtu" -v sg="$sg" -v ug="$ug" -v sc="$sc" -v uc="$uc" -v pg="$pg" -v pc="$pc" 'BEGIN {
			printf "| %s | %d | %.2f | %.2f | %.2fx (%.2fx) | %.3f | %.3f | %.2fx (%.2fx) |\n",
				l, m, sg, ug, ug / sg, pg, sc, uc, sc / uc, pc }'
	done
done
