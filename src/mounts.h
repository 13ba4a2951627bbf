/* mounts.h: the container's mount namespace — rootfs, OCI mounts, masked and
 * read-only paths, pivot_root. */
#ifndef URUN_MOUNTS_H
#define URUN_MOUNTS_H

#include <stdbool.h>

#include "error.h"
#include "spec.h"

struct urun_rootfs
{
  const char *path;   /* absolute host path of the rootfs */
  const char *bundle; /* relative mount sources are relative to it */
  bool in_user_namespace; /* mounts are limited: no mknod, no new sysfs */
  int root_fd;        /* O_PATH of the rootfs bind mount, set by prepare */
  int sync_fd;        /* to urun, which starts fuse-overlayfs (overlay.h) */
};

struct urun_mount_options;

/* Make "/" private (or rootfsPropagation), bind the rootfs onto itself and
 * mount everything in spec->mounts, then the devices.
 * Runs in: the container process, in its new mount namespace, as root of its
 * user namespace, before pivot_root. */
int urun_prepare_rootfs (const struct urun_spec *spec, struct urun_rootfs *rootfs,
                         struct urun_error *err);

/* readonlyPaths, maskedPaths, a read-only root, then pivot_root (or, with
 * NO_PIVOT, MS_MOVE + chroot). Closes rootfs->root_fd. */
int urun_finish_rootfs (const struct urun_spec *spec, struct urun_rootfs *rootfs,
                        bool no_pivot, struct urun_error *err);

/* A new, detached mount of filesystem TYPE with O's parameters and
 * attributes (fsopen, fsconfig, fsmount); errors carry the filesystem's own
 * explanation from the fs context log. */
int urun_make_fs_mount (const char *type, const char *source,
                        const struct urun_mount_options *o,
                        struct urun_error *err);

/* Mount tree FD (from open_tree or fsmount) on TARGET_FD, an O_PATH fd. */
int urun_move_mount (int fd, int target_fd, const char *what,
                     struct urun_error *err);

#endif
