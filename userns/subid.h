/* subid.h: the caller's subordinate IDs, through shadow's libsubid — which
 * asks /etc/subuid and /etc/subgid or the NSS module named by `subid:` in
 * nsswitch.conf (LDAP, SSSD on HPC sites); never parsed by hand. */
#ifndef URUN_SUBID_H
#define URUN_SUBID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../src/error.h"
#include "../src/spec.h"

/* Where subordinate IDs come from, for messages. */
#define URUN_SUBUID_SOURCE "/etc/subuid (or the subid source in nsswitch.conf)"
#define URUN_SUBGID_SOURCE "/etc/subgid (or the subid source in nsswitch.conf)"

/* A range of host IDs: START .. START+COUNT-1. */
struct urun_subid_range
{
  uint32_t start;
  uint32_t count;
};

/* The name of the calling user (its effective uid), for libsubid and for
 * messages; "uid N" when it has no passwd entry. Never NULL; free it. */
char *urun_caller_name (void);

/* Can libsubid (dlopen()ed on first use) be loaded? */
bool urun_subid_available (void);

/* The caller's subordinate uid (IS_GID: gid) ranges; *N = 0 when it has
 * none, or the source cannot be read (said with --debug). */
int urun_subid_ranges (bool is_gid, struct urun_subid_range **out, size_t *n,
                       struct urun_error *err);

/* Is every ID in START .. START+COUNT-1 in one of RANGES (adjacent ranges
 * join, as newuidmap accepts them)? */
bool urun_subid_covers (const struct urun_subid_range *ranges, size_t n,
                        uint32_t start, uint32_t count);

/* The caller's subordinate ranges as mappings from container ID FIRST up;
 * *N = 0 when the user has none. IS_GID picks /etc/subgid's side. */
int urun_subid_mappings (bool is_gid, uint32_t first,
                         struct urun_id_mapping **out, size_t *n,
                         struct urun_error *err);

#endif
