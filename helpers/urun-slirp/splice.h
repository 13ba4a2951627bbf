/* splice.h: spliced TCP forwards (--port-mode=splice, or "mode": "splice"
   in add_hostfwd): the host's client connected to the guest by a socket
   made inside the namespace, bytes moved with splice(2), no libslirp. */
#ifndef URUN_SLIRP_SPLICE_H
#define URUN_SLIRP_SPLICE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "error.h"
#include "nssocket.h"

struct urun_splice;

/* Forwards whose listeners and connections live in EPFD (tagged
   URUN_LOOP_TAG_SPLICE, see loop.h); NS makes the namespace's sockets. */
struct urun_splice *urun_splice_new (int epfd, const struct urun_nssocket *ns,
                                     struct urun_error *err);
void urun_splice_free (struct urun_splice *sp);

/* Listen on HOST and connect every client to GUEST (same family, LEN bytes
   each).  Returns the listening socket, which names the forward, or -1. */
int urun_splice_add (struct urun_splice *sp, const struct sockaddr *host,
                     const struct sockaddr *guest, socklen_t len,
                     struct urun_error *err);

/* Stop listening on the forward FD; its connections go on to their end. */
void urun_splice_remove (struct urun_splice *sp, int fd);

/* FD of EPFD is ready with EVENTS. */
void urun_splice_event (struct urun_splice *sp, int fd, uint32_t events);

/* Connections that stopped with data left to move, so that others got
   their turn: the loop must not sleep while there are (true), and runs them
   with urun_splice_run_pending(). */
bool urun_splice_has_pending (const struct urun_splice *sp);
void urun_splice_run_pending (struct urun_splice *sp);

#endif
