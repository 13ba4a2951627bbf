/* rootless.h: making a spec runnable by an unprivileged user. */
#ifndef URUN_ROOTLESS_H
#define URUN_ROOTLESS_H

#include "../src/error.h"
#include "../src/spec.h"

/* For a caller that is not root: give the spec a user namespace when it has
 * none, and mappings when it has none — the caller as root, plus the
 * caller's subordinate ranges (through libsubid) from ID 1 up. Root's
 * specs are left alone. */
int urun_rootless_adapt_spec (struct urun_spec *spec, struct urun_error *err);

/* The caller's subordinate ranges as mappings from container ID FIRST up;
 * *N = 0 when the user has none. IS_GID picks /etc/subgid's side. */
int urun_subid_mappings (bool is_gid, uint32_t first,
                         struct urun_id_mapping **out, size_t *n,
                         struct urun_error *err);

#endif
