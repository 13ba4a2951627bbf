#!/bin/bash
# exec-table.sh RUNTIME [--rootless]: which fields of the container's process
# config does `RUNTIME exec ID CMD` (no flags) inherit?
#
# Builds a busybox bundle whose process sets every field exec should inherit
# to a value that is not the default, runs it detached, execs a probe, and
# prints one line per field: `FIELD EXPECTED ACTUAL ok|WRONG`. Exit status 0
# when every field is right. As root, or (--rootless) as the test user.
# Used by tests/integration/exec.bats and for the README's exec table
# (runc and crun as root, inside `unshare -m` for crun on hybrid hosts).
set -euo pipefail

RUNTIME=$(realpath "$(command -v "$1")")
MODE=${2:-}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d /tmp/exec-table.XXXXXX)
ID=exec-table-$$
trap 'cleanup' EXIT

as_user() {
	if [ "$MODE" = --rootless ]; then
		setpriv --reuid=urun-test --regid=urun-test --init-groups \
			env XDG_RUNTIME_DIR="/run/user/$(id -u urun-test)" "$@"
	else
		"$@"
	fi
}

cleanup() {
	as_user "$RUNTIME" --root "$WORK/state" delete --force "$ID" >/dev/null 2>&1 || true
	rm -rf -- "$WORK"
}

make_bundle() {
	if [ "$MODE" = --rootless ]; then
		bash "$REPO/tests/make-bundle.sh" "$WORK/bundle" --rootless --user urun-test >/dev/null
	else
		bash "$REPO/tests/make-bundle.sh" "$WORK/bundle" >/dev/null
	fi
	local caps='["CAP_KILL", "CAP_NET_BIND_SERVICE"]'
	jq --argjson caps "$caps" '
	  .ociVersion = "1.0.2"
	  | .process.args = ["sleep", "1000"]
	  | .process.user = {"uid": 1000, "gid": 1000, "umask": 23, "additionalGids": [10, 20]}
	  | .process.cwd = "/tmp"
	  | .process.env += ["FOO=from-config"]
	  | .process.capabilities = {"bounding": $caps, "effective": $caps, "permitted": $caps,
	                             "inheritable": $caps, "ambient": $caps}
	  | .process.noNewPrivileges = true
	  | .process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456}]
	  | .process.oomScoreAdj = 500
	  | .process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 6}
	  | .process.scheduler = {"policy": "SCHED_BATCH", "nice": 7}
	  | .process.execCPUAffinity = {"initial": "0", "final": "1"}
	  | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
	                      "syscalls": [{"names": ["kexec_load"], "action": "SCMP_ACT_ERRNO"}]}
	' "$WORK/bundle/config.json" >"$WORK/config.json"
	mv "$WORK/config.json" "$WORK/bundle/config.json"
	mkdir -m 700 "$WORK/state"
	if [ "$MODE" = --rootless ]; then
		chown -R urun-test: "$WORK"
		chmod 755 "$WORK"
	fi
}

# What the probe prints, as FIELD=VALUE lines.
PROBE='s=/proc/$$/status
echo "uid=$(id -u)"; echo "gid=$(id -g)"; echo "groups=$(id -G | tr " " ,)"
echo "cwd=$(pwd)"; echo "env=$FOO"; echo "umask=$(umask)"
for f in CapEff CapBnd CapAmb NoNewPrivs Seccomp Cpus_allowed_list; do
  echo "$f=$(grep "^$f:" $s | cut -f2)"; done
echo "nofile=$(ulimit -n)"; echo "oom_score_adj=$(cat /proc/$$/oom_score_adj)"
echo "ionice=$(ionice -p $$ | tr -d " ")"
echo "nice=$(cut -d" " -f19 /proc/$$/stat)"; echo "policy=$(cut -d" " -f41 /proc/$$/stat)"'

EXPECTED="uid=1000
gid=1000
groups=1000,10,20
cwd=/tmp
env=from-config
umask=0027
CapEff=0000000000000420
CapBnd=0000000000000420
CapAmb=0000000000000420
NoNewPrivs=1
Seccomp=2
Cpus_allowed_list=1
nofile=123
oom_score_adj=500
ionice=best-effort:prio6
nice=7
policy=3"

make_bundle
cd "$WORK/bundle"
as_user "$RUNTIME" --root "$WORK/state" run -d "$ID" </dev/null >/dev/null 2>"$WORK/run.err" || {
	echo "run failed: $(cat "$WORK/run.err")" >&2
	exit 2
}
actual=$(as_user "$RUNTIME" --root "$WORK/state" exec "$ID" sh -c "$PROBE" 2>"$WORK/exec.err") || {
	echo "exec failed: $(cat "$WORK/exec.err")" >&2
	exit 2
}
wrong=0
while IFS='=' read -r field value; do
	got=$(grep -m1 "^$field=" <<<"$actual" | cut -d= -f2- || true)
	if [ "$got" = "$value" ]; then
		echo "$field $value $got ok"
	else
		echo "$field $value ${got:-(none)} WRONG"
		wrong=1
	fi
done <<<"$EXPECTED"
exit "$wrong"
