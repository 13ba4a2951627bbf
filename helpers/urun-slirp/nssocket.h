/* nssocket.h: sockets made inside the target's network namespace, by the
   namespace child of tap.c that stays there.  A socket belongs to the
   network namespace it was created in, whoever holds it later (socket(7),
   network_namespaces(7)): splice.c connects such sockets to the guest from
   the helper's own loop. */
#ifndef URUN_SLIRP_NSSOCKET_H
#define URUN_SLIRP_NSSOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "error.h"

/* The parent's end of the child: a SOCK_SEQPACKET socket and its pid. */
struct urun_nssocket
{
  int sock;
  pid_t pid;
};

/* Whether the child stays after the tap is open: only an API socket can
   ask for a spliced forward, and --netns-type=tapfd has no namespace to
   stay in. */
static inline bool
urun_nssocket_is_wanted (const struct urun_slirp_config *cfg)
{
  return cfg->api_socket != NULL && cfg->target_tapfd < 0;
}

/* Runs in: the child, in the target's namespaces.  Keeps only SOCK, takes
   every capability away (and with --enable-seccomp allows nothing but its
   requests), then answers them until the parent PARENT closes its end or
   dies. */
void urun_nssocket_serve (int sock, pid_t parent,
                          const struct urun_slirp_config *cfg)
    __attribute__ ((noreturn));

/* End the child (it sees its socket close and exits) and reap it. */
void urun_nssocket_release (struct urun_nssocket *ns);

/* A non-blocking, close-on-exec TCP socket of FAMILY inside the namespace,
   or -1 with ERR set. */
int urun_nssocket_make (const struct urun_nssocket *ns, int family,
                        struct urun_error *err);

#endif
