/* sysctl.h: linux.sysctl — only the namespaced ones, written through the
 * container's own procfs. */
#ifndef URUN_SYSCTL_H
#define URUN_SYSCTL_H

#include "error.h"
#include "spec.h"

/* Refuse keys that are not namespaced or whose namespace the container does
 * not have of its own: writing them would change the host. */
int urun_sysctl_check (const struct urun_spec *spec, struct urun_error *err);

/* Write every key under the container's /proc/sys.
 * Runs in: the container process, after its /proc is mounted, before
 * readonlyPaths make /proc/sys read-only. */
int urun_sysctl_apply (const struct urun_spec *spec, int root_fd,
                       struct urun_error *err);

#endif
