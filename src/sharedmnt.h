/* sharedmnt.h: a container in a mount namespace urun did not make — none
 * of its own (it shares urun's; runtime-spec config-linux.md, "Namespaces":
 * a type not listed is inherited) or one joined by path. urun mounts
 * nothing there: every mount would change somebody else's view of the
 * filesystem (the host's, or the namespace owner's). The container's root
 * is still root.path, entered with chroot(2): pivot_root(2) would move the
 * root of everyone in the namespace. */
#ifndef URUN_SHAREDMNT_H
#define URUN_SHAREDMNT_H

#include "error.h"
#include "spec.h"

/* `create` of a container with no mount namespace, before anything exists:
 * what cannot be done without mounting and would leave the container more
 * than it asked for is an error (root.readonly, rootfsPropagation, the
 * tmpfs rootfs overlay, a masked or read-only path that exists in ROOTFS);
 * what would only leave it less (mounts, linux.devices) is skipped, with
 * one warning. */
int urun_sharedmnt_check (const struct urun_spec *spec, const char *rootfs,
                          struct urun_error *err);

/* Runs in: urun, before the clone. *FD: ROOTFS (a directory, as urun sees
 * it) opened O_PATH for urun_sharedmnt_enter_root, or -1 when the
 * container gets a mount namespace of urun's own. */
int urun_sharedmnt_open_root (const struct urun_spec *spec, const char *rootfs,
                              int *fd, struct urun_error *err);

/* Runs in: the container process, in its namespaces. Keep "/" when it is
 * ROOT_FD's directory already (a namespace joined from a container whose
 * root is this rootfs), else chroot(2) into ROOT_FD. WHAT names it in
 * errors. */
int urun_sharedmnt_enter_root (int root_fd, const char *what,
                               struct urun_error *err);

#endif
