/* rootless.h: making a spec runnable by an unprivileged user, and the
 * identity modes (annotation run.urun.userns, `--userns`). */
#ifndef URUN_ROOTLESS_H
#define URUN_ROOTLESS_H

#include "../src/error.h"
#include "../src/spec.h"
#include "subid.h"

/* Adapt SPEC before anything exists:
 * - MODE_FLAG (`--userns`, or NULL) or else the annotation run.urun.userns
 *   picks an identity mode: `auto` or `keep-id` (mappings.h) replace the
 *   spec's mappings, and add a user namespace when it has none; keep-id
 *   also makes a process.user of root (0:0, the templates' default) the
 *   caller's uid and gid, so that what it writes to a bind mount is the
 *   caller's on the host.
 * - Without a mode, a caller that is not root gets a user namespace when
 *   the spec has none, and mappings when it has none: the caller as root
 *   plus its subordinate ranges — or, with no range, its own ID alone
 *   (setgroups denied), said once on stderr.
 * Root's specs without a mode are left alone; a joined user namespace
 * keeps the maps it has.
 * Then, for anyone, the checks of mappings.h: the mappings themselves, and
 * the IDs the process and the mount options name. */
int urun_rootless_adapt_spec (struct urun_spec *spec, const char *mode_flag,
                              struct urun_error *err);

#endif
