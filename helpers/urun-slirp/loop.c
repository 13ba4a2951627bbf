/* loop.c: the event loop — libslirp's stack with its sockets and timers,
   the tap, the exit fd, the target's pidfd and the API socket, in one epoll
   set.  Frames are read from the tap in batches per wake-up. */
#define _GNU_SOURCE
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <slirp/libslirp.h>

#include "api.h"
#include "frame.h"
#include "pollset.h"
#include "splice.h"

/* Frames read from the tap per wake-up before libslirp's sockets get their
   turn: enough to amortise epoll_wait, few enough to keep both directions
   moving. */
#define TAP_BATCH 64
#define MAX_EVENTS 64

struct slirp_timer
{
  struct slirp_timer *next;
  SlirpTimerCb cb;
  void *cb_opaque;
  int64_t expire_ms; /* -1: not armed */
};

struct urun_loop
{
  const struct urun_slirp_config *cfg;
  Slirp *slirp;
  int epfd;
  int pidfd;
  struct urun_frame_io io;
  uint8_t *rxbuf;
  struct urun_pollset *ps;
  struct urun_api *api;
  struct urun_nssocket ns;
  struct urun_splice *splice; /* NULL without a namespace child */
  struct slirp_timer *timers;
  const char *stop_reason;
};

static volatile sig_atomic_t got_signal;

static void
on_signal (int sig)
{
  got_signal = sig;
}

static int64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t
now_ms (void)
{
  return now_ns () / 1000000;
}

static void
stop (struct urun_loop *l, const char *why)
{
  if (l->stop_reason == NULL)
    l->stop_reason = why;
}

/* EBADFD: the tap was detached from its device, which happens when the
   device is deleted (drivers/net/tun.c).  Anything else (EIO while the
   interface is down, EAGAIN) only loses the frame. */
static bool
is_tap_gone (int errnum)
{
  return errnum == EBADFD || errnum == EBADF;
}

/* SlirpCb.send_packet: a frame for the namespace.  A frame the tap refuses
   is dropped; TCP retransmits. */
static ssize_t
cb_send_packet (const void *buf, size_t len, void *opaque)
{
  struct urun_loop *l = opaque;

  if (urun_frame_to_tap (&l->io, buf, len) < 0 && is_tap_gone (errno))
    stop (l, "tap device gone");
  return (ssize_t) len;
}

static void
cb_guest_error (const char *msg, void *opaque)
{
  (void) opaque;
  fprintf (stderr, "urun-slirp: warning: libslirp: %s\n", msg);
}

static int64_t
cb_clock_get_ns (void *opaque)
{
  (void) opaque;
  return now_ns ();
}

static void *
cb_timer_new (SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
  struct urun_loop *l = opaque;
  struct slirp_timer *t = calloc (1, sizeof *t);

  if (t == NULL)
    return NULL;
  t->cb = cb;
  t->cb_opaque = cb_opaque;
  t->expire_ms = -1;
  t->next = l->timers;
  l->timers = t;
  return t;
}

static void
cb_timer_free (void *timer, void *opaque)
{
  struct urun_loop *l = opaque;

  for (struct slirp_timer **p = &l->timers; *p != NULL; p = &(*p)->next)
    if (*p == timer)
      {
        *p = (*p)->next;
        free (timer);
        return;
      }
}

static void
cb_timer_mod (void *timer, int64_t expire_ms, void *opaque)
{
  (void) opaque;
  ((struct slirp_timer *) timer)->expire_ms = expire_ms;
}

static void
cb_register_poll_fd (int fd, void *opaque)
{
  urun_pollset_forget (((struct urun_loop *) opaque)->ps, fd);
}

static void
cb_notify (void *opaque)
{
  /* Every round asks libslirp afresh: nothing to wake. */
  (void) opaque;
}

static const SlirpCb slirp_callbacks = {
  .send_packet = cb_send_packet,
  .guest_error = cb_guest_error,
  .clock_get_ns = cb_clock_get_ns,
  .timer_new = cb_timer_new,
  .timer_free = cb_timer_free,
  .timer_mod = cb_timer_mod,
  .register_poll_fd = cb_register_poll_fd,
  .unregister_poll_fd = cb_register_poll_fd,
  .notify = cb_notify,
};

static Slirp *
create_slirp (struct urun_loop *l, struct urun_error *err)
{
  const struct urun_slirp_config *c = l->cfg;
  SlirpConfig sc;
  Slirp *slirp;

  memset (&sc, 0, sizeof sc);
  sc.version = 4;
  sc.in_enabled = true;
  sc.vnetwork = c->vnetwork;
  sc.vnetmask = c->vnetmask;
  sc.vhost = c->vhost;
  sc.in6_enabled = c->is_ipv6;
  inet_pton (AF_INET6, "fd00::", &sc.vprefix_addr6);
  sc.vprefix_len = 64;
  inet_pton (AF_INET6, "fd00::2", &sc.vhost6);
  inet_pton (AF_INET6, "fd00::3", &sc.vnameserver6);
  sc.vdhcp_start = c->vdhcp_start;
  sc.vnameserver = c->vnameserver;
  sc.if_mtu = urun_frame_slirp_tcp_mtu (&l->io);
  sc.if_mru = l->io.slirp_mtu;
  sc.disable_host_loopback = c->is_host_loopback_disabled;
  sc.disable_dns = c->is_dns_disabled;
  sc.outbound_addr = c->has_outbound_addr
                         ? (struct sockaddr_in *) &c->outbound_addr : NULL;
  sc.outbound_addr6 = c->has_outbound_addr6
                          ? (struct sockaddr_in6 *) &c->outbound_addr6 : NULL;
  slirp = slirp_new (&sc, &slirp_callbacks, l);
  if (slirp == NULL)
    urun_set_error (err, 0, "create libslirp instance (slirp_new)");
  return slirp;
}

static int
watch (struct urun_loop *l, enum urun_loop_tag tag, int fd, uint32_t events,
       struct urun_error *err)
{
  struct epoll_event ev = { .events = events,
                            .data.u64 = urun_loop_data (tag, fd) };

  if (epoll_ctl (l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    return urun_set_error (err, errno, "watch fd %d", fd);
  return 0;
}

/* The target process: its exit ends the helper, as the namespace it keeps
   alive is gone for everyone else.  Our tap fd pins the network namespace
   (the tun socket holds a reference on it), so the tap never reports its
   end.  pidfd_open(2) exists since Linux 5.3; without it only --exit-fd
   ends us, as with slirp4netns. */
static int
watch_target (struct urun_loop *l, struct urun_error *err)
{
  if (l->cfg->target_pid <= 0)
    return 0;
  l->pidfd = (int) syscall (SYS_pidfd_open, l->cfg->target_pid, 0);
  if (l->pidfd < 0 && errno == ESRCH)
    return urun_set_error (err, errno, "watch target process %d",
                           l->cfg->target_pid);
  if (l->pidfd < 0)
    {
      fprintf (stderr, "urun-slirp: warning: pidfd_open %d: %s; only "
               "--exit-fd ends the helper\n", l->cfg->target_pid,
               strerror (errno));
      return 0;
    }
  return watch (l, URUN_LOOP_TAG_PIDFD, l->pidfd, EPOLLIN, err);
}

static int
setup_fds (struct urun_loop *l, struct urun_error *err)
{
  struct sigaction sa = { .sa_handler = on_signal };

  l->epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (l->epfd < 0)
    return urun_set_error (err, errno, "create epoll set");
  l->ps = urun_pollset_new (l->epfd, err);
  if (l->ps == NULL)
    return -1;
  if (watch (l, URUN_LOOP_TAG_TAP, l->io.tapfd, EPOLLIN, err) < 0)
    return urun_wrap_error (err, "watch tap");
  /* As slirp4netns, only the hang-up counts (0: ERR/HUP are implied). */
  if (l->cfg->exit_fd >= 0
      && watch (l, URUN_LOOP_TAG_EXIT, l->cfg->exit_fd, 0, err) < 0)
    return urun_wrap_error (err, "watch --exit-fd");
  if (watch_target (l, err) < 0)
    return -1;
  /* No SA_RESTART: epoll_wait returns EINTR and the loop looks. */
  sigemptyset (&sa.sa_mask);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGINT, &sa, NULL);
  return 0;
}

struct urun_loop *
urun_loop_new (const struct urun_slirp_config *cfg, const struct urun_tap *tap,
               struct urun_error *err)
{
  struct urun_loop *l = calloc (1, sizeof *l);

  if (l == NULL)
    {
      struct urun_nssocket ns = tap->ns;

      urun_set_error (err, errno, "allocate event loop");
      close (tap->fd);
      urun_nssocket_release (&ns);
      return NULL;
    }
  l->cfg = cfg;
  l->epfd = l->pidfd = -1;
  l->ns = tap->ns;
  l->io.tapfd = tap->fd;
  l->io.has_vnet_hdr = tap->has_vnet_hdr;
  l->io.tap_mtu = cfg->mtu;
  /* Segmentation offload both ways: libslirp then takes the namespace's
     64 KiB frames, and frame.c merges its segments into such frames. */
  l->io.slirp_mtu = tap->has_tso && cfg->mtu < URUN_FRAME_SLIRP_GSO_MTU
                        ? URUN_FRAME_SLIRP_GSO_MTU : cfg->mtu;
  l->rxbuf = malloc (URUN_FRAME_RX_BUFSIZE);
  if (tap->has_vnet_hdr)
    l->io.held = malloc (URUN_FRAME_RX_BUFSIZE);
  if (l->rxbuf == NULL || (tap->has_vnet_hdr && l->io.held == NULL))
    urun_set_error (err, errno, "allocate frame buffers");
  else if (setup_fds (l, err) == 0 && (l->slirp = create_slirp (l, err))
           && (l->ns.sock < 0
               || (l->splice = urun_splice_new (l->epfd, &l->ns, err))))
    {
      if (cfg->api_socket == NULL)
        return l;
      l->api = urun_api_new (cfg, l->slirp, l->splice, l->epfd, err);
      if (l->api != NULL)
        return l;
      urun_wrap_error (err, "serve API on `%s`", cfg->api_socket);
    }
  urun_loop_free (l);
  return NULL;
}

void
urun_loop_free (struct urun_loop *l)
{
  if (l == NULL)
    return;
  urun_api_free (l->api);
  urun_splice_free (l->splice);
  urun_nssocket_release (&l->ns);
  if (l->slirp != NULL)
    slirp_cleanup (l->slirp);
  while (l->timers != NULL)
    cb_timer_free (l->timers, l);
  urun_pollset_free (l->ps);
  if (l->epfd >= 0)
    close (l->epfd);
  if (l->pidfd >= 0)
    close (l->pidfd);
  close (l->io.tapfd);
  free (l->rxbuf);
  free (l->io.held);
  free (l);
}

/* Up to TAP_BATCH frames into libslirp. */
static void
read_tap (struct urun_loop *l)
{
  for (int i = 0; i < TAP_BATCH; i++)
    {
      ssize_t n = read (l->io.tapfd, l->rxbuf, URUN_FRAME_RX_BUFSIZE);
      uint8_t *frame;

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && is_tap_gone (errno))
        stop (l, "tap device gone");
      if (n <= 0)
        return;
      n = urun_frame_from_tap (&l->io, l->rxbuf, (size_t) n, &frame);
      if (n > 0)
        slirp_input (l->slirp, frame, (int) n);
    }
}

static int
cb_add_poll (int fd, int events, void *opaque)
{
  return urun_pollset_add (((struct urun_loop *) opaque)->ps, fd, events);
}

static int
cb_get_revents (int idx, void *opaque)
{
  return urun_pollset_revents (((struct urun_loop *) opaque)->ps, idx);
}

/* Milliseconds to sleep: libslirp's own timeout, its timers, API clients. */
static int
next_timeout (struct urun_loop *l, uint32_t slirp_ms)
{
  int64_t now = now_ms ();
  int64_t best = slirp_ms == UINT32_MAX ? -1 : (int64_t) slirp_ms;
  int64_t api = l->api ? urun_api_deadline (l->api) : -1;

  for (struct slirp_timer *t = l->timers; t != NULL; t = t->next)
    if (t->expire_ms >= 0 && (best < 0 || t->expire_ms - now < best))
      best = t->expire_ms > now ? t->expire_ms - now : 0;
  if (api >= 0 && (best < 0 || api - now < best))
    best = api > now ? api - now : 0;
  if (urun_splice_has_pending (l->splice))
    best = 0;
  return best > 60000 ? 60000 : (int) best;
}

static void
run_timers (struct urun_loop *l)
{
  int64_t now = now_ms ();

  if (l->api != NULL)
    urun_api_expire (l->api, now);
  for (struct slirp_timer *t = l->timers; t != NULL; t = t->next)
    if (t->expire_ms >= 0 && t->expire_ms <= now)
      {
        /* libslirp 4.7's only timer (IPv6 router advertisements) re-arms
           itself here; timers are freed only by slirp_cleanup(). */
        t->expire_ms = -1;
        t->cb (t->cb_opaque);
      }
}

static void
dispatch (struct urun_loop *l, const struct epoll_event *ev, int n,
          bool *is_tap_ready)
{
  for (int i = 0; i < n; i++)
    {
      int fd = (int) (uint32_t) ev[i].data.u64;

      switch ((enum urun_loop_tag) (ev[i].data.u64 >> 32))
        {
        case URUN_LOOP_TAG_TAP:
          if (ev[i].events & (EPOLLERR | EPOLLHUP))
            stop (l, "tap device gone");
          *is_tap_ready = true;
          break;
        case URUN_LOOP_TAG_EXIT:
          stop (l, "exit fd hung up");
          break;
        case URUN_LOOP_TAG_PIDFD:
          stop (l, "target process exited");
          break;
        case URUN_LOOP_TAG_SLIRP:
          urun_pollset_event (l->ps, fd, ev[i].events);
          break;
        case URUN_LOOP_TAG_API:
          urun_api_event (l->api, fd, ev[i].events, now_ms ());
          break;
        case URUN_LOOP_TAG_SPLICE:
          urun_splice_event (l->splice, fd, ev[i].events);
          break;
        }
    }
}

static int
iterate (struct urun_loop *l, struct urun_error *err)
{
  struct epoll_event ev[MAX_EVENTS];
  uint32_t slirp_ms = UINT32_MAX;
  bool is_tap_ready = false;
  int n;

  urun_pollset_begin (l->ps);
  slirp_pollfds_fill (l->slirp, &slirp_ms, cb_add_poll, l);
  if (urun_pollset_commit (l->ps, err) < 0)
    return -1;
  n = epoll_wait (l->epfd, ev, MAX_EVENTS, next_timeout (l, slirp_ms));
  if (n < 0 && errno != EINTR)
    return urun_set_error (err, errno, "wait for events");
  if (n > 0)
    dispatch (l, ev, n, &is_tap_ready);
  if (is_tap_ready && l->stop_reason == NULL)
    read_tap (l);
  urun_splice_run_pending (l->splice);
  slirp_pollfds_poll (l->slirp, n < 0, cb_get_revents, l);
  urun_pollset_end (l->ps);
  run_timers (l);
  if (urun_frame_flush (&l->io) < 0 && is_tap_gone (errno))
    stop (l, "tap device gone");
  return 0;
}

int
urun_loop_run (struct urun_loop *l, struct urun_error *err)
{
  while (l->stop_reason == NULL && !got_signal)
    if (iterate (l, err) < 0)
      return -1;
  if (!l->cfg->is_quiet)
    fprintf (stderr, "urun-slirp: exiting: %s\n",
             l->stop_reason ? l->stop_reason : strsignal (got_signal));
  return 0;
}
