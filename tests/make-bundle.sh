#!/bin/bash
# make-bundle.sh DIR [--rootless] [--user NAME]
#
# Build an OCI bundle at DIR: DIR/rootfs (busybox-static) and DIR/config.json
# (the default config of `runc spec`).  With --rootless the config is the one
# of `runc spec --rootless`, plus a full subordinate ID mapping for the user
# (--user NAME, default: the caller): container 0 -> the user, container
# 1..65536 -> the user's first subordinate range.
#
# DIR must not exist yet or be empty.  The files are owned by the caller;
# whoever runs rootless containers from DIR must own it (chown -R).
set -euo pipefail

die() {
	echo "make-bundle.sh: $*" >&2
	exit 1
}

usage() {
	die "usage: make-bundle.sh DIR [--rootless] [--user NAME]"
}

# Subordinate ID range of USER as "START COUNT".  KIND is u or g.
# getsubids (uidmap, libsubid) also knows ranges from NSS; /etc/sub?id is
# the fallback when it is missing or the user has no range there.
subid_range() {
	local kind=$1 user=$2 flag="" line
	[ "$kind" = g ] && flag=-g
	if command -v getsubids >/dev/null &&
		line=$(getsubids $flag "$user" 2>/dev/null) && [ -n "$line" ]; then
		# "0: urun-test 100000 65536"
		set -- $line
		echo "$3 $4"
		return
	fi
	line=$(grep -m1 "^$user:" "/etc/sub${kind}id" 2>/dev/null) ||
		die "user \`$user\` has no range in /etc/sub${kind}id"
	IFS=: read -r _ start count <<<"$line"
	echo "$start $count"
}

make_rootfs() {
	local rootfs=$1 applet
	local busybox
	busybox=$(command -v busybox) || die "busybox not found (apt-get install busybox-static)"
	# A dynamically linked busybox would need the host's libc in the rootfs.
	if command -v file >/dev/null && ! file -L "$busybox" | grep -q 'statically linked'; then
		die "\`$busybox\` is not statically linked (apt-get install busybox-static)"
	fi

	mkdir -p "$rootfs"/{bin,proc,sys,dev,tmp,etc,root}
	chmod 1777 "$rootfs/tmp"
	chmod 700 "$rootfs/root"
	cp "$busybox" "$rootfs/bin/busybox"
	chmod 755 "$rootfs/bin/busybox"
	# `busybox --install -s` would need a chroot; a listing of applets is enough.
	for applet in $("$busybox" --list); do
		[ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
	done

	cat >"$rootfs/etc/passwd" <<-'EOF'
		root:x:0:0:root:/root:/bin/sh
		nobody:x:65534:65534:nobody:/nonexistent:/bin/false
	EOF
	cat >"$rootfs/etc/group" <<-'EOF'
		root:x:0:
		tty:x:5:
		nogroup:x:65534:
	EOF
	: >"$rootfs/etc/hostname"
	chmod 644 "$rootfs/etc/passwd" "$rootfs/etc/group" "$rootfs/etc/hostname"
}

# The config of `runc spec` (runc 1.2+), with terminal false and the cgroup
# namespace always on.
write_config() {
	jq . >"$1" <<-'EOF'
	{
		"ociVersion": "1.2.0",
		"process": {
			"terminal": false,
			"user": {
				"uid": 0,
				"gid": 0
			},
			"args": [
				"sh"
			],
			"env": [
				"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				"TERM=xterm"
			],
			"cwd": "/",
			"capabilities": {
				"bounding": [
					"CAP_AUDIT_WRITE",
					"CAP_KILL",
					"CAP_NET_BIND_SERVICE"
				],
				"effective": [
					"CAP_AUDIT_WRITE",
					"CAP_KILL",
					"CAP_NET_BIND_SERVICE"
				],
				"permitted": [
					"CAP_AUDIT_WRITE",
					"CAP_KILL",
					"CAP_NET_BIND_SERVICE"
				]
			},
			"rlimits": [
				{
					"type": "RLIMIT_NOFILE",
					"hard": 1024,
					"soft": 1024
				}
			],
			"noNewPrivileges": true
		},
		"root": {
			"path": "rootfs",
			"readonly": true
		},
		"hostname": "urun",
		"mounts": [
			{
				"destination": "/proc",
				"type": "proc",
				"source": "proc"
			},
			{
				"destination": "/dev",
				"type": "tmpfs",
				"source": "tmpfs",
				"options": ["nosuid", "strictatime", "mode=755", "size=65536k"]
			},
			{
				"destination": "/dev/pts",
				"type": "devpts",
				"source": "devpts",
				"options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]
			},
			{
				"destination": "/dev/shm",
				"type": "tmpfs",
				"source": "shm",
				"options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]
			},
			{
				"destination": "/dev/mqueue",
				"type": "mqueue",
				"source": "mqueue",
				"options": ["nosuid", "noexec", "nodev"]
			},
			{
				"destination": "/sys",
				"type": "sysfs",
				"source": "sysfs",
				"options": ["nosuid", "noexec", "nodev", "ro"]
			},
			{
				"destination": "/sys/fs/cgroup",
				"type": "cgroup",
				"source": "cgroup",
				"options": ["nosuid", "noexec", "nodev", "relatime", "ro"]
			}
		],
		"linux": {
			"resources": {
				"devices": [
					{
						"allow": false,
						"access": "rwm"
					}
				]
			},
			"namespaces": [
				{ "type": "pid" },
				{ "type": "network" },
				{ "type": "ipc" },
				{ "type": "uts" },
				{ "type": "mount" },
				{ "type": "cgroup" }
			],
			"maskedPaths": [
				"/proc/acpi",
				"/proc/asound",
				"/proc/kcore",
				"/proc/keys",
				"/proc/latency_stats",
				"/proc/timer_list",
				"/proc/timer_stats",
				"/proc/sched_debug",
				"/sys/firmware",
				"/proc/scsi"
			],
			"readonlyPaths": [
				"/proc/bus",
				"/proc/fs",
				"/proc/irq",
				"/proc/sys",
				"/proc/sysrq-trigger"
			]
		}
	}
	EOF
}

# What `runc spec --rootless` changes (runc's specconv.ToRootless): no network
# namespace (the container keeps the host network), a user namespace, no
# cgroup resources, /sys as a read-only rbind (sysfs can only be mounted by
# the owner of the network namespace), no uid=/gid= mount options.  Unlike
# runc we map the whole subordinate range, not only the caller.
rootless_config() {
	local config=$1 user=$2 uid gid range uids gids
	uid=$(id -u "$user") || die "no user \`$user\`"
	gid=$(id -g "$user")
	range=$(subid_range u "$user") || exit 1
	read -r -a uids <<<"$range"
	range=$(subid_range g "$user") || exit 1
	read -r -a gids <<<"$range"
	[ "${uids[1]}" -ge 65536 ] || die "\`$user\` has ${uids[1]} subordinate uids, need 65536"
	[ "${gids[1]}" -ge 65536 ] || die "\`$user\` has ${gids[1]} subordinate gids, need 65536"

	jq --argjson uid "$uid" --argjson gid "$gid" \
		--argjson subuid "${uids[0]}" --argjson subgid "${gids[0]}" '
		.linux.namespaces |= (map(select(.type != "network" and .type != "user")) + [{type: "user"}])
		| .linux.uidMappings = [{containerID: 0, hostID: $uid, size: 1},
		                        {containerID: 1, hostID: $subuid, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: $gid, size: 1},
		                        {containerID: 1, hostID: $subgid, size: 65536}]
		| del(.linux.resources)
		| .mounts |= map(
			if .destination == "/sys" then
				{destination: "/sys", type: "none", source: "/sys",
				 options: ["rbind", "nosuid", "noexec", "nodev", "ro"]}
			else
				if .options then .options |= map(select(test("^[ug]id=") | not)) else . end
			end)
	' "$config" >"$config.tmp"
	mv "$config.tmp" "$config"
}

main() {
	local dir="" rootless=false user
	user=$(id -un)
	while [ $# -gt 0 ]; do
		case $1 in
		--rootless) rootless=true ;;
		--user) [ $# -ge 2 ] || usage; user=$2; shift ;;
		--user=*) user=${1#--user=} ;;
		-*) usage ;;
		*) [ -z "$dir" ] || usage; dir=$1 ;;
		esac
		shift
	done
	[ -n "$dir" ] || usage
	if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
		die "\`$dir\` exists and is not empty"
	fi

	mkdir -p "$dir"
	chmod 755 "$dir"
	make_rootfs "$dir/rootfs"
	write_config "$dir/config.json"
	if $rootless; then
		rootless_config "$dir/config.json" "$user"
	fi
	chmod 644 "$dir/config.json"
}

main "$@"
