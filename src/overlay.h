/* overlay.h: mounts of type `overlay` and the throw-away rootfs overlay —
 * the kernel's overlayfs, else fuse-overlayfs run by urun outside the
 * container. */
#ifndef URUN_OVERLAY_H
#define URUN_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "mount-options.h"
#include "mounts.h"
#include "spec.h"

/* With the value `tmpfs`, root.path becomes the lower layer of an overlay
 * whose upper layer is a tmpfs: a read-only (shared, NFS) image gives a
 * writable rootfs whose changes vanish with the container. */
#define URUN_ROOTFS_OVERLAY_ANNOTATION "run.urun.rootfs.overlay"

/* Test switches: $URUN_TEST_OVERLAY is kernel (no fallback), fuse (skip
 * the kernel) or auto (the default); $URUN_TEST_FUSE_OVERLAYFS names the
 * binary (a missing path: a host without it). */
#define URUN_OVERLAY_ENV "URUN_TEST_OVERLAY"
#define URUN_FUSE_OVERLAYFS_ENV "URUN_TEST_FUSE_OVERLAYFS"

/* fuse-overlayfs: $URUN_TEST_FUSE_OVERLAYFS, else the first on $PATH. False
 * when missing; BUF then holds the override that was tried, or "". */
bool urun_overlay_find_fuse (char *buf, size_t size);

/* Before anything exists: every overlay mount has lowerdir=, and upperdir=
 * with workdir=; their directories exist (relative ones are made absolute,
 * from BUNDLE); the annotation and $URUN_TEST_OVERLAY hold known values.
 * Notes which lower layers (ROOTFS for the rootfs overlay) belong to IDs
 * the user namespace does not map: those go to fuse-overlayfs first. */
int urun_overlay_prepare_spec (struct urun_spec *spec, const char *bundle,
                               const char *rootfs, struct urun_error *err);

/* A detached overlay mount for M: the kernel's, else fuse-overlayfs (its
 * daemon started by urun through the sync socket, answering before this
 * returns). Runs in: the container process, in its mount namespace,
 * before pivot_root. */
int urun_overlay_make_mount (const struct urun_mount *m,
                             const struct urun_rootfs *rootfs,
                             const struct urun_mount_options *o,
                             struct urun_error *err);

/* With the annotation: the overlay over rootfs->path (already a bind mount
 * of itself), so that the rootfs opened next is the overlay. Runs in: the
 * same place. */
int urun_overlay_rootfs (const struct urun_spec *spec,
                         const struct urun_rootfs *rootfs,
                         struct urun_error *err);

/* urun's side: answer every overlay the container process sets up, starting
 * fuse-overlayfs for those the kernel refused. ROOTFS: the absolute rootfs;
 * PID: the process doing the mounts; STATE_DIR_FD: the container's state
 * directory (a throw-away upper layer is mounted over it in the daemon's own
 * mount namespace). The daemon joins the container's user namespace but no
 * other: it holds nothing that keeps the container's mounts alive, so when
 * the container's mount namespace goes, so does the fuse connection, and the
 * daemon exits (fuse(4): reads fail with ENODEV). */
int urun_overlay_serve (const struct urun_spec *spec, const char *rootfs,
                        int sync_fd, pid_t pid, int state_dir_fd,
                        struct urun_error *err);

#endif
