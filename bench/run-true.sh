#!/bin/bash
# bench/run-true.sh [OUT_DIR]: how long `run` of /bin/true takes, rootless.
#
# urun, crun and runc run the same rootless bundle (process.args
# ["/bin/true"], user namespace with a 65536-ID subordinate mapping) as the
# test user, each with its own --root.  Everything is measured inside ONE
# private mount namespace where /sys/fs/cgroup/unified/cgroup.controllers is
# covered by an empty file: crun refuses a hybrid cgroup host otherwise.
# `unshare -Urmpf --mount-proc true` is the floor: the namespaces alone.
#
# Prints a markdown table of medians (hyperfine, --warmup 10 --runs 100),
# peak RSS (/usr/bin/time -v, median of 10) and binary sizes, with ratios vs
# crun.  OUT_DIR, if given, receives hyperfine.json and table.md.
# Run as root (tests/setup.sh first).  A runtime whose binary is missing or
# whose trial run fails is skipped with a message.
#
# Environment: URUN_BINARY (default build/urun), CRUN_BINARY, RUNC_BINARY.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_USER=urun-test
CLEAN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CONTROLLERS=/sys/fs/cgroup/unified/cgroup.controllers

die() {
	echo "run-true.sh: $*" >&2
	exit 1
}

log() {
	echo "run-true.sh: $*" >&2
}

# Run "$@" as the bench user with a clean environment.
as_user() {
	setpriv --reuid="$BENCH_UID" --regid="$BENCH_GID" --init-groups \
		env -i PATH="$CLEAN_PATH" HOME="$WORK" USER="$BENCH_USER" \
		XDG_RUNTIME_DIR="/run/user/$BENCH_UID" "$@"
}

# The bundle: the --rootless test bundle running /bin/true.  crun 1.8.1 only
# accepts an ociVersion of 1.0.x ("unknown version specified").
make_bench_bundle() {
	"$REPO/tests/make-bundle.sh" "$WORK/bundle" --rootless --user "$BENCH_USER" >&2
	jq '.process.args = ["/bin/true"] | .ociVersion = "1.0.2"' \
		"$WORK/bundle/config.json" >"$WORK/config.tmp"
	mv "$WORK/config.tmp" "$WORK/bundle/config.json"
}

# Fill NAMES/BINS/CMDS with each runtime that exists.
select_runtimes() {
	local name bin
	NAMES=() BINS=() CMDS=()
	for name in urun crun runc; do
		case $name in
		urun) bin=${URUN_BINARY:-$REPO/build/urun} ;;
		crun) bin=${CRUN_BINARY:-$(command -v crun || echo /usr/bin/crun)} ;;
		runc) bin=${RUNC_BINARY:-$(command -v runc || echo /usr/sbin/runc)} ;;
		esac
		if [ ! -x "$bin" ]; then
			log "skipping $name: no binary at \`$bin\`"
			continue
		fi
		mkdir -m 700 "$WORK/root-$name"
		NAMES+=("$name")
		BINS+=("$(realpath "$bin")")
		CMDS+=("$(realpath "$bin") --root $WORK/root-$name run --bundle $WORK/bundle bench-$name")
	done
}

# The part that runs inside the private mount namespace, as the bench user.
# Its arguments: "name<TAB>command" per runtime.  Prints nothing but logs.
write_inner_script() {
	cat >"$WORK/inner.sh" <<-'EOF'
	#!/bin/bash
	set -uo pipefail
	work=$1
	shift
	args=()
	: >"$work/ok"
	for entry in "$@"; do
		name=${entry%%	*}
		cmd=${entry#*	}
		# A trial run: hyperfine would abort on the first failure.
		if ! out=$($cmd 2>&1 </dev/null); then
			echo "run-true.sh: skipping $name: its trial run failed: $out" >&2
			continue
		fi
		echo "$name" >>"$work/ok"
		args+=(-n "$name" "$cmd")
	done
	args+=(-n floor "unshare -Urmpf --mount-proc true")
	hyperfine -N --warmup 10 --runs 100 --export-json "$work/hyperfine.json" "${args[@]}" >&2 || exit 1

	# Peak RSS: GNU time reports the largest of the processes it waited for.
	for entry in "$@"; do
		name=${entry%%	*}
		cmd=${entry#*	}
		grep -qx "$name" "$work/ok" || continue
		for i in 1 2 3 4 5 6 7 8 9 10; do
			/usr/bin/time -v -o "$work/time.out" $cmd </dev/null >/dev/null 2>&1
			awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.out"
		done | sort -n | awk '{ v[NR] = $1 } END { print (v[5] + v[6]) / 2 }' >"$work/rss-$name"
	done
	EOF
	chmod 755 "$WORK/inner.sh"
}

# Everything measured in one private mount namespace.  unshare -m makes the
# new namespace's mounts private, so the bind never reaches the host.
measure() {
	local entries=() i
	for i in "${!NAMES[@]}"; do
		entries+=("${NAMES[$i]}	${CMDS[$i]}")
	done
	: >"$WORK/empty"
	# shellcheck disable=SC2016
	unshare -m --propagation private bash -c '
		set -e
		if [ -e "$1" ]; then mount --bind "$2/empty" "$1"; fi
		shift 2
		"$@"
	' _ "$CONTROLLERS" "$WORK" \
		setpriv --reuid="$BENCH_UID" --regid="$BENCH_GID" --init-groups \
		env -i PATH="$CLEAN_PATH" HOME="$WORK" USER="$BENCH_USER" \
		XDG_RUNTIME_DIR="/run/user/$BENCH_UID" \
		bash "$WORK/inner.sh" "$WORK" "${entries[@]}"
}

# ratio A B: A/B with two decimals, or n/a.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f\n", a / b }'
}

report() {
	local json="$WORK/hyperfine.json" name median mean sd rss size i
	local crun_median crun_rss="" crun_size=""
	crun_median=$(jq -r '.results[] | select(.command == "crun") | .median * 1000' "$json")
	[ -f "$WORK/rss-crun" ] && crun_rss=$(cat "$WORK/rss-crun")
	for i in "${!NAMES[@]}"; do
		[ "${NAMES[$i]}" = crun ] && crun_size=$(stat -c %s "${BINS[$i]}")
	done

	echo "| runtime | median (ms) | mean ± σ (ms) | vs crun | peak RSS (KiB) | vs crun | binary (KiB) | vs crun |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	for name in "${NAMES[@]}" floor; do
		median=$(jq -r --arg n "$name" '.results[] | select(.command == $n) | .median * 1000' "$json")
		[ -n "$median" ] || continue
		mean=$(jq -r --arg n "$name" '.results[] | select(.command == $n) | "\(.mean * 1000 * 100 | round / 100) ± \(.stddev * 1000 * 100 | round / 100)"' "$json")
		rss="" size=""
		[ -f "$WORK/rss-$name" ] && rss=$(cat "$WORK/rss-$name")
		for i in "${!NAMES[@]}"; do
			[ "${NAMES[$i]}" = "$name" ] && size=$(stat -c %s "${BINS[$i]}")
		done
		printf '| %s | %.2f | %s | %s | %s | %s | %s | %s |\n' "$name" "$median" "$mean" \
			"$(ratio "$median" "$crun_median")" "${rss:--}" "$(ratio "$rss" "$crun_rss")" \
			"$([ -n "$size" ] && echo $((size / 1024)) || echo -)" "$(ratio "$size" "$crun_size")"
	done
	echo
	echo "Rootless (as $BENCH_USER, 65536 subordinate IDs), $(nproc) CPUs, kernel $(uname -r)."
	echo "Binary sizes are of the executable alone (shared libraries not counted)."
}

main() {
	local out=${1:-}
	[ "$(id -u)" -eq 0 ] || die "run as root (it switches to $BENCH_USER)"
	BENCH_UID=$(id -u "$BENCH_USER" 2>/dev/null) || die "no user $BENCH_USER: run tests/setup.sh"
	BENCH_GID=$(id -g "$BENCH_USER")
	command -v hyperfine >/dev/null || die "hyperfine is missing: run tests/setup.sh"
	[ -x /usr/bin/time ] || die "/usr/bin/time is missing: run tests/setup.sh"

	WORK=$(mktemp -d /tmp/urun-bench.XXXXXX)
	trap 'rm -rf -- "$WORK"' EXIT
	chmod 755 "$WORK"
	make_bench_bundle
	select_runtimes
	[ ${#NAMES[@]} -gt 0 ] || die "no runtime to measure"
	write_inner_script
	chown -R "$BENCH_UID:$BENCH_GID" "$WORK"

	measure
	report | tee "$WORK/table.md"
	if [ -n "$out" ]; then
		mkdir -p "$out"
		cp "$WORK/hyperfine.json" "$WORK/table.md" "$out/"
	fi
}

main "$@"
