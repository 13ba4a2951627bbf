/* caps.h: the process's capability sets (bounding, effective, permitted,
 * inheritable, ambient), applied around the switch to the process user. */
#ifndef URUN_CAPS_H
#define URUN_CAPS_H

#include "error.h"
#include "spec.h"

/* Drop from the bounding set every capability not in CAPS->bounding. Needs
 * CAP_SETPCAP, so it runs before the switch to the process user.
 * Runs in: the container process, as root of its user namespace. */
int urun_caps_limit_bounding (const struct urun_capabilities *caps,
                              struct urun_error *err);

/* Set effective, permitted and inheritable, then raise the ambient ones.
 * Runs in: the container process, after setresuid with PR_SET_KEEPCAPS. */
int urun_caps_apply (const struct urun_capabilities *caps,
                     struct urun_error *err);

#endif
