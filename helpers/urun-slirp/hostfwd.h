/* hostfwd.h: the API's requests (add_hostfwd, list_hostfwd, remove_hostfwd)
   and the table of forwarded ports. */
#ifndef URUN_SLIRP_HOSTFWD_H
#define URUN_SLIRP_HOSTFWD_H

#include <stddef.h>

#include <slirp/libslirp.h>

#include "config.h"
#include "splice.h"

struct urun_hostfwds;

/* SPLICE may be NULL (no spliced forwards). */
struct urun_hostfwds *urun_hostfwds_new (Slirp *slirp,
                                         struct urun_splice *splice,
                                         const struct urun_slirp_config *cfg);
void urun_hostfwds_free (struct urun_hostfwds *fwds);

/* Run the JSON request REQ (LEN bytes, NUL-terminated) and return the JSON
   reply (malloc'd; NULL only when out of memory).  Never fails otherwise: a
   bad request gets {"error":{"desc":"bad request: ..."}} as slirp4netns. */
char *urun_hostfwds_execute (struct urun_hostfwds *fwds, const char *req,
                             size_t len);

#endif
