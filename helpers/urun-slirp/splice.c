/* splice.c: spliced TCP forwards.
   A forward of libslirp's accepts the client and hands every byte to
   libslirp's TCP, which cuts it into frames for the tap that the
   namespace's kernel puts together again: 64 KiB per libslirp round trip,
   and at MTU 65520 the helper's core is the limit (bench/slirp.sh), as it
   is slirp4netns's.  A spliced forward accepts the client on the host,
   connects to the guest address from a socket made inside the namespace
   (nssocket.c: that connection is the namespace's own loopback traffic),
   and moves the bytes between the two sockets through a pipe with
   splice(2), never copying them into the helper: as rootlesskit's builtin
   port driver and pasta's spliced path do.  The price is the source
   address: the server sees the connection come from the namespace's own
   address (10.0.2.100), so forwards that must keep the client's stay with
   libslirp, the default (hostfwd.c).
   Each connection is two sockets and a pipe per direction, all
   non-blocking and edge-triggered in the loop's epoll set.  A direction
   moves data until its source has none (EAGAIN: an EPOLLIN edge follows
   new data) or its destination takes no more (EAGAIN: EPOLLOUT follows),
   or until it has moved PUMP_BUDGET bytes in one turn, after which it waits
   on the pending list so that the other connections and libslirp are not
   starved.  A source's end (EOF) becomes shutdown(SHUT_WR) on the other
   socket once the pipe is empty; an error on either side resets both. */
#define _GNU_SOURCE
#include "splice.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fdtable.h"
#include "loop.h"

/* 256 KiB per pipe: the loopback's 64 KiB segments four at a time, and
   small beside a user's default pipe allowance (fs.pipe-user-pages-soft,
   64 MiB; past it new pipes get a single page, pipe(7)). */
#define PIPE_BYTES (256 * 1024)
#define PUMP_BUDGET (4 * 1024 * 1024)

/* One direction: SRC -> pipe -> DST. */
struct flow
{
  int pipe_r, pipe_w;
  size_t queued; /* bytes in the pipe */
  bool is_eof;   /* SRC ended */
  bool is_shut;  /* DST got shutdown(SHUT_WR) */
};

struct conn
{
  int client, guest;
  bool is_connecting;
  bool is_pending;
  struct flow up;   /* client -> guest */
  struct flow down; /* guest -> client */
  struct conn *next_pending;
};

struct listener
{
  int fd;
  int family;
  struct sockaddr_storage guest;
  socklen_t len;
};

/* What an fd of ours is: the loop hands us fds only. */
struct slot
{
  struct listener *listener;
  struct conn *conn;
};

struct urun_splice
{
  int epfd;
  const struct urun_nssocket *ns;
  struct slot *slots; /* by fd */
  size_t n_slots;
  struct conn *pending;
  bool has_warned;
};

/* Six descriptors per connection: the soft limit of 1024 would stop at
   about 160 clients.  Nothing here uses select(2), so the hard limit is
   safe (as systemd advises daemons, systemd.exec(5), LimitNOFILE=). */
static void
raise_fd_limit (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
    }
}

struct urun_splice *
urun_splice_new (int epfd, const struct urun_nssocket *ns,
                 struct urun_error *err)
{
  struct urun_splice *sp = calloc (1, sizeof *sp);

  if (sp == NULL)
    {
      urun_set_error (err, errno, "allocate spliced forwards");
      return NULL;
    }
  sp->epfd = epfd;
  sp->ns = ns;
  raise_fd_limit ();
  return sp;
}

static struct slot *
slot_of (struct urun_splice *sp, int fd)
{
  return fd >= 0 && (size_t) fd < sp->n_slots ? &sp->slots[fd] : NULL;
}

/* A slot for FD, growing the table; NULL when out of memory. */
static struct slot *
claim_slot (struct urun_splice *sp, int fd)
{
  struct slot *s;

  s = urun_fdtable_reserve (sp->slots, &sp->n_slots, sizeof *s, 64, fd);
  if (s == NULL)
    return NULL;
  sp->slots = s;
  return &s[fd];
}

static void
release_fd (struct urun_splice *sp, int fd)
{
  struct slot *s = slot_of (sp, fd);

  if (s != NULL)
    memset (s, 0, sizeof *s);
  if (fd >= 0)
    close (fd); /* also leaves the epoll set */
}

static int
watch (struct urun_splice *sp, int fd, uint32_t events)
{
  struct epoll_event ev = { .events = events,
                            .data.u64 = urun_loop_data (URUN_LOOP_TAG_SPLICE,
                                                        fd) };

  return epoll_ctl (sp->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* --- connections ---------------------------------------------------------- */

/* The next close(2) sends a reset instead of a FIN (socket(7), SO_LINGER
   with a zero timeout): how a proxy passes an error on. */
static void
arm_reset (int fd)
{
  struct linger lg = { .l_onoff = 1, .l_linger = 0 };

  if (fd >= 0)
    setsockopt (fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

static void
close_flow (struct flow *f)
{
  if (f->pipe_r >= 0)
    close (f->pipe_r);
  if (f->pipe_w >= 0)
    close (f->pipe_w);
}

static void
drop_pending (struct urun_splice *sp, struct conn *c)
{
  for (struct conn **p = &sp->pending; *p != NULL; p = &(*p)->next_pending)
    if (*p == c)
      {
        *p = c->next_pending;
        break;
      }
  c->is_pending = false;
}

static void
close_conn (struct urun_splice *sp, struct conn *c, bool is_reset)
{
  if (is_reset)
    {
      arm_reset (c->client);
      arm_reset (c->guest);
    }
  if (c->is_pending)
    drop_pending (sp, c);
  release_fd (sp, c->client);
  release_fd (sp, c->guest);
  close_flow (&c->up);
  close_flow (&c->down);
  free (c);
}

static int
open_flow (struct flow *f)
{
  int p[2];

  f->pipe_r = f->pipe_w = -1;
  if (pipe2 (p, O_NONBLOCK | O_CLOEXEC) < 0)
    return -1;
  f->pipe_r = p[0];
  f->pipe_w = p[1];
  /* Best effort: a user past the soft limit keeps the default size. */
  fcntl (f->pipe_w, F_SETPIPE_SZ, PIPE_BYTES);
  return 0;
}

enum pump_result
{
  PUMP_BLOCKED, /* waits for an epoll edge */
  PUMP_MORE,    /* used its budget with data left */
  PUMP_ERROR,
};

/* Move what SRC has to DST through F, within the budget. */
static enum pump_result
pump (int src, int dst, struct flow *f)
{
  size_t moved = 0;
  ssize_t n;

  while (moved < PUMP_BUDGET)
    {
      if (f->queued > 0)
        {
          n = splice (f->pipe_r, NULL, dst, NULL, f->queued,
                      SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
          if (n < 0)
            return errno == EAGAIN ? PUMP_BLOCKED
                   : errno == EINTR ? PUMP_MORE
                                    : PUMP_ERROR;
          f->queued -= (size_t) n;
          moved += (size_t) n;
          continue;
        }
      if (f->is_eof)
        {
          if (!f->is_shut && shutdown (dst, SHUT_WR) < 0 && errno != ENOTCONN)
            return PUMP_ERROR;
          f->is_shut = true;
          return PUMP_BLOCKED;
        }
      /* Only into an empty pipe: EAGAIN then means SRC has nothing. */
      n = splice (src, NULL, f->pipe_w, NULL, PIPE_BYTES,
                  SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n == 0)
        f->is_eof = true;
      else if (n < 0)
        return errno == EAGAIN ? PUMP_BLOCKED
               : errno == EINTR ? PUMP_MORE
                                : PUMP_ERROR;
      else
        f->queued = (size_t) n;
    }
  return PUMP_MORE;
}

static void
pump_conn (struct urun_splice *sp, struct conn *c)
{
  enum pump_result up = pump (c->client, c->guest, &c->up);
  enum pump_result down = up == PUMP_ERROR ? PUMP_ERROR
                                           : pump (c->guest, c->client,
                                                   &c->down);

  if (up == PUMP_ERROR || down == PUMP_ERROR)
    close_conn (sp, c, true);
  else if (c->up.is_shut && c->down.is_shut)
    close_conn (sp, c, false);
  else if ((up == PUMP_MORE || down == PUMP_MORE) && !c->is_pending)
    {
      c->is_pending = true;
      c->next_pending = sp->pending;
      sp->pending = c;
    }
}

static int
socket_error (int fd)
{
  int e = 0;
  socklen_t len = sizeof e;

  if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
    return errno;
  return e;
}

static void
conn_event (struct urun_splice *sp, struct conn *c, int fd, uint32_t events)
{
  if (c->is_connecting)
    {
      int e;

      if (fd != c->guest || !(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
        return;
      e = socket_error (fd);
      if (e == EINPROGRESS || e == EALREADY)
        return;
      if (e != 0)
        {
          /* Nobody listens at the guest's port: the client sees what a
             closed port does, a reset. */
          close_conn (sp, c, true);
          return;
        }
      c->is_connecting = false;
    }
  else if ((events & EPOLLERR) && socket_error (fd) != 0)
    {
      close_conn (sp, c, true);
      return;
    }
  pump_conn (sp, c);
}

static void
set_nodelay (int fd)
{
  int one = 1;

  /* Whoever sends chose when to send; we must not wait for more. */
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* A failure that costs one connection: said once, not once per client. */
static void
warn_once (struct urun_splice *sp, const char *what, int errnum)
{
  if (sp->has_warned)
    return;
  sp->has_warned = true;
  fprintf (stderr, "urun-slirp: warning: spliced forward: %s%s%s (further "
           "failures are not reported)\n", what, errnum ? ": " : "",
           errnum ? strerror (errnum) : "");
}

/* A connection of CLIENT and GUEST with its pipes, in the slot table; NULL
   with errno when something ran out (the fds stay the caller's). */
static struct conn *
new_conn (struct urun_splice *sp, int client, int guest)
{
  struct conn *c = calloc (1, sizeof *c);
  int saved;

  if (c == NULL)
    return NULL;
  c->up.pipe_r = c->up.pipe_w = c->down.pipe_r = c->down.pipe_w = -1;
  if (claim_slot (sp, client) != NULL && claim_slot (sp, guest) != NULL
      && open_flow (&c->up) == 0 && open_flow (&c->down) == 0)
    {
      c->client = client;
      c->guest = guest;
      slot_of (sp, client)->conn = slot_of (sp, guest)->conn = c;
      return c;
    }
  saved = errno;
  close_flow (&c->up);
  close_flow (&c->down);
  free (c);
  errno = saved;
  return NULL;
}

/* The client sees what a closed port would give it: a reset. */
static void
refuse (int client)
{
  arm_reset (client);
  close (client);
}

/* The namespace's socket for the client CLIENT of L, connecting. */
static void
start_conn (struct urun_splice *sp, struct listener *l, int client)
{
  struct urun_error err = URUN_ERROR_INIT;
  const uint32_t events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  struct conn *c;
  int guest;

  guest = urun_nssocket_make (sp->ns, l->family, &err);
  if (guest < 0)
    {
      warn_once (sp, err.msg, err.errnum);
      urun_clear_error (&err);
      refuse (client);
      return;
    }
  c = new_conn (sp, client, guest);
  if (c == NULL)
    {
      warn_once (sp, "set up a connection", errno);
      refuse (client);
      close (guest);
      return;
    }
  set_nodelay (client);
  set_nodelay (guest);
  c->is_connecting
      = connect (guest, (struct sockaddr *) &l->guest, l->len) < 0;
  if (c->is_connecting && errno != EINPROGRESS)
    close_conn (sp, c, true);
  else if (watch (sp, client, events) < 0 || watch (sp, guest, events) < 0)
    {
      warn_once (sp, "watch a connection", errno);
      close_conn (sp, c, true);
    }
  else if (!c->is_connecting)
    pump_conn (sp, c);
}

/* --- listeners ------------------------------------------------------------ */

static void
accept_clients (struct urun_splice *sp, struct listener *l)
{
  for (;;)
    {
      int client = accept4 (l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

      if (client >= 0)
        start_conn (sp, l, client);
      else if (errno != EINTR && errno != ECONNABORTED)
        {
          /* EAGAIN: all taken.  EMFILE and the like leave the client in
             the backlog until the next one arrives. */
          if (errno != EAGAIN)
            warn_once (sp, "accept", errno);
          return;
        }
    }
}

static int
listen_on (const struct sockaddr *host, socklen_t len, struct urun_error *err)
{
  int one = 1, fd;

  fd = socket (host->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return urun_set_error (err, errno, "socket");
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  /* As libslirp's forwards: an IPv6 forward is IPv6 only. */
  if (host->sa_family == AF_INET6)
    setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind (fd, host, len) < 0 || listen (fd, SOMAXCONN) < 0)
    {
      urun_set_error (err, errno, "listen on the host port");
      close (fd);
      return -1;
    }
  return fd;
}

int
urun_splice_add (struct urun_splice *sp, const struct sockaddr *host,
                 const struct sockaddr *guest, socklen_t len,
                 struct urun_error *err)
{
  struct listener *l = calloc (1, sizeof *l);
  struct slot *s;

  if (l == NULL)
    return urun_set_error (err, errno, "allocate a forward");
  l->family = guest->sa_family;
  l->len = len;
  memcpy (&l->guest, guest, len);
  l->fd = listen_on (host, len, err);
  if (l->fd < 0)
    {
      free (l);
      return -1;
    }
  s = claim_slot (sp, l->fd);
  if (s == NULL || watch (sp, l->fd, EPOLLIN | EPOLLET) < 0)
    {
      urun_set_error (err, errno ? errno : ENOMEM, "watch the host port");
      release_fd (sp, l->fd);
      free (l);
      return -1;
    }
  s->listener = l;
  return l->fd;
}

void
urun_splice_remove (struct urun_splice *sp, int fd)
{
  struct slot *s = slot_of (sp, fd);
  struct listener *l = s ? s->listener : NULL;

  if (l == NULL)
    return;
  release_fd (sp, fd);
  free (l);
}

void
urun_splice_event (struct urun_splice *sp, int fd, uint32_t events)
{
  struct slot *s = slot_of (sp, fd);

  if (s != NULL && s->listener != NULL)
    accept_clients (sp, s->listener);
  else if (s != NULL && s->conn != NULL)
    conn_event (sp, s->conn, fd, events);
}

bool
urun_splice_has_pending (const struct urun_splice *sp)
{
  return sp != NULL && sp->pending != NULL;
}

void
urun_splice_run_pending (struct urun_splice *sp)
{
  struct conn *list;

  if (sp == NULL)
    return;
  /* pump_conn() may put a connection back: on a new list. */
  list = sp->pending;
  sp->pending = NULL;
  while (list != NULL)
    {
      struct conn *c = list;

      list = c->next_pending;
      c->is_pending = false;
      pump_conn (sp, c);
    }
}

void
urun_splice_free (struct urun_splice *sp)
{
  if (sp == NULL)
    return;
  for (size_t fd = 0; fd < sp->n_slots; fd++)
    {
      struct slot *s = &sp->slots[fd];

      if (s->listener != NULL)
        urun_splice_remove (sp, (int) fd);
      else if (s->conn != NULL)
        close_conn (sp, s->conn, false);
    }
  free (sp->slots);
  free (sp);
}
