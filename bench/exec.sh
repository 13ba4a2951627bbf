#!/bin/bash
# bench/exec.sh: latency of `exec ID /bin/true` into a running container,
# urun vs crun vs runc in one hyperfine run, as root, same busybox bundle.
# Everything runs inside one private mount namespace where
# /sys/fs/cgroup/unified/cgroup.controllers is covered by an empty file:
# crun refuses this hybrid-cgroup host otherwise. Prints a markdown table
# with ratios vs crun.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
URUN=${URUN_BINARY:-$REPO/build/urun}
CONTROLLERS=/sys/fs/cgroup/unified/cgroup.controllers

if [ "${1:-}" != --inside ]; then
	exec unshare -m "$0" --inside
fi

WORK=$(mktemp -d /tmp/urun-bench-exec.XXXXXX)
cleanup() {
	local rt
	for rt in urun crun runc; do
		"${BIN[$rt]}" --root "$WORK/state-$rt" delete --force "bench-$rt" >/dev/null 2>&1 || true
	done
	rm -rf -- "$WORK"
}
declare -A BIN=([urun]="$URUN" [crun]=/usr/bin/crun [runc]=/usr/sbin/runc)
trap cleanup EXIT

touch "$WORK/empty"
mount --bind "$WORK/empty" "$CONTROLLERS"
bash "$REPO/tests/make-bundle.sh" "$WORK/bundle" >/dev/null
jq '.process.args = ["sleep", "1000"] | .ociVersion = "1.0.2"' "$WORK/bundle/config.json" >"$WORK/c.json"
mv "$WORK/c.json" "$WORK/bundle/config.json"

cmds=()
for rt in urun crun runc; do
	"${BIN[$rt]}" --root "$WORK/state-$rt" run -d --bundle "$WORK/bundle" "bench-$rt" </dev/null >/dev/null 2>&1
	cmds+=(-n "$rt" "${BIN[$rt]} --root $WORK/state-$rt exec bench-$rt /bin/true")
done
hyperfine -N --warmup 10 --runs 100 --export-json "$WORK/exec.json" "${cmds[@]}" >&2
jq -r '
  (.results | map(select(.command == "crun")) | .[0].median) as $crun
  | "| runtime | median (ms) | vs crun |", "|---|---:|---:|",
    (.results[] | "| \(.command) | \(.median * 1000 * 100 | round / 100) | \(.median / $crun * 100 | round / 100) |")
' "$WORK/exec.json"
