/* pollset.h: libslirp's sockets in an epoll set, changed only where
   libslirp's wishes change. */
#ifndef URUN_SLIRP_POLLSET_H
#define URUN_SLIRP_POLLSET_H

#include <stdint.h>

#include "error.h"

struct urun_pollset;

/* Slirp fds go into EPFD tagged URUN_LOOP_TAG_SLIRP (see loop.h). */
struct urun_pollset *urun_pollset_new (int epfd, struct urun_error *err);
void urun_pollset_free (struct urun_pollset *ps);

/* One round: begin, add (slirp_pollfds_fill's callback), commit (apply the
   difference to epoll), events from epoll_wait, revents
   (slirp_pollfds_poll's callback), end. */
void urun_pollset_begin (struct urun_pollset *ps);
int urun_pollset_add (struct urun_pollset *ps, int fd, int slirp_events);
int urun_pollset_commit (struct urun_pollset *ps, struct urun_error *err);
void urun_pollset_event (struct urun_pollset *ps, int fd, uint32_t events);
int urun_pollset_revents (struct urun_pollset *ps, int idx);
void urun_pollset_end (struct urun_pollset *ps);

/* libslirp created or is about to close FD: whatever we knew is stale. */
void urun_pollset_forget (struct urun_pollset *ps, int fd);

#endif
