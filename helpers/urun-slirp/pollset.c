/* pollset.c: libslirp's sockets in our epoll set.  libslirp asks for its
   fds afresh every round (slirp_pollfds_fill); slirp4netns rebuilds a
   poll(2) array each time, we keep an epoll registration per fd and touch
   it only when libslirp's wish for that fd changes.  A socket libslirp skips
   for a round stays registered with no events (epoll still reports ERR/HUP,
   epoll_ctl(2)); if one of those arrives we drop it until wanted again, so
   a hung-up socket cannot spin the loop. */
#define _GNU_SOURCE
#include "pollset.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <slirp/libslirp.h>

#include "fdtable.h"
#include "loop.h"

struct slot
{
  uint32_t want;       /* epoll events libslirp asked for this round */
  uint32_t registered; /* events epoll has for the fd */
  uint32_t revents;
  uint64_t gen;        /* round in which libslirp last asked */
  bool is_registered;
  bool is_listed;      /* in ps->live */
};

struct int_vec
{
  int *v;
  size_t n, cap;
};

struct urun_pollset
{
  int epfd;
  uint64_t gen;
  struct slot *slots;
  size_t nslots;
  struct int_vec polls; /* index (libslirp's handle) -> fd */
  struct int_vec live;  /* fds registered in epoll */
  struct int_vec ready; /* fds with revents this round */
};

static int
push (struct int_vec *vec, int value)
{
  if (vec->n == vec->cap)
    {
      size_t cap = vec->cap ? vec->cap * 2 : 64;
      int *v = realloc (vec->v, cap * sizeof *v);

      if (v == NULL)
        return -1;
      vec->v = v;
      vec->cap = cap;
    }
  vec->v[vec->n++] = value;
  return 0;
}

static struct slot *
get_slot (struct urun_pollset *ps, int fd)
{
  struct slot *s;

  if (fd < 0)
    return NULL;
  s = urun_fdtable_reserve (ps->slots, &ps->nslots, sizeof *s, 256, fd);
  if (s == NULL)
    return NULL;
  ps->slots = s;
  return &s[fd];
}

static uint32_t
to_epoll (int ev)
{
  return ((ev & SLIRP_POLL_IN) ? EPOLLIN : 0)
         | ((ev & SLIRP_POLL_OUT) ? EPOLLOUT : 0)
         | ((ev & SLIRP_POLL_PRI) ? EPOLLPRI : 0);
}

static int
to_slirp (uint32_t ev)
{
  return ((ev & EPOLLIN) ? SLIRP_POLL_IN : 0)
         | ((ev & EPOLLOUT) ? SLIRP_POLL_OUT : 0)
         | ((ev & EPOLLPRI) ? SLIRP_POLL_PRI : 0)
         | ((ev & EPOLLERR) ? SLIRP_POLL_ERR : 0)
         | ((ev & EPOLLHUP) ? SLIRP_POLL_HUP : 0);
}

struct urun_pollset *
urun_pollset_new (int epfd, struct urun_error *err)
{
  struct urun_pollset *ps = calloc (1, sizeof *ps);

  if (ps == NULL)
    {
      urun_set_error (err, errno, "allocate poll set");
      return NULL;
    }
  ps->epfd = epfd;
  return ps;
}

void
urun_pollset_free (struct urun_pollset *ps)
{
  if (ps == NULL)
    return;
  free (ps->slots);
  free (ps->polls.v);
  free (ps->live.v);
  free (ps->ready.v);
  free (ps);
}

void
urun_pollset_begin (struct urun_pollset *ps)
{
  ps->polls.n = 0;
  ps->gen++;
}

int
urun_pollset_add (struct urun_pollset *ps, int fd, int slirp_events)
{
  struct slot *s = get_slot (ps, fd);

  if (s == NULL || push (&ps->polls, fd) < 0)
    return -1; /* libslirp then treats the socket as not polled */
  s->want = to_epoll (slirp_events);
  s->gen = ps->gen;
  return (int) ps->polls.n - 1;
}

/* Make epoll's events for FD what it should be: WANT; ADD/MOD fall back on
   each other for fds closed or reused behind libslirp's callbacks. */
static int
apply (struct urun_pollset *ps, int fd, struct slot *s, uint32_t want)
{
  struct epoll_event ev = { .events = want,
                            .data.u64 = urun_loop_data (URUN_LOOP_TAG_SLIRP,
                                                        fd) };
  int op = s->is_registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;

  if (epoll_ctl (ps->epfd, op, fd, &ev) < 0)
    {
      if (errno != ENOENT && errno != EEXIST)
        return -1;
      op = op == EPOLL_CTL_MOD ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
      if (epoll_ctl (ps->epfd, op, fd, &ev) < 0)
        return -1;
    }
  s->is_registered = true;
  s->registered = want;
  if (!s->is_listed && push (&ps->live, fd) == 0)
    s->is_listed = true;
  return 0;
}

/* Registered fds libslirp did not ask for this round get no events; fds
   no longer registered leave the list. */
static void
sweep (struct urun_pollset *ps)
{
  for (size_t i = 0; i < ps->live.n;)
    {
      int fd = ps->live.v[i];
      struct slot *s = &ps->slots[fd];

      if (s->is_registered && s->gen != ps->gen && s->registered != 0
          && apply (ps, fd, s, 0) < 0)
        urun_pollset_forget (ps, fd);
      if (!s->is_registered)
        {
          s->is_listed = false;
          ps->live.v[i] = ps->live.v[--ps->live.n];
          continue;
        }
      i++;
    }
}

int
urun_pollset_commit (struct urun_pollset *ps, struct urun_error *err)
{
  for (size_t i = 0; i < ps->polls.n; i++)
    {
      int fd = ps->polls.v[i];
      struct slot *s = &ps->slots[fd];

      if (s->is_registered && s->registered == s->want)
        continue;
      if (apply (ps, fd, s, s->want) < 0)
        return urun_set_error (err, errno, "add slirp socket %d to epoll", fd);
    }
  sweep (ps);
  return 0;
}

void
urun_pollset_event (struct urun_pollset *ps, int fd, uint32_t events)
{
  struct slot *s;

  if (fd < 0 || (size_t) fd >= ps->nslots || !ps->slots[fd].is_registered)
    return;
  s = &ps->slots[fd];
  if (s->gen != ps->gen)
    {
      /* ERR/HUP on a socket libslirp is not polling: park it. */
      epoll_ctl (ps->epfd, EPOLL_CTL_DEL, fd, NULL);
      s->is_registered = false;
      s->registered = 0;
      return;
    }
  if (s->revents == 0 && push (&ps->ready, fd) < 0)
    return;
  s->revents |= events;
}

int
urun_pollset_revents (struct urun_pollset *ps, int idx)
{
  if (idx < 0 || (size_t) idx >= ps->polls.n)
    return 0;
  return to_slirp (ps->slots[ps->polls.v[idx]].revents);
}

void
urun_pollset_end (struct urun_pollset *ps)
{
  for (size_t i = 0; i < ps->ready.n; i++)
    ps->slots[ps->ready.v[i]].revents = 0;
  ps->ready.n = 0;
}

void
urun_pollset_forget (struct urun_pollset *ps, int fd)
{
  struct slot *s;

  if (fd < 0 || (size_t) fd >= ps->nslots)
    return;
  s = &ps->slots[fd];
  if (s->is_registered)
    epoll_ctl (ps->epfd, EPOLL_CTL_DEL, fd, NULL);
  s->is_registered = false;
  s->registered = s->want = s->revents = s->gen = 0;
}
