#!/bin/bash
# compare.sh [OUTDIR]
#
# The validation suite against runc and crun as root, for the README's
# side-by-side counts (by hand; CI runs only urun).  crun 1.8.1 refuses this
# hybrid-cgroup host (it sees /sys/fs/cgroup/unified/cgroup.controllers and
# takes the host for cgroup v2), so it runs in a private mount namespace
# with that file covered by an empty one, as bench/ does.
set -euo pipefail

HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
OUT=${1:-/tmp/urun-conformance-compare}
mkdir -p "$OUT"

echo "== runc $(runc --version | awk 'NR == 1 { print $3 }')"
bash "$HERE/run.sh" -o "$OUT/runc" "$(command -v runc)" | tail -1

echo "== crun $(crun --version | awk 'NR == 1 { print $3 }')"
empty=$(mktemp /tmp/urun-empty.XXXXXX)
trap 'rm -f -- "$empty"' EXIT
unshare -m --propagation private sh -c '
	mount --bind "$1" /sys/fs/cgroup/unified/cgroup.controllers
	exec bash "$2/run.sh" -o "$3/crun" "$(command -v crun)"' sh "$empty" "$HERE" "$OUT" | tail -1
