#!/bin/bash
# build.sh [OUTDIR]
#
# Build the OCI runtime-spec validation suite (opencontainers/runtime-tools
# `validation/`, 58 TAP-printing Go programs, and the static `runtimetest`
# that runs inside the container) offline, into OUTDIR (default:
# ${URUN_TEST_CACHE:-/tmp/urun-test-cache}/conformance).  run.sh runs it.
#
# Where it comes from: bookworm's golang-github-opencontainers-runtime-tools-dev
# ships neither validation/ nor cmd/, so the source is the orig tarball of
# Debian trixie's source package, checked against the sha256 of trixie's
# Sources index (apt verified that index's signature).  It builds with
# bookworm's Go 1.19 in GOPATH mode against bookworm's packaged libraries
# (/usr/share/gocode).  The one import Debian does not package,
# github.com/mndrix/tap-go, is urun's own TAP writer in tap-go/.  reaper/
# (urun's) runs each program as a subreaper so run.sh can remove exactly
# the processes it leaves behind.
#
# Idempotent: does nothing when OUTDIR holds a build of the same inputs.
# Installs missing packages when run as root.
set -euo pipefail

HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
OUT=${1:-${URUN_TEST_CACHE:-/tmp/urun-test-cache}/conformance}
SRCPKG=golang-github-opencontainers-runtime-tools
VERSION=0.9.0.109.ge931285
TARBALL=${SRCPKG}_$VERSION.orig.tar.xz
SHA256=203989a1ea98cf2aaced79155bbda09270b20db19b03376dde91ab12e5e6a0fe
IMPORT=github.com/opencontainers/runtime-tools
PACKAGES=(
	golang-go golang-github-opencontainers-specs-dev golang-github-google-uuid-dev
	golang-github-hashicorp-go-multierror-dev golang-github-mrunalp-fileutils-dev
	golang-github-opencontainers-selinux-dev golang-github-sirupsen-logrus-dev
	golang-github-urfave-cli-dev golang-gocapability-dev golang-golang-x-sys-dev
	xz-utils
)

log() {
	echo "conformance/build.sh: $*" >&2
}

install_packages() {
	local p missing=()
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || { log "missing packages (run as root): ${missing[*]}"; exit 1; }
	log "installing ${missing[*]}"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# A deb-src line for trixie, unless one is there already (tests/build-criu.sh
# adds one too).  Sources only: no trixie binary package is ever installed.
ensure_trixie_sources() {
	if grep -qs -l 'deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/* &&
		grep -qs -E '^(Suites: *trixie|deb-src .* trixie )' /etc/apt/sources.list /etc/apt/sources.list.d/*; then
		[ -n "$(index_sha256)" ] && return 0
	else
		cat >/etc/apt/sources.list.d/urun-conformance-src.sources <<-'EOS'
			# Added by urun's tests/conformance/build.sh: sources only (runtime-tools).
			Types: deb-src
			URIs: http://deb.debian.org/debian
			Suites: trixie
			Components: main
			Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOS
	fi
	apt-get update -q
}

# The sha256 that trixie's Sources index gives for the tarball, if any.
index_sha256() {
	apt-cache showsrc "$SRCPKG" 2>/dev/null |
		awk -v f="$TARBALL" '/^Checksums-Sha256:/ { s = 1; next } /^[^ ]/ { s = 0 } s && $3 == f { print $1; exit }'
}

# The orig tarball into $OUT/src, checked against the Sources index.  The
# .dsc may answer 404 on this mirror, so apt-get source's status is ignored
# and the tarball alone is checked.
fetch_source() {
	local dir=$OUT/src want
	mkdir -p "$dir"
	if [ -f "$dir/$TARBALL" ] && echo "$SHA256  $dir/$TARBALL" | sha256sum -c --quiet - 2>/dev/null; then
		return 0
	fi
	[ "$(id -u)" -eq 0 ] || { log "$TARBALL missing: run as root once"; exit 1; }
	ensure_trixie_sources
	want=$(index_sha256)
	[ "$want" = "$SHA256" ] || { log "trixie's Sources index has sha256 '$want' for $TARBALL, expected $SHA256"; exit 1; }
	(cd "$dir" && apt-get source -q --download-only "$SRCPKG=$VERSION-1" >/dev/null 2>&1) || true
	[ -f "$dir/$TARBALL" ] || { log "could not download $TARBALL"; exit 1; }
	echo "$SHA256  $dir/$TARBALL" | sha256sum -c --quiet - || { log "$TARBALL: sha256 mismatch"; exit 1; }
	rm -f "$dir"/*.dsc "$dir"/*.debian.tar.*
}

# What the build depends on: the tarball and urun's own Go files.
stamp() {
	{
		echo "$SHA256"
		go version
		cat "$HERE/tap-go/tap.go" "$HERE/reaper/main.go" "$HERE/build.sh"
	} | sha256sum | cut -d' ' -f1
}

build() {
	local work gopath src n
	BUILD_DIR=$(mktemp -d /tmp/urun-conformance-build.XXXXXX)
	trap 'rm -rf -- "$BUILD_DIR"' EXIT
	work=$BUILD_DIR
	gopath=$work/gopath
	src=$gopath/src/$IMPORT
	mkdir -p "$src" "$gopath/src/github.com/mndrix/tap-go" "$work/out/validation"
	tar -C "$src" --strip-components=1 -xJf "$OUT/src/$TARBALL"
	cp "$HERE/tap-go/tap.go" "$gopath/src/github.com/mndrix/tap-go/"

	export GO111MODULE=off GOPATH=$gopath:/usr/share/gocode GOCACHE=$OUT/gocache GOFLAGS=
	log "building runtimetest and the validation programs (about a minute)"
	(cd "$src" && CGO_ENABLED=0 go build -tags 'netgo osusergo' -o "$work/out/runtimetest" ./cmd/runtimetest)
	(cd "$HERE/reaper" && go build -o "$work/out/reaper" .)
	for n in "$src"/validation/*/; do
		n=$(basename "$n")
		[ "$n" = util ] && continue
		(cd "$src" && go build -o "$work/out/validation/$n.t" "./validation/$n")
	done
	cp "$src/rootfs-amd64.tar.gz" "$work/out/"
	rm -rf -- "$OUT/validation" "$OUT/runtimetest" "$OUT/reaper" "$OUT/rootfs-amd64.tar.gz"
	mv "$work/out/"* "$OUT/"
}

main() {
	install_packages
	mkdir -p "$OUT"
	fetch_source
	local want
	want=$(stamp)
	if [ "$(cat "$OUT/stamp" 2>/dev/null)" = "$want" ] && [ -x "$OUT/runtimetest" ] &&
		[ "$(ls "$OUT/validation" 2>/dev/null | wc -l)" -eq 58 ]; then
		return 0
	fi
	build
	echo "$want" >"$OUT/stamp"
	log "built $(ls "$OUT/validation" | wc -l) programs in $OUT"
}

main "$@"
