/* loop.h: the event loop that runs libslirp between the tap and the host. */
#ifndef URUN_SLIRP_LOOP_H
#define URUN_SLIRP_LOOP_H

#include <stdint.h>

#include "config.h"
#include "error.h"
#include "tap.h"

/* What an epoll_event's data says: a tag in the high half, the fd in the
   low half.  api.c registers its own fds with URUN_LOOP_TAG_API. */
enum urun_loop_tag
{
  URUN_LOOP_TAG_TAP = 1,
  URUN_LOOP_TAG_EXIT,
  URUN_LOOP_TAG_PIDFD,
  URUN_LOOP_TAG_SLIRP,
  URUN_LOOP_TAG_API,   /* api.c */
  URUN_LOOP_TAG_SPLICE, /* splice.c */
};

static inline uint64_t
urun_loop_data (enum urun_loop_tag tag, int fd)
{
  return (uint64_t) tag << 32 | (uint32_t) fd;
}

struct urun_loop;

/* Create the libslirp instance, the epoll set and the API socket.  Takes
   TAP->fd and TAP->ns (closed on failure too).  Runs before the sandbox: it may open
   files and bind. */
struct urun_loop *urun_loop_new (const struct urun_slirp_config *cfg,
                                 const struct urun_tap *tap,
                                 struct urun_error *err);

/* Serve until the exit fd hangs up, the target process exits, the tap goes
   away or SIGTERM/SIGINT arrives (all return 0). */
int urun_loop_run (struct urun_loop *loop, struct urun_error *err);

void urun_loop_free (struct urun_loop *loop);

#endif
