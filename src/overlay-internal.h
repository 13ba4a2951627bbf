/* overlay-internal.h: what overlay.c (the container's side) and
 * overlay-fuse.c (urun's side) share: which spec entries are overlays, in
 * the same order on both sides of the sync socket. */
#ifndef URUN_OVERLAY_INTERNAL_H
#define URUN_OVERLAY_INTERNAL_H

#include <stdbool.h>

#include "spec.h"

/* "lowerdir", "upperdir", "workdir": the options fuse-overlayfs takes. */
extern const char *const urun_overlay_dir_keys[3];

/* An overlay entry that mounts.c hands to overlay.c: with bind options it
 * binds instead. */
bool urun_overlay_is_mount (const struct urun_mount *m);

/* Does the spec ask for the rootfs overlay (run.urun.rootfs.overlay=tmpfs)? */
bool urun_overlay_wants_rootfs (const struct urun_spec *spec);

/* A mount namespace of the container's own: a joined one is used as it is
 * (init.c), without any mounts. */
bool urun_overlay_in_own_mount_ns (const struct urun_spec *spec);

/* OPTION's value when it reads KEY=value, else NULL. */
const char *urun_overlay_option (const char *option, const char *key);

#endif
