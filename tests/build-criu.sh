#!/bin/bash
# build-criu.sh [PREFIX]
#
# Build CRIU 4.1.1 (criu and libcriu) from Debian trixie's source package
# into PREFIX (default: /opt/urun-criu), for urun's checkpoint/restore.
# Bookworm's criu 3.17.1 fails on recent kernels ("vdso: Unexpected rt vDSO
# area bounds") and lacks nothing else we could use; trixie's 4.1.1 builds
# with bookworm's build dependencies.  Only the source comes from trixie (a
# deb-src line): no trixie binary package is ever installed.
#
# No file capabilities are set: rootless, criu runs as root of the
# container's user namespace (src/checkpoint.c); as root, it has what it
# needs, CAP_SETPCAP included, even where the bounding set lacks
# CAP_SYS_RESOURCE.
#
# Idempotent: a second run with the same result installed does nothing.
# Run as root (tests/setup.sh calls it).
set -euo pipefail

VERSION=4.1.1
PREFIX=${1:-/opt/urun-criu}
SHA256=f80a66cb3726bb2116266d4759ce3bcbfab7abdb6b6d430bf20dd41911717afe
TARBALL=criu_$VERSION.orig.tar.xz
SRC_LIST=/etc/apt/sources.list.d/urun-criu-src.sources
BUILD_DEPS=(
	build-essential pkgconf protobuf-c-compiler libprotobuf-c-dev
	libprotobuf-dev protobuf-compiler libnl-3-dev libnet1-dev libnftables-dev
	libbsd-dev libcap-dev libgnutls28-dev uuid-dev python3-protobuf
)

log() {
	echo "build-criu.sh: $*" >&2
}

is_built() {
	[ -x "$PREFIX/sbin/criu" ] && [ -f "$PREFIX/lib/pkgconfig/criu.pc" ] &&
		[ "$("$PREFIX/sbin/criu" --version 2>/dev/null | awk '/^Version/ { print $2 }')" = "$VERSION" ]
}

install_build_deps() {
	local p missing=()
	for p in "${BUILD_DEPS[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing build dependencies: ${missing[*]}"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# The orig tarball, checked against the sha256 of trixie's Sources index
# (apt verified the index's signature).  apt-get source cannot finish here:
# the .dsc and the Debian tarball answer 404 on this mirror, so its exit
# status is ignored and the tarball alone is checked.
fetch_source() {
	local dir=$1 want
	if [ ! -f "$SRC_LIST" ]; then
		cat >"$SRC_LIST" <<-'EOF'
			# Added by urun's tests/build-criu.sh: sources only, for criu 4.1.1.
			Types: deb-src
			URIs: http://deb.debian.org/debian
			Suites: trixie
			Components: main
			Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
		apt-get update -q
	fi
	want=$(apt-cache showsrc "criu=$VERSION-1" 2>/dev/null |
		awk -v f="$TARBALL" '/^Checksums-Sha256:/ { s = 1; next } /^[^ ]/ { s = 0 } s && $3 == f { print $1; exit }')
	[ -n "$want" ] || { apt-get update -q; want=$SHA256; }
	[ "$want" = "$SHA256" ] || { log "Sources index has sha256 $want for $TARBALL, expected $SHA256"; exit 1; }
	(cd "$dir" && apt-get source -q --download-only "criu=$VERSION-1" >/dev/null 2>&1) || true
	[ -f "$dir/$TARBALL" ] || { log "could not download $TARBALL"; exit 1; }
	echo "$SHA256  $dir/$TARBALL" | sha256sum -c --quiet - || { log "$TARBALL: sha256 mismatch"; exit 1; }
}

build_and_install() {
	local dir=$1
	tar -C "$dir" -xf "$dir/$TARBALL"
	log "building criu $VERSION (about 30 s)"
	make -C "$dir/criu-$VERSION" -j"$(nproc)" criu lib >"$dir/build.log" 2>&1 ||
		{ tail -30 "$dir/build.log" >&2; exit 1; }
	make -C "$dir/criu-$VERSION" PREFIX="$PREFIX" LIBDIR="$PREFIX/lib" SKIP_PIP_INSTALL=1 \
		install-criu install-lib >>"$dir/build.log" 2>&1 ||
		{ tail -30 "$dir/build.log" >&2; exit 1; }
}

main() {
	[ "$(id -u)" -eq 0 ] || { log "must run as root"; exit 1; }
	if is_built; then
		return 0
	fi
	install_build_deps
	BUILD_DIR=$(mktemp -d /tmp/urun-criu-build.XXXXXX)
	trap 'rm -rf -- "$BUILD_DIR"' EXIT
	fetch_source "$BUILD_DIR"
	build_and_install "$BUILD_DIR"
	log "installed criu $VERSION in $PREFIX (criu.pc in $PREFIX/lib/pkgconfig)"
}

main "$@"
