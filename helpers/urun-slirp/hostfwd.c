/* hostfwd.c: the API's requests and the table of forwarded ports.
   Requests and replies have slirp4netns's shapes (slirp4netns(1), API
   SOCKET); error descriptions start with the same words.
   Source addresses: libslirp accepts a forwarded connection itself and hands
   the guest the peer address accept(2) returned (tcp_connect(),
   sotranslate_accept() in libslirp 4.7), so the namespace sees the real
   client address; only loopback and unspecified peers become the gateway
   (10.0.2.2), since 127.0.0.1 inside the namespace is its own.  Replies go
   back through the default route, which --configure sets.  slirp4netns
   forwards IPv4 only; here an IPv6 host_addr (with --enable-ipv6) forwards
   to the guest's IPv6 address so IPv6 clients keep theirs too.  libslirp
   cannot bridge families: an IPv4 client cannot reach an IPv6 guest address
   or the reverse, and such requests are refused.
   Spliced forwards ("mode": "splice", or --port-mode=splice for requests
   without one; TCP only) are splice.c's: faster, but the namespace sees
   connections from its own address. */
#define _GNU_SOURCE
#include "hostfwd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

struct fwd
{
  struct fwd *next;
  long long id;
  bool is_udp;
  bool is_spliced;
  int splice_fd; /* a spliced forward's listener */
  int family;
  union
  {
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
  } host, guest;
};

struct urun_hostfwds
{
  Slirp *slirp;
  struct urun_splice *splice; /* NULL: no namespace child */
  const struct urun_slirp_config *cfg;
  struct fwd *list; /* newest last */
  long long next_id;
};

struct urun_hostfwds *
urun_hostfwds_new (Slirp *slirp, struct urun_splice *splice,
                   const struct urun_slirp_config *cfg)
{
  struct urun_hostfwds *f = calloc (1, sizeof *f);

  if (f == NULL)
    return NULL;
  f->slirp = slirp;
  f->splice = splice;
  f->cfg = cfg;
  f->next_id = 1;
  return f;
}

void
urun_hostfwds_free (struct urun_hostfwds *f)
{
  if (f == NULL)
    return;
  while (f->list != NULL)
    {
      struct fwd *next = f->list->next;

      free (f->list);
      f->list = next;
    }
  free (f);
}

static char *
finish_gen (yajl_gen g)
{
  const unsigned char *buf;
  size_t len;
  char *out = NULL;

  if (yajl_gen_get_buf (g, &buf, &len) == yajl_gen_status_ok)
    out = strndup ((const char *) buf, len);
  yajl_gen_free (g);
  return out;
}

static void
gen_str (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

static char *reply_error (const char *fmt, ...)
    __attribute__ ((format (printf, 1, 2)));

/* {"error":{"desc":"bad request: ..."}} */
static char *
reply_error (const char *fmt, ...)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  char *desc = NULL;
  va_list ap;

  if (g == NULL)
    return NULL;
  va_start (ap, fmt);
  if (vasprintf (&desc, fmt, ap) < 0)
    desc = NULL;
  va_end (ap);
  yajl_gen_map_open (g);
  gen_str (g, "error");
  yajl_gen_map_open (g);
  gen_str (g, "desc");
  gen_str (g, desc ? desc : "bad request");
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  free (desc);
  return finish_gen (g);
}

static const char *
get_string (yajl_val root, const char *key)
{
  const char *path[] = { "arguments", key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_string);

  return v ? YAJL_GET_STRING (v) : NULL;
}

/* An integer argument in [MIN, MAX], or -1. */
static long long
get_int (yajl_val root, const char *key, long long min, long long max)
{
  const char *path[] = { "arguments", key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_number);
  long long n;

  if (v == NULL)
    return -1;
  if (YAJL_IS_INTEGER (v))
    n = YAJL_GET_INTEGER (v);
  else if (YAJL_IS_DOUBLE (v)
           && YAJL_GET_DOUBLE (v) == (long long) YAJL_GET_DOUBLE (v))
    n = (long long) YAJL_GET_DOUBLE (v);
  else
    return -1;
  return n >= min && n <= max ? n : -1;
}

/* ADDR (or DEFAULT_ADDR when absent or empty) and PORT into OUT. */
static bool
parse_endpoint (const char *addr, int family, long long port, struct fwd *fwd,
                bool is_host)
{
  struct sockaddr_in *in = is_host ? &fwd->host.in : &fwd->guest.in;
  struct sockaddr_in6 *in6 = is_host ? &fwd->host.in6 : &fwd->guest.in6;

  if (family == AF_INET)
    {
      in->sin_family = AF_INET;
      in->sin_port = htons ((uint16_t) port);
      return inet_pton (AF_INET, addr, &in->sin_addr) == 1;
    }
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons ((uint16_t) port);
  return inet_pton (AF_INET6, addr, &in6->sin6_addr) == 1;
}

static socklen_t
addr_len (int family)
{
  return family == AF_INET ? sizeof (struct sockaddr_in)
                           : sizeof (struct sockaddr_in6);
}

/* The guest side: guest_addr, or the --configure address; for IPv6 "::",
   which libslirp resolves to the guest's address from its neighbour table
   at the first connection. */
static const char *
default_guest (const struct urun_hostfwds *f, int family, char *buf,
               size_t len)
{
  if (family == AF_INET6)
    return "::";
  return inet_ntop (AF_INET, &f->cfg->vguest, buf, (socklen_t) len);
}

/* arguments.mode: "slirp" or "splice"; absent, --port-mode says for TCP
   (UDP is libslirp's).  NULL or the error reply. */
static char *
parse_mode (const struct urun_hostfwds *f, yajl_val req, struct fwd *fwd)
{
  const char *path[] = { "arguments", "mode", NULL };
  yajl_val v = yajl_tree_get (req, path, yajl_t_any);
  const char *mode = YAJL_IS_STRING (v) ? YAJL_GET_STRING (v) : NULL;
  bool is_splice;

  if (v != NULL && (mode == NULL || (strcmp (mode, "slirp") != 0
                                     && strcmp (mode, "splice") != 0)))
    return reply_error ("bad request: add_hostfwd: bad arguments.mode "
                        "(\"slirp\" or \"splice\")");
  if (mode == NULL)
    is_splice = f->cfg->port_mode == URUN_PORT_MODE_SPLICE && !fwd->is_udp;
  else
    is_splice = strcmp (mode, "splice") == 0;
  if (!is_splice)
    return NULL;
  if (fwd->is_udp)
    return reply_error ("bad request: add_hostfwd: arguments.mode \"splice\" "
                        "forwards TCP only");
  if (f->splice == NULL)
    return reply_error ("bad request: add_hostfwd: arguments.mode \"splice\" "
                        "needs a PID or path target (not --netns-type=tapfd)");
  if (fwd->family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED (&fwd->guest.in6.sin6_addr))
    return reply_error ("bad request: add_hostfwd: arguments.mode \"splice\" "
                        "over IPv6 needs arguments.guest_addr");
  fwd->is_spliced = true;
  return NULL;
}

/* Fill FWD from the request; returns NULL or the error reply. */
static char *
parse_add (const struct urun_hostfwds *f, yajl_val req, struct fwd *fwd)
{
  const char *proto = get_string (req, "proto");
  const char *host = get_string (req, "host_addr");
  const char *guest = get_string (req, "guest_addr");
  long long hport = get_int (req, "host_port", 1, 65535);
  long long gport = get_int (req, "guest_port", 1, 65535);
  char buf[INET_ADDRSTRLEN];

  if (proto == NULL
      || (strcmp (proto, "tcp") != 0 && strcmp (proto, "udp") != 0))
    return reply_error ("bad request: add_hostfwd: bad arguments.proto");
  fwd->is_udp = strcmp (proto, "udp") == 0;
  if (host == NULL || host[0] == '\0')
    host = "0.0.0.0";
  fwd->family = strchr (host, ':') ? AF_INET6 : AF_INET;
  if (fwd->family == AF_INET6 && !f->cfg->is_ipv6)
    return reply_error ("bad request: add_hostfwd: IPv6 arguments.host_addr "
                        "needs --enable-ipv6");
  if (hport < 0 || !parse_endpoint (host, fwd->family, hport, fwd, true))
    return reply_error (hport < 0 ? "bad request: add_hostfwd: bad "
                                    "arguments.host_port"
                                  : "bad request: add_hostfwd: bad "
                                    "arguments.host_addr");
  if (guest == NULL || guest[0] == '\0')
    guest = default_guest (f, fwd->family, buf, sizeof buf);
  if ((strchr (guest, ':') ? AF_INET6 : AF_INET) != fwd->family)
    return reply_error ("bad request: add_hostfwd: arguments.host_addr and "
                        "arguments.guest_addr must be of one family");
  if (!parse_endpoint (guest, fwd->family, gport, fwd, false))
    return reply_error ("bad request: add_hostfwd: bad arguments.guest_addr");
  if (gport < 0)
    return reply_error ("bad request: add_hostfwd: bad arguments.guest_port");
  return parse_mode (f, req, fwd);
}

/* The fd the next socket(2) gets: the lowest free one (we are
   single-threaded, so nothing takes it in between), or -1. */
static int
lowest_free_fd (void)
{
  int fd = fcntl (STDERR_FILENO, F_DUPFD_CLOEXEC, 0);

  if (fd >= 0)
    close (fd);
  return fd;
}

/* libslirp 4.7 listens on a forwarded port with a backlog of 1
   (tcpx_listen()): a burst of clients overflows it and some are reset.  Its
   socket is FD (see lowest_free_fd()) when that is a listening socket bound
   to the forward's address; listen(2) again raises the backlog.  Anything
   else about FD and we leave it alone. */
static void
raise_backlog (int fd, const struct fwd *fwd)
{
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int is_listening = 0;
  socklen_t optlen = sizeof is_listening;

  if (fd < 0 || fwd->is_udp
      || getsockopt (fd, SOL_SOCKET, SO_ACCEPTCONN, &is_listening, &optlen) < 0
      || !is_listening || getsockname (fd, (struct sockaddr *) &ss, &len) < 0
      || len != addr_len (fwd->family) || memcmp (&ss, &fwd->host, len) != 0)
    return;
  listen (fd, SOMAXCONN);
}

static char *
reply_id (long long id)
{
  char *s = NULL;

  if (asprintf (&s, "{\"return\":{\"id\":%lld}}", id) < 0)
    return NULL;
  return s;
}

/* NULL or the error reply. */
static char *
add_slirp (struct urun_hostfwds *f, const struct fwd *fwd)
{
  int next_fd = lowest_free_fd ();

  if (slirp_add_hostxfwd (f->slirp, (struct sockaddr *) &fwd->host,
                          addr_len (fwd->family),
                          (struct sockaddr *) &fwd->guest,
                          addr_len (fwd->family),
                          (fwd->is_udp ? SLIRP_HOSTFWD_UDP : 0)
                              | (fwd->family == AF_INET6
                                     ? SLIRP_HOSTFWD_V6ONLY : 0)) < 0)
    return reply_error ("bad request: add_hostfwd: slirp_add_hostfwd "
                        "failed: %s", strerror (errno));
  raise_backlog (next_fd, fwd);
  return NULL;
}

/* NULL or the error reply. */
static char *
add_spliced (struct urun_hostfwds *f, struct fwd *fwd)
{
  struct urun_error err = URUN_ERROR_INIT;
  char *reply;

  fwd->splice_fd = urun_splice_add (f->splice, (struct sockaddr *) &fwd->host,
                                    (struct sockaddr *) &fwd->guest,
                                    addr_len (fwd->family), &err);
  if (fwd->splice_fd >= 0)
    return NULL;
  reply = reply_error ("bad request: add_hostfwd: %s failed: %s", err.msg,
                       strerror (err.errnum));
  urun_clear_error (&err);
  return reply;
}

static char *
add_hostfwd (struct urun_hostfwds *f, yajl_val req)
{
  struct fwd *fwd = calloc (1, sizeof *fwd), **tail;
  char *error;

  if (fwd == NULL)
    return NULL;
  error = parse_add (f, req, fwd);
  if (error == NULL)
    error = fwd->is_spliced ? add_spliced (f, fwd) : add_slirp (f, fwd);
  if (error != NULL)
    {
      free (fwd);
      return error;
    }
  fwd->id = f->next_id++;
  for (tail = &f->list; *tail != NULL; tail = &(*tail)->next)
    ;
  *tail = fwd;
  return reply_id (fwd->id);
}

/* An endpoint's address as text (BUF) and its port. */
static int
format_endpoint (int family, const void *sa, char *buf, size_t len)
{
  const struct sockaddr_in *in = sa;
  const struct sockaddr_in6 *in6 = sa;

  if (family == AF_INET)
    {
      inet_ntop (AF_INET, &in->sin_addr, buf, (socklen_t) len);
      return ntohs (in->sin_port);
    }
  inet_ntop (AF_INET6, &in6->sin6_addr, buf, (socklen_t) len);
  return ntohs (in6->sin6_port);
}

static void
gen_entry (yajl_gen g, const struct fwd *fwd)
{
  char host[INET6_ADDRSTRLEN], guest[INET6_ADDRSTRLEN];
  int hp = format_endpoint (fwd->family, &fwd->host, host, sizeof host);
  int gp = format_endpoint (fwd->family, &fwd->guest, guest, sizeof guest);

  yajl_gen_map_open (g);
  gen_str (g, "id");
  yajl_gen_integer (g, fwd->id);
  gen_str (g, "proto");
  gen_str (g, fwd->is_udp ? "udp" : "tcp");
  gen_str (g, "host_addr");
  gen_str (g, host);
  gen_str (g, "host_port");
  yajl_gen_integer (g, hp);
  gen_str (g, "guest_addr");
  gen_str (g, guest);
  gen_str (g, "guest_port");
  yajl_gen_integer (g, gp);
  gen_str (g, "mode");
  gen_str (g, fwd->is_spliced ? "splice" : "slirp");
  yajl_gen_map_close (g);
}

static void
gen_entries (yajl_gen g, const struct urun_hostfwds *f)
{
  gen_str (g, "entries");
  yajl_gen_array_open (g);
  for (const struct fwd *fwd = f->list; fwd != NULL; fwd = fwd->next)
    gen_entry (g, fwd);
  yajl_gen_array_close (g);
}

/* slirp4netns 1.x documents {"return":{"entries":[...]}} but sends
   {"entries":[...]}; clients exist for both, so we send both keys. */
static char *
list_hostfwd (struct urun_hostfwds *f)
{
  yajl_gen g = yajl_gen_alloc (NULL);

  if (g == NULL)
    return NULL;
  yajl_gen_map_open (g);
  gen_str (g, "return");
  yajl_gen_map_open (g);
  gen_entries (g, f);
  yajl_gen_map_close (g);
  gen_entries (g, f);
  yajl_gen_map_close (g);
  return finish_gen (g);
}

static char *
remove_hostfwd (struct urun_hostfwds *f, yajl_val req)
{
  long long id = get_int (req, "id", 1, f->next_id - 1);
  struct fwd **p = &f->list, *fwd;

  while (*p != NULL && (*p)->id != id)
    p = &(*p)->next;
  if (id < 0 || *p == NULL)
    return reply_error ("bad request: remove_hostfwd: bad arguments.id");
  fwd = *p;
  if (fwd->is_spliced)
    urun_splice_remove (f->splice, fwd->splice_fd);
  else if (slirp_remove_hostxfwd (f->slirp, (struct sockaddr *) &fwd->host,
                             addr_len (fwd->family),
                             fwd->is_udp ? SLIRP_HOSTFWD_UDP : 0) < 0)
    return reply_error ("bad request: remove_hostfwd: slirp_remove_hostfwd "
                        "failed");
  *p = fwd->next;
  free (fwd);
  return strdup ("{\"return\":{}}");
}

char *
urun_hostfwds_execute (struct urun_hostfwds *f, const char *req, size_t len)
{
  const char *path[] = { "execute", NULL };
  char errbuf[128];
  const char *cmd = NULL;
  yajl_val root, exec;
  char *reply;

  (void) len;
  root = yajl_tree_parse (req, errbuf, sizeof errbuf);
  if (root == NULL)
    return reply_error ("bad request: cannot parse JSON");
  exec = yajl_tree_get (root, path, yajl_t_string);
  if (exec != NULL)
    cmd = YAJL_GET_STRING (exec);
  if (!YAJL_IS_OBJECT (root))
    reply = reply_error ("bad request: json_object() failed");
  else if (cmd == NULL)
    reply = reply_error ("bad request: no execute found");
  else if (strcmp (cmd, "add_hostfwd") == 0)
    reply = add_hostfwd (f, root);
  else if (strcmp (cmd, "list_hostfwd") == 0)
    reply = list_hostfwd (f);
  else if (strcmp (cmd, "remove_hostfwd") == 0)
    reply = remove_hostfwd (f, root);
  else
    reply = reply_error ("bad request: unknown execute");
  yajl_tree_free (root);
  return reply;
}
