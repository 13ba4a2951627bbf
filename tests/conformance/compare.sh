#!/bin/bash
# compare.sh [OUTDIR]
#
# The validation suite against runc and crun as root, for the README's
# side-by-side counts (by hand; CI runs only urun).  RUNC and CRUN name the
# binaries (default: the ones in $PATH, Debian's runc 1.1.5 and crun 1.8.1),
# e.g. CRUN=/opt/crun-1.27.1/bin/crun for a crun built from source.  crun 1.8.1 refuses this
# hybrid-cgroup host (it sees /sys/fs/cgroup/unified/cgroup.controllers and
# takes the host for cgroup v2), so it runs in a private mount namespace
# with that file covered by an empty one, as bench/ does.
set -euo pipefail

HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
OUT=${1:-/tmp/urun-conformance-compare}
mkdir -p "$OUT"

RUNC=${RUNC:-$(command -v runc)}
CRUN=${CRUN:-$(command -v crun)}

echo "== runc $("$RUNC" --version | awk 'NR == 1 { print $3 }')"
bash "$HERE/run.sh" -o "$OUT/runc" "$RUNC" | tail -1

echo "== crun $("$CRUN" --version | awk 'NR == 1 { print $3 }')"
empty=$(mktemp /tmp/urun-empty.XXXXXX)
trap 'rm -f -- "$empty"' EXIT
unshare -m --propagation private sh -c '
	mount --bind "$1" /sys/fs/cgroup/unified/cgroup.controllers
	exec bash "$2/run.sh" -o "$3/crun" "$4"' sh "$empty" "$HERE" "$OUT" "$CRUN" | tail -1
