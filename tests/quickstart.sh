#!/bin/bash
# quickstart.sh: on a fresh Debian bookworm machine, as root — install what
# urun needs, build it, build a busybox bundle, and run a rootless container
# from it as the unprivileged user urun-test (created here, with a
# subordinate ID range).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
USER_NAME=urun-test
BUNDLE=${1:-/tmp/urun-quickstart}

cd "$REPO"
bash tests/setup.sh >/dev/null
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null

uid=$(id -u "$USER_NAME")
if [ -e "$BUNDLE" ]; then
	echo "quickstart.sh: $BUNDLE exists; remove it or pass another directory" >&2
	exit 1
fi
bash tests/make-bundle.sh "$BUNDLE" --rootless --user "$USER_NAME" >/dev/null
jq '.process.args = ["sh", "-c", "echo Hello from a rootless urun container; id; cat /proc/self/uid_map; touch /hello 2>&1 || true"]' \
	"$BUNDLE/config.json" >"$BUNDLE/config.json.new"
mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
chown -R "$uid:$uid" "$BUNDLE"

echo "+ (as $USER_NAME) urun run quickstart   # bundle: $BUNDLE"
cd "$BUNDLE"
setpriv --reuid="$uid" --regid="$uid" --init-groups \
	env XDG_RUNTIME_DIR="/run/user/$uid" "$REPO/build/urun" run quickstart
