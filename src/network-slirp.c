/* network-slirp.c: the urun-slirp helper of a container — started for its
 * network namespace, its ports added through the API socket, stopped with
 * the container. In the state directory: slirp.sock (the API), slirp.log
 * (the helper's output) and slirp.pid ("PID STARTTIME" for `delete`). */
#define _GNU_SOURCE
#include "network.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "cleanup.h"
#include "log.h"
#include "sidecar.h"
#include "utils.h"

#ifndef P_PIDFD
#define P_PIDFD 3 /* waitid(2), Linux 5.4+; not in glibc 2.36's idtype_t */
#endif

#define SLIRP_SOCK "slirp.sock"
#define SLIRP_LOG "slirp.log"
#define SLIRP_PID "slirp.pid"
/* The helper's fd for --ready-fd. */
#define READY_FD 3
/* urun-slirp is ready in milliseconds; a stuck one fails `create`. */
#define READY_TIMEOUT_MS 10000
#define API_TIMEOUT_S 5
#define STOP_TIMEOUT_MS 1000
#define MAX_REPLY 4096

/* ---------------------------------------------------------------------- */
/* The helper process. */

struct launch
{
  char *argv[20];
  int argc;
  int log_fd;
  int ready_w;
  int dir_fd;
  int exec_err_w; /* close-on-exec: tells an exec failure from a start */
};

static void
add_arg (struct launch *l, char *arg)
{
  if (l->argc < (int) (sizeof l->argv / sizeof l->argv[0]) - 1)
    l->argv[l->argc++] = arg;
}

/* As podman starts slirp4netns for a pid (libpod/networking_slirp4netns.go):
 * --configure, --mtu, the sandbox and the seccomp filter, PID tap0. The
 * helper's cwd is the state directory: an API socket path too long for
 * sun_path (108 bytes, unix(7)) is given relative to it. */
static void
build_argv (struct launch *l, const char *helper, const struct urun_network *net,
            const char *dir, pid_t container)
{
  cleanup_free char *sock = xasprintf ("%s/%s", dir, SLIRP_SOCK);

  add_arg (l, xstrdup (helper));
  add_arg (l, xstrdup ("--configure"));
  add_arg (l, xasprintf ("--ready-fd=%d", READY_FD));
  add_arg (l, xasprintf ("--mtu=%u", net->mtu));
  if (net->cidr[0])
    add_arg (l, xasprintf ("--cidr=%s", net->cidr));
  if (net->is_host_loopback_disabled)
    add_arg (l, xstrdup ("--disable-host-loopback"));
  if (net->is_ipv6)
    add_arg (l, xstrdup ("--enable-ipv6"));
  if (net->is_port_spliced)
    add_arg (l, xstrdup ("--port-mode=splice"));
  add_arg (l, xstrdup ("--enable-sandbox"));
  add_arg (l, xstrdup ("--enable-seccomp"));
  add_arg (l, xstrdup ("--api-socket"));
  add_arg (l, strlen (sock) < sizeof ((struct sockaddr_un *) 0)->sun_path
                  ? TAKE_PTR (sock) : xstrdup (SLIRP_SOCK));
  add_arg (l, xasprintf ("%d", (int) container));
  add_arg (l, xstrdup ("tap0"));
}

static void
free_launch (struct launch *l)
{
  for (int i = 0; i < l->argc; i++)
    free (l->argv[i]);
}

/* FD moved to 10 or above, so that setting up 0-3 cannot overwrite it. */
static int
move_high (int fd)
{
  return fd >= 0 && fd < 10 ? fcntl (fd, F_DUPFD, 10) : fd;
}

/* Runs in: the forked helper, before execve. A session of its own (no
 * terminal signals from the caller's shell), stdout and stderr to the log
 * (a caller reading urun's output must not wait for it), nothing else of
 * urun's open: an inherited state directory fd would hold its flock(2). */
__attribute__ ((noreturn)) static void
exec_helper (struct launch *l)
{
  int null_fd = move_high (open ("/dev/null", O_RDWR));
  int log_fd = move_high (l->log_fd);
  int ready = move_high (l->ready_w);
  int exec_err = move_high (l->exec_err_w);
  sigset_t none;
  int saved;

  setsid ();
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  if (null_fd < 0 || log_fd < 0 || ready < 0 || exec_err < 0 || fchdir (l->dir_fd) < 0
      || dup2 (null_fd, 0) < 0 || dup2 (log_fd, 1) < 0 || dup2 (log_fd, 2) < 0
      || dup2 (ready, READY_FD) < 0)
    saved = errno;
  else
    {
      fcntl (exec_err, F_SETFD, FD_CLOEXEC);
      close_range (READY_FD + 1, (unsigned int) exec_err - 1, 0);
      close_range ((unsigned int) exec_err + 1, ~0U, 0);
      execv (l->argv[0], l->argv);
      saved = errno;
    }
  if (write (exec_err, &saved, sizeof saved) < 0)
    _exit (126);
  _exit (127);
}

/* The last line the helper wrote ("urun-slirp: ..."), for the error. */
static char *
last_log_line (int dir_fd)
{
  struct urun_error ignored = URUN_ERROR_INIT;
  cleanup_free char *text = NULL;
  size_t len = 0;
  char *line;

  if (urun_read_file_at (dir_fd, SLIRP_LOG, &text, &len, &ignored) < 0)
    {
      urun_clear_error (&ignored);
      return xstrdup ("no log");
    }
  while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
    text[--len] = '\0';
  line = memrchr (text, '\n', len);
  return xstrdup (len == 0 ? "it printed nothing" : line ? line + 1 : text);
}

/* Fork and exec; returns the helper's pidfd (H arms it). */
static int
spawn_helper (struct launch *l, struct urun_network_helper *h, struct urun_error *err)
{
  cleanup_close int exec_err_r = -1;
  int fds[2], saved = 0;
  pid_t pid;

  if (pipe2 (fds, O_CLOEXEC) < 0)
    return urun_set_error (err, errno, "create a pipe");
  exec_err_r = fds[0];
  l->exec_err_w = fds[1];
  pid = fork ();
  if (pid < 0)
    {
      close (l->exec_err_w);
      return urun_set_error (err, errno, "fork");
    }
  if (pid == 0)
    exec_helper (l);
  close (l->exec_err_w);
  h->pidfd = pidfd_open (pid, 0);
  if (h->pidfd < 0)
    {
      saved = errno;
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      return urun_set_error (err, saved, "open pidfd of pid %d", (int) pid);
    }
  h->is_armed = true;
  /* EOF: execve succeeded and closed the pipe. */
  if (read (exec_err_r, &saved, sizeof saved) == (ssize_t) sizeof saved)
    return urun_set_error (err, saved, "execute `%s`", l->argv[0]);
  return (int) pid;
}

/* Until the helper writes "1" to its ready fd; its exit first fails, with
 * the last line of its log. */
static int
wait_ready (int ready_r, const struct urun_network_helper *h, int dir_fd,
            struct urun_error *err)
{
  struct pollfd pfds[2] = { { .fd = ready_r, .events = POLLIN },
                            { .fd = h->pidfd, .events = POLLIN } };
  cleanup_free char *why = NULL;
  char byte = 0;
  int n;

  do
    n = poll (pfds, 2, READY_TIMEOUT_MS);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return urun_set_error (err, errno, "wait for the helper");
  if (n == 0)
    return urun_set_error (err, ETIMEDOUT, "wait for the helper to be ready (%d ms)", READY_TIMEOUT_MS);
  if ((pfds[0].revents & POLLIN) && read (ready_r, &byte, 1) == 1 && byte == '1')
    return 0;
  why = last_log_line (dir_fd);
  return urun_set_error (err, 0, "the helper exited before it was ready: %s", why);
}

/* ---------------------------------------------------------------------- */
/* The API socket: one request per connection, as with slirp4netns. */

static int
connect_api (int dir_fd, struct urun_error *err)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  struct timeval timeout = { .tv_sec = API_TIMEOUT_S };
  cleanup_close int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return urun_set_error (err, errno, "create a socket");
  /* Through /proc/self/fd: the state directory may be longer than sun_path. */
  snprintf (sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", dir_fd, SLIRP_SOCK);
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    return urun_set_error (err, errno, "connect to `%s`", SLIRP_SOCK);
  return TAKE_FD (fd);
}

/* Send REQUEST, read the whole reply (the helper closes after it). */
static int
api_call (int dir_fd, const char *request, char *reply, size_t size,
          struct urun_error *err)
{
  cleanup_close int fd = connect_api (dir_fd, err);
  size_t len = 0;
  ssize_t n;

  if (fd < 0)
    return -1;
  if (urun_write_all (fd, request, strlen (request)) < 0 || shutdown (fd, SHUT_WR) < 0)
    return urun_set_error (err, errno, "send to `%s`", SLIRP_SOCK);
  while (len < size - 1 && (n = read (fd, reply + len, size - 1 - len)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return urun_set_error (err, errno, "read the reply of `%s`", SLIRP_SOCK);
      len += (size_t) n;
    }
  reply[len] = '\0';
  return 0;
}

/* {"return": {...}} is success; {"error": {"desc": "..."}} is not. */
static int
check_reply (const char *reply, struct urun_error *err)
{
  const char *ret_path[] = { "return", NULL };
  const char *desc_path[] = { "error", "desc", NULL };
  yajl_val root = yajl_tree_parse (reply, NULL, 0);
  yajl_val desc = root ? yajl_tree_get (root, desc_path, yajl_t_string) : NULL;
  bool is_ok = root && yajl_tree_get (root, ret_path, yajl_t_object) != NULL;

  if (!is_ok)
    urun_set_error (err, 0, "the helper answered `%s`", desc ? YAJL_GET_STRING (desc) : reply);
  yajl_tree_free (root);
  return is_ok ? 0 : -1;
}

static int
add_port (int dir_fd, const struct urun_port *p, struct urun_error *err)
{
  char reply[MAX_REPLY];
  cleanup_free char *request
      = xasprintf ("{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": \"%s\", "
                   "\"host_addr\": \"%s\", \"host_port\": %u, \"guest_port\": %u}}",
                   p->is_udp ? "udp" : "tcp", p->host_addr[0] ? p->host_addr : "0.0.0.0",
                   p->host_port, p->guest_port);

  if (api_call (dir_fd, request, reply, sizeof reply, err) < 0 || check_reply (reply, err) < 0)
    return urun_wrap_error (err, URUN_PORTS_ANNOTATION ": forward %s%s%u to %u/%s", p->host_addr,
                            p->host_addr[0] ? ":" : "", p->host_port, p->guest_port,
                            p->is_udp ? "udp" : "tcp");
  return 0;
}

/* ---------------------------------------------------------------------- */

/* Start it and wait until it is ready; the helper is recorded first, so a
 * `delete --force` after a urun killed meanwhile still finds it. */
static int
start_helper (const char *helper, const struct urun_network *net, int dir_fd,
              pid_t container, struct urun_network_helper *h, struct urun_error *err)
{
  __attribute__ ((cleanup (free_launch))) struct launch l = { .dir_fd = dir_fd };
  cleanup_close int log_fd = -1;
  cleanup_close int ready_r = -1;
  cleanup_free char *dir = urun_fd_path (dir_fd, err);
  int fds[2], pid;

  if (dir == NULL)
    return -1;
  log_fd = openat (dir_fd, SLIRP_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0)
    return urun_set_error (err, errno, "create `%s`", SLIRP_LOG);
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return urun_set_error (err, errno, "create a pipe");
  ready_r = fds[0];
  l.ready_w = fds[1];
  l.log_fd = log_fd;
  build_argv (&l, helper, net, dir, container);
  pid = spawn_helper (&l, h, err);
  close (l.ready_w);
  if (pid < 0 || urun_sidecar_record (dir_fd, SLIRP_PID, pid, err) < 0)
    return -1;
  urun_debug ("network: %s (pid %d) for the namespace of pid %d", helper, pid, (int) container);
  return wait_ready (ready_r, h, dir_fd, err);
}

int
urun_network_start (const struct urun_spec *spec, int dir_fd, pid_t container,
                     struct urun_network_helper *h, struct urun_error *err)
{
  __attribute__ ((cleanup (urun_network_free))) struct urun_network net = { 0 };
  cleanup_free char *helper = NULL;

  if (urun_network_parse (spec, &net, err) < 0)
    return -1;
  if (!net.is_slirp)
    return 0;
  helper = urun_network_find_helper (err);
  if (helper == NULL || start_helper (helper, &net, dir_fd, container, h, err) < 0)
    return urun_wrap_error (err, "network: start `%s`", helper ? helper : "urun-slirp");
  for (size_t i = 0; i < net.n_ports; i++)
    if (add_port (dir_fd, &net.ports[i], err) < 0)
      return urun_wrap_error (err, "network");
  return 0;
}

void
urun_network_stop (int dir_fd)
{
  cleanup_close int pidfd = urun_sidecar_open (dir_fd, SLIRP_PID);

  if (pidfd >= 0)
    urun_sidecar_stop (pidfd, SIGTERM, STOP_TIMEOUT_MS);
}

void
urun_network_release (struct urun_network_helper *h)
{
  if (h->is_armed && h->pidfd >= 0)
    urun_sidecar_stop (h->pidfd, SIGTERM, STOP_TIMEOUT_MS);
  if (h->pidfd >= 0)
    close (h->pidfd);
  *h = (struct urun_network_helper) URUN_NETWORK_HELPER_INIT;
}
