/* mappings.h: a user namespace's ID mappings — built for the identity
 * modes, and checked before any namespace exists. */
#ifndef URUN_MAPPINGS_H
#define URUN_MAPPINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "../src/error.h"
#include "../src/spec.h"

/* How the mappings are chosen (annotation run.urun.userns, `--userns`). */
enum urun_userns_mode
{
  URUN_USERNS_SPEC,    /* the spec's own, or the default for a rootless caller */
  URUN_USERNS_AUTO,    /* caller -> root, subordinate IDs from 1 up */
  URUN_USERNS_KEEP_ID, /* caller -> its own ID, subordinate IDs around it */
};

#define URUN_USERNS_ANNOTATION "run.urun.userns"

/* "auto" or "keep-id"; false for anything else. */
bool urun_parse_userns_mode (const char *value, enum urun_userns_mode *mode);

/* The mappings of MODE for the caller (IS_GID: gids). *IS_SINGLE tells
 * that the caller has no subordinate range, so only its own ID is mapped.
 *   auto:    0 -> caller, 1.. -> the subordinate ranges in order
 *   keep-id: 0..ID-1 -> the first ID subordinate IDs, ID -> caller,
 *            ID+1.. -> the rest of them (podman's --userns=keep-id) */
int urun_build_id_mappings (enum urun_userns_mode mode, bool is_gid,
                            struct urun_id_mapping **out, size_t *n,
                            bool *is_single, struct urun_error *err);

/* linux.uidMappings and gidMappings of a spec that creates a user
 * namespace: no overlap in container IDs nor in host IDs, no range past the
 * last ID, at most 340 lines (the kernel's limit since Linux 4.15), and for
 * an unprivileged caller only host IDs it owns — its own, or its
 * subordinate ranges — with a usable newuidmap/newgidmap when it takes
 * one. Errors name the JSON path. */
int urun_check_id_mappings (const struct urun_spec *spec,
                            struct urun_error *err);

/* IDs the container will use that its new user namespace must map:
 * process.user (uid, gid, additionalGids) and uid=/gid= mount options —
 * the kernel's EINVAL for those comes late and says nothing. */
int urun_check_mapped_ids (const struct urun_spec *spec,
                           struct urun_error *err);

#endif
