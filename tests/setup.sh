#!/bin/bash
# setup.sh [BUNDLE_DIR]
#
# Prepare a Debian bookworm machine (as root) to build and test urun:
# install the packages, build CRIU 4.1.1 (tests/build-criu.sh), create the
# rootless test user, open /dev/fuse and
# /dev/net/tun to it, and build the default busybox bundle at BUNDLE_DIR
# (default: ${URUN_TEST_CACHE:-/tmp/urun-test-cache}/bundle).
# Idempotent: a second run changes nothing.
set -euo pipefail

TEST_USER=urun-test
SUBID_COUNT=65536
TESTS_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")

PACKAGES=(
	# build
	gcc meson ninja-build pkg-config libyajl-dev libseccomp-dev libcap-dev libsubid-dev
	libsystemd-dev # sd-bus's header: --systemd-cgroup dlopen()s libsystemd.so.0
	# a systemd user manager for --systemd-cgroup's tests (systemd.bats)
	systemd dbus-user-session
	# run and test
	uidmap busybox-static bats jq util-linux procps iproute2 valgrind file tmux
	golang-github-containers-common # podman's default seccomp profile
	# overlay fallback for unprivileged users (overlay.bats)
	fuse-overlayfs fuse3
	# rootless podman with urun (tests/podman-scenarios.sh), man pages
	podman conmon slirp4netns fuse-overlayfs go-md2man
	# OCI validation suite (tests/conformance/build.sh) and the fuzzers (tests/fuzz)
	golang-go golang-github-opencontainers-specs-dev golang-github-google-uuid-dev
	golang-github-hashicorp-go-multierror-dev golang-github-mrunalp-fileutils-dev
	golang-github-opencontainers-selinux-dev golang-github-sirupsen-logrus-dev
	golang-github-urfave-cli-dev golang-gocapability-dev golang-golang-x-sys-dev xz-utils
	clang libclang-rt-14-dev
	# helpers/urun-slirp (slirp.pc needs glib's headers) and its tests
	libslirp-dev libglib2.0-dev iperf3 python3
	# benchmark
	hyperfine time crun runc
)

log() {
	echo "setup.sh: $*" >&2
}

# Packages of PACKAGES that are not installed yet.
missing_packages() {
	local p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			echo "$p"
	done
}

# apt-get update only when the lists are older than a day (or absent).
apt_update_if_stale() {
	local lists=/var/lib/apt/lists
	if [ -n "$(find "$lists" -maxdepth 1 -name '*_Packages*' -mtime -1 -print -quit 2>/dev/null)" ]; then
		return
	fi
	log "apt-get update"
	apt-get update -q
}

install_packages() {
	local missing
	missing=$(missing_packages)
	[ -n "$missing" ] || return 0
	apt_update_if_stale
	log "installing:" $missing
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
}

# Give USER a range of SUBID_COUNT IDs in FILE (/etc/subuid or /etc/subgid)
# unless it has one.  The range starts after the highest one in use.
ensure_subid_range() {
	local user=$1 file=$2 start
	touch "$file"
	if awk -F: -v u="$user" -v n="$SUBID_COUNT" '$1 == u && $3 >= n { found = 1 } END { exit !found }' "$file"; then
		return
	fi
	start=$(awk -F: 'BEGIN { m = 100000 } NF == 3 && $2 + $3 > m { m = $2 + $3 } END { print m }' "$file")
	log "adding $user:$start:$SUBID_COUNT to $file"
	echo "$user:$start:$SUBID_COUNT" >>"$file"
}

setup_user() {
	local uid
	if ! id "$TEST_USER" >/dev/null 2>&1; then
		log "creating user $TEST_USER"
		# useradd adds subordinate ranges itself when login.defs has SUB_*_COUNT.
		useradd -m -s /bin/bash "$TEST_USER"
	fi
	ensure_subid_range "$TEST_USER" /etc/subuid
	ensure_subid_range "$TEST_USER" /etc/subgid

	uid=$(id -u "$TEST_USER")
	mkdir -p "/run/user/$uid"
	chown "$TEST_USER:$(id -g "$TEST_USER")" "/run/user/$uid"
	chmod 700 "/run/user/$uid"
}

# The rootless tests need fuse-overlayfs and urun-slirp to open these.
open_devices() {
	local dev
	for dev in /dev/fuse /dev/net/tun; do
		[ -c "$dev" ] && chmod 666 "$dev"
	done
	return 0
}

build_bundle() {
	local dir=$1
	if [ -f "$dir/config.json" ] && [ -x "$dir/rootfs/bin/busybox" ]; then
		return
	fi
	log "building bundle $dir"
	[ -d "$dir" ] && [ -z "$(ls -A "$dir")" ] && rmdir "$dir"
	mkdir -p "$(dirname "$dir")"
	"$TESTS_DIR/make-bundle.sh" "$dir"
}

main() {
	local bundle=${1:-${URUN_TEST_CACHE:-/tmp/urun-test-cache}/bundle}
	[ "$(id -u)" -eq 0 ] || { log "must run as root"; exit 1; }
	install_packages
	# CRIU 4.1.1 into /opt/urun-criu (bookworm's 3.17.1 fails on this kernel);
	# meson finds its criu.pc there.
	bash "$TESTS_DIR/build-criu.sh"
	setup_user
	open_devices
	build_bundle "$bundle"
	log "ready (user $TEST_USER, bundle $bundle)"
}

main "$@"
