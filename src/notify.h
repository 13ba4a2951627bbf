/* notify.h: systemd integration — the sd_notify relay between a container
 * and the service manager named by $NOTIFY_SOCKET (--systemd-cgroup is
 * cgroups-systemd.c's).
 *
 * With NOTIFY_SOCKET set, `create`/`run` bind notify.sock in the container's
 * state directory, bind-mount it on /run/notify/notify.sock with
 * NOTIFY_SOCKET pointing there, and fork a relay (outside the container, as
 * the caller) that forwards an allow-list of assignments to the host socket,
 * adding MAINPID to READY=1. The relay lives as long as the container's
 * process; `delete` kills it. `run -d` and `start` return once READY=1 was
 * forwarded, as runc does. */
#ifndef URUN_NOTIFY_H
#define URUN_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

struct urun_notify
{
  char *host;       /* $NOTIFY_SOCKET; NULL: no relay */
  int socket_fd;    /* notify.sock, bound; the relay's once it runs */
  int ready_fd;     /* notify-ready (a FIFO), read end: one byte at READY=1 */
  int relay_pidfd;
  bool is_armed;    /* release kills the relay (a failed or finished launch) */
};

#define URUN_NOTIFY_INIT                                                      \
  { .socket_fd = -1, .ready_fd = -1, .relay_pidfd = -1 }

/* Before the container process exists: when $NOTIFY_SOCKET is set, bind
 * notify.sock in DIR_FD (the state directory) and add its bind mount and
 * NOTIFY_SOCKET to SPEC. Without it, N stays empty and nothing happens. */
int urun_notify_prepare (int dir_fd, struct urun_spec *spec,
                         struct urun_notify *n, struct urun_error *err);

/* Fork the relay for CONTAINER (its process); READY=1 is forwarded with
 * MAINPID=MAIN_PID. Records the relay in DIR_FD for `delete`. */
int urun_notify_start_relay (int dir_fd, struct urun_notify *n,
                             pid_t container, pid_t main_pid,
                             struct urun_error *err);

/* `start`: find the relay `create` left in DIR_FD (none: N stays empty). */
int urun_notify_open (int dir_fd, struct urun_notify *n,
                      struct urun_error *err);

/* Wait until the relay has forwarded READY=1 (at once without a relay);
 * fails when the container exits first. */
int urun_notify_wait_ready (struct urun_notify *n, struct urun_error *err);

/* `delete`: let the relay of DIR_FD forward what the container sent last
 * (up to 1 s once the container is gone), then kill it. */
void urun_notify_stop_relay (int dir_fd);

void urun_notify_release (struct urun_notify *n);
#define cleanup_notify __attribute__ ((cleanup (urun_notify_release)))

#endif
