/* idmap.h: writing a user namespace's uid_map and gid_map. */
#ifndef URUN_IDMAP_H
#define URUN_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../src/error.h"
#include "../src/spec.h"

/* "0 1000 1\n1 100000 65536\n": the text a map file takes. */
char *urun_format_id_map (const struct urun_id_mapping *map, size_t n);

/* Does writing MAP take newuidmap/newgidmap? Not for root, nor for a map
 * of only the caller's own ID (OWN_ID: its effective uid or gid). */
bool urun_id_map_needs_helper (const struct urun_id_mapping *map, size_t n,
                               unsigned own_id);

/* Write both maps of PID's user namespace, the gid map first.
 * Runs in: urun, in the parent user namespace, after the child unshared.
 * A map the caller may write itself (root, or only its own ID) is written
 * directly; any other goes through newuidmap/newgidmap (shadow's setuid
 * helpers, which check /etc/subuid, /etc/subgid or the NSS subid source). */
int urun_write_id_maps (pid_t pid, const struct urun_id_mapping *uids,
                        size_t n_uids, const struct urun_id_mapping *gids,
                        size_t n_gids, struct urun_error *err);

#endif
