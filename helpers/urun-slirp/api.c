/* api.c: the control socket — a listening UNIX socket, one request per
   connection as with slirp4netns, but served without blocking the packet
   loop: each client is read as it becomes readable, a streaming JSON parser
   says when the request is whole (or malformed), and a client that stalls
   is answered with an error after a timeout.  What a request does is
   hostfwd.c's. */
#define _GNU_SOURCE
#include "api.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <yajl/yajl_parse.h>

#include "hostfwd.h"
#include "loop.h"

/* slirp4netns reads at most 4 KiB; we take more but not without bound. */
#define MAX_REQUEST (64 * 1024)
#define MAX_CLIENTS 32
#define CLIENT_TIMEOUT_MS 5000

struct client
{
  struct client *next;
  int fd;
  int64_t deadline;
  char *buf;
  size_t len, cap;
  yajl_handle parser;
  int depth;
  bool is_complete; /* a whole JSON value arrived, or a syntax error */
};

struct urun_api
{
  int listenfd;
  int epfd;
  char *path;
  dev_t dev;   /* the socket file we bound, to unlink only that one */
  ino_t ino;
  struct urun_hostfwds *fwds;
  struct client *clients;
  unsigned int nclients;
};

/* Streaming-parser callbacks: only the nesting depth matters here. */
static int
on_open (void *ctx)
{
  ((struct client *) ctx)->depth++;
  return 1;
}

static int
on_close (void *ctx)
{
  struct client *c = ctx;

  if (--c->depth == 0)
    {
      c->is_complete = true;
      return 0; /* stop: anything after the value is ignored */
    }
  return 1;
}

static int
on_scalar (void *ctx)
{
  struct client *c = ctx;

  if (c->depth == 0)
    {
      c->is_complete = true;
      return 0;
    }
  return 1;
}

static int
on_null (void *ctx)
{
  return on_scalar (ctx);
}

static int
on_bool (void *ctx, int value)
{
  (void) value;
  return on_scalar (ctx);
}

static int
on_number (void *ctx, const char *s, size_t len)
{
  (void) s;
  (void) len;
  return on_scalar (ctx);
}

static int
on_string (void *ctx, const unsigned char *s, size_t len)
{
  (void) s;
  (void) len;
  return on_scalar (ctx);
}

static int
on_key (void *ctx, const unsigned char *s, size_t len)
{
  (void) ctx;
  (void) s;
  (void) len;
  return 1;
}

static const yajl_callbacks depth_callbacks = {
  .yajl_null = on_null,
  .yajl_boolean = on_bool,
  .yajl_number = on_number,
  .yajl_string = on_string,
  .yajl_start_map = on_open,
  .yajl_map_key = on_key,
  .yajl_end_map = on_close,
  .yajl_start_array = on_open,
  .yajl_end_array = on_close,
};

static int
bind_listen (const char *path, struct urun_api *api, struct urun_error *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct stat st;

  if (strlen (path) >= sizeof addr.sun_path)
    return urun_set_error (err, ENAMETOOLONG, "socket path `%s`", path);
  strcpy (addr.sun_path, path);
  api->listenfd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                          0);
  if (api->listenfd < 0)
    return urun_set_error (err, errno, "create socket");
  /* As slirp4netns: a stale socket from an earlier run is replaced. */
  if (unlink (path) < 0 && errno != ENOENT)
    return urun_set_error (err, errno, "remove old `%s`", path);
  if (bind (api->listenfd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return urun_set_error (err, errno, "bind `%s`", path);
  if (listen (api->listenfd, 16) < 0)
    return urun_set_error (err, errno, "listen on `%s`", path);
  if (stat (path, &st) == 0)
    {
      api->dev = st.st_dev;
      api->ino = st.st_ino;
    }
  return 0;
}

struct urun_api *
urun_api_new (const struct urun_slirp_config *cfg, Slirp *slirp,
              struct urun_splice *splice, int epfd,
              struct urun_error *err)
{
  struct urun_api *api = calloc (1, sizeof *api);
  struct epoll_event ev = { .events = EPOLLIN };

  if (api == NULL)
    {
      urun_set_error (err, errno, "allocate API state");
      return NULL;
    }
  api->listenfd = -1;
  api->epfd = epfd;
  api->path = strdup (cfg->api_socket);
  api->fwds = urun_hostfwds_new (slirp, splice, cfg);
  if (api->path == NULL || api->fwds == NULL)
    urun_set_error (err, ENOMEM, "allocate API state");
  else if (bind_listen (cfg->api_socket, api, err) == 0)
    {
      ev.data.u64 = urun_loop_data (URUN_LOOP_TAG_API, api->listenfd);
      if (epoll_ctl (epfd, EPOLL_CTL_ADD, api->listenfd, &ev) == 0)
        return api;
      urun_set_error (err, errno, "watch API socket");
    }
  urun_api_free (api);
  return NULL;
}

static void
free_client (struct urun_api *api, struct client *c)
{
  for (struct client **p = &api->clients; *p != NULL; p = &(*p)->next)
    if (*p == c)
      {
        *p = c->next;
        break;
      }
  api->nclients--;
  close (c->fd); /* also leaves the epoll set */
  if (c->parser != NULL)
    yajl_free (c->parser);
  free (c->buf);
  free (c);
}

/* Answer C and hang up.  Replies are small; a client that does not read
   them loses them. */
static void
answer (struct urun_api *api, struct client *c, const char *reply)
{
  size_t len = strlen (reply), off = 0;

  while (off < len)
    {
      ssize_t n = send (c->fd, reply + off, len - off, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      off += (size_t) n;
    }
  shutdown (c->fd, SHUT_RDWR);
  free_client (api, c);
}

static void
answer_request (struct urun_api *api, struct client *c)
{
  char *reply = urun_hostfwds_execute (api->fwds, c->buf ? c->buf : "",
                                       c->len);

  answer (api, c, reply ? reply : "{\"error\":{\"desc\":\"out of memory\"}}");
  free (reply);
}

static int
grow (struct client *c, size_t need)
{
  size_t cap = c->cap ? c->cap : 1024;
  char *buf;

  while (cap < need)
    cap *= 2;
  if (cap == c->cap)
    return 0;
  buf = realloc (c->buf, cap);
  if (buf == NULL)
    return -1;
  c->buf = buf;
  c->cap = cap;
  return 0;
}

/* Read what C sent; returns true when it is time to answer. */
static bool
read_client (struct client *c, bool *is_too_large)
{
  for (;;)
    {
      ssize_t n;

      if (c->len >= MAX_REQUEST || grow (c, c->len + 4096 + 1) < 0)
        {
          *is_too_large = true;
          return true;
        }
      n = recv (c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return errno != EAGAIN; /* a reset peer gets the error reply */
      if (n == 0)
        return true; /* shutdown(SHUT_WR), as slirp4netns asks of clients */
      if (yajl_parse (c->parser, (unsigned char *) c->buf + c->len,
                      (size_t) n) == yajl_status_error)
        c->is_complete = true;
      c->len += (size_t) n;
      c->buf[c->len] = '\0';
      if (c->is_complete)
        return true;
    }
}

static void
accept_clients (struct urun_api *api, int64_t now_ms)
{
  for (;;)
    {
      int fd = accept4 (api->listenfd, NULL, NULL,
                        SOCK_NONBLOCK | SOCK_CLOEXEC);
      struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP,
                                .data.u64 = urun_loop_data (URUN_LOOP_TAG_API,
                                                            fd) };
      struct client *c;

      if (fd < 0)
        return;
      c = calloc (1, sizeof *c);
      if (c == NULL || api->nclients >= MAX_CLIENTS
          || epoll_ctl (api->epfd, EPOLL_CTL_ADD, fd, &ev) < 0
          || (c->parser = yajl_alloc (&depth_callbacks, NULL, c)) == NULL)
        {
          free (c);
          close (fd);
          continue;
        }
      c->fd = fd;
      c->deadline = now_ms + CLIENT_TIMEOUT_MS;
      c->next = api->clients;
      api->clients = c;
      api->nclients++;
    }
}

void
urun_api_event (struct urun_api *api, int fd, uint32_t events, int64_t now_ms)
{
  bool is_too_large = false;
  struct client *c;

  (void) events;
  if (fd == api->listenfd)
    {
      accept_clients (api, now_ms);
      return;
    }
  for (c = api->clients; c != NULL && c->fd != fd; c = c->next)
    ;
  if (c == NULL || !read_client (c, &is_too_large))
    return;
  if (is_too_large)
    answer (api, c,
            "{\"error\":{\"desc\":\"bad request: too large message\"}}");
  else
    answer_request (api, c);
}

int64_t
urun_api_deadline (const struct urun_api *api)
{
  int64_t best = -1;

  for (const struct client *c = api->clients; c != NULL; c = c->next)
    if (best < 0 || c->deadline < best)
      best = c->deadline;
  return best;
}

/* A client that neither finished its request nor shut down its side gets
   whatever it sent judged as is (usually: cannot parse JSON). */
void
urun_api_expire (struct urun_api *api, int64_t now_ms)
{
  struct client *c = api->clients, *next;

  for (; c != NULL; c = next)
    {
      next = c->next;
      if (c->deadline <= now_ms)
        answer_request (api, c);
    }
}

void
urun_api_free (struct urun_api *api)
{
  struct stat st;

  if (api == NULL)
    return;
  while (api->clients != NULL)
    free_client (api, api->clients);
  if (api->listenfd >= 0)
    {
      close (api->listenfd);
      /* Inside the sandbox the path is out of reach and this fails, as it
         does for slirp4netns; outside, never remove someone else's file. */
      if (api->path != NULL && stat (api->path, &st) == 0
          && st.st_dev == api->dev && st.st_ino == api->ino)
        unlink (api->path);
    }
  urun_hostfwds_free (api->fwds);
  free (api->path);
  free (api);
}
