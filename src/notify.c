/* notify.c: the sd_notify relay — the container's notify socket, the relay
 * process that forwards what the container may say to $NOTIFY_SOCKET, and
 * waiting for READY=1. */
#define _GNU_SOURCE
#include "notify.h"

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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "sidecar.h"
#include "utils.h"

#ifndef P_PIDFD
#define P_PIDFD 3 /* waitid(2), Linux 5.4+; not in glibc 2.36's idtype_t */
#endif

/* In the state directory: the container's socket, the FIFO the relay writes
 * one byte to once READY=1 is forwarded, and "PID STARTTIME" of the relay. */
#define NOTIFY_SOCK "notify.sock"
#define NOTIFY_READY "notify-ready"
#define NOTIFY_RELAY "notify-relay"
/* Where the container finds it: runc's path, so images that expect it work. */
#define NOTIFY_TARGET "/run/notify/notify.sock"

/* systemd reads at most this much per message (NOTIFY_BUFFER_MAX, PIPE_BUF)
 * and drops longer ones; so do we. */
#define NOTIFY_MAX 4096

/* How long a manager gets to answer BARRIER=1, and a relay to finish once
 * its container is gone. */
#define BARRIER_TIMEOUT_MS 5000
#define RELAY_EXIT_TIMEOUT_MS 1000

/* $NOTIFY_SOCKET as an address: an absolute path, or "@name" in the abstract
 * namespace. sd_notify(3) knows nothing else but "vsock:" (systemd 253+,
 * for virtual machines), which a container's service has no use for. */
static int
parse_address (const char *s, struct sockaddr_un *sa, socklen_t *len,
               struct urun_error *err)
{
  size_t n = strlen (s);

  memset (sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  if ((s[0] != '/' && s[0] != '@') || n < 2)
    return urun_set_error (err, 0, "NOTIFY_SOCKET `%s`: expected a socket path or an @abstract name", s);
  if (n >= sizeof sa->sun_path)
    return urun_set_error (err, ENAMETOOLONG, "NOTIFY_SOCKET `%s`", s);
  memcpy (sa->sun_path, s, n);
  /* An abstract name is sun_path[0] = '\0' and exactly the bytes after it:
   * the address length counts no terminating NUL. unix(7) */
  if (s[0] == '@')
    sa->sun_path[0] = '\0';
  *len = (socklen_t) (offsetof (struct sockaddr_un, sun_path) + n);
  return 0;
}

/* Bind notify.sock in DIR_FD, through /proc/self/fd: a state directory can
 * be longer than the 108 bytes of sun_path. */
static int
bind_socket (int dir_fd, struct urun_notify *n, struct urun_error *err)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };

  n->socket_fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (n->socket_fd < 0)
    return urun_set_error (err, errno, "create notify socket");
  snprintf (sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", dir_fd, NOTIFY_SOCK);
  if (bind (n->socket_fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    return urun_set_error (err, errno, "bind `%s`", NOTIFY_SOCK);
  /* Sending to a path socket needs write permission on it, and the
   * container's user may be anyone (runc does the same). unix(7) */
  if (fchmodat (dir_fd, NOTIFY_SOCK, 0777, 0) < 0)
    return urun_set_error (err, errno, "chmod `%s`", NOTIFY_SOCK);
  if (mkfifoat (dir_fd, NOTIFY_READY, 0600) < 0)
    return urun_set_error (err, errno, "create `%s`", NOTIFY_READY);
  return 0;
}

/* A read-only bind of the socket alone (the FIFO and the relay's pid stay
 * out of reach). "ro" does not stop sending: connect(2) and sendto(2) need
 * write permission on the socket (unix(7)), and a read-only mount refuses
 * writes to files, directories and symlinks only (EROFS, open(2)). */
static int
add_mount (struct urun_spec *spec, int dir_fd, struct urun_error *err)
{
  static const char *const options[] = { "bind", "nosuid", "noexec", "nodev", "ro" };
  const size_t n_options = sizeof options / sizeof options[0];
  cleanup_free char *dir = urun_fd_path (dir_fd, err);
  struct urun_mount *m;

  if (dir == NULL)
    return -1;
  spec->mounts = xrealloc (spec->mounts, (spec->n_mounts + 1) * sizeof *spec->mounts);
  m = &spec->mounts[spec->n_mounts++];
  memset (m, 0, sizeof *m);
  m->destination = xstrdup (NOTIFY_TARGET);
  m->type = xstrdup ("bind");
  m->source = xasprintf ("%s/%s", dir, NOTIFY_SOCK);
  m->options = xmalloc0 ((n_options + 1) * sizeof (char *));
  for (size_t i = 0; i < n_options; i++)
    m->options[i] = xstrdup (options[i]);
  m->n_options = n_options;
  if (urun_process_set_env (&spec->process, "NOTIFY_SOCKET=" NOTIFY_TARGET) < 0)
    return urun_set_error (err, ENOMEM, "set NOTIFY_SOCKET in process.env");
  return 0;
}

int
urun_notify_prepare (int dir_fd, struct urun_spec *spec, struct urun_notify *n,
                     struct urun_error *err)
{
  const char *host = getenv ("NOTIFY_SOCKET");
  const struct urun_namespace *mnt = urun_spec_namespace (spec, URUN_NS_MOUNT);
  struct sockaddr_un sa;
  socklen_t len;

  if (host == NULL || *host == '\0')
    return 0;
  if (parse_address (host, &sa, &len, err) < 0)
    return -1;
  if (mnt == NULL || mnt->path != NULL)
    {
      urun_warn ("NOTIFY_SOCKET: the container %s%s, where urun mounts nothing; not relaying",
                 mnt ? "joins the mount namespace " : "has no mount namespace of its own",
                 mnt ? mnt->path : "");
      return 0;
    }
  if (bind_socket (dir_fd, n, err) < 0 || add_mount (spec, dir_fd, err) < 0)
    return urun_wrap_error (err, "set up NOTIFY_SOCKET");
  n->host = xstrdup (host);
  return 0;
}

/* ---------------------------------------------------------------------- */
/* What passes: an allow-list, so that nothing systemd adds later can steer
 * the host's manager from inside. Dropped are, among others, MAINPID= (we
 * say which pid), NOTIFYACCESS=, FDSTORE=1/FDSTOREREMOVE=1/FDNAME=/FDPOLL=
 * (file descriptors of the container in the manager), BARRIER=1 (answered
 * below), WATCHDOG_USEC= and WATCHDOG=trigger, EXIT_STATUS=. sd_notify(3) */

static bool
is_number (const char *s, size_t n)
{
  if (n == 0 || n > 20)
    return false;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

static bool
has_prefix (const char *line, size_t n, const char *prefix, size_t *value)
{
  size_t len = strlen (prefix);

  if (n < len || memcmp (line, prefix, len) != 0)
    return false;
  *value = len;
  return true;
}

static bool
is_allowed (const char *line, size_t n)
{
  static const char *const flags[] = { "READY=1", "RELOADING=1", "STOPPING=1", "WATCHDOG=1" };
  static const char *const numbers[] = { "ERRNO=", "MONOTONIC_USEC=", "EXTEND_TIMEOUT_USEC=" };
  static const char *const texts[] = { "STATUS=", "BUSERROR=" };
  size_t v;

  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
    if (n == strlen (flags[i]) && memcmp (line, flags[i], n) == 0)
      return true;
  for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
    if (has_prefix (line, n, numbers[i], &v))
      return is_number (line + v, n - v);
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
    if (has_prefix (line, n, texts[i], &v))
      return true;
  return false;
}

static void
append_line (char *out, size_t out_size, size_t *o, const char *line, size_t n)
{
  size_t sep = *o > 0 ? 1 : 0;

  if (*o + sep + n >= out_size)
    return;
  if (sep)
    out[(*o)++] = '\n';
  memcpy (out + *o, line, n);
  *o += n;
  out[*o] = '\0';
}

/* MSG without what is not allowed, lines joined by '\n', and MAINPID after
 * READY=1; NUL-terminated in OUT. Returns the length, 0: nothing left. */
static size_t
filter_message (const char *msg, size_t len, pid_t main_pid, char *out,
                size_t out_size, bool *is_ready)
{
  const char *end = msg + len;
  char mainpid[32];
  size_t o = 0;

  *is_ready = false;
  if (out_size == 0)
    return 0;
  out[0] = '\0';
  /* systemd refuses a message with a NUL in it; so do we. */
  if (memchr (msg, '\0', len) != NULL)
    return 0;
  for (const char *p = msg; p < end;)
    {
      const char *nl = memchr (p, '\n', (size_t) (end - p));
      size_t n = (size_t) ((nl ? nl : end) - p);

      if (is_allowed (p, n))
        {
          append_line (out, out_size, &o, p, n);
          *is_ready = *is_ready || (n == 7 && memcmp (p, "READY=1", 7) == 0);
        }
      p += n + 1;
    }
  if (*is_ready)
    {
      int w = snprintf (mainpid, sizeof mainpid, "MAINPID=%d", (int) main_pid);
      append_line (out, out_size, &o, mainpid, (size_t) w);
    }
  return o;
}

/* ---------------------------------------------------------------------- */
/* The relay. Runs in: a fork of urun, in its own session, outside the
 * container, with the caller's credentials and cgroup — for the manager it
 * is one more process of the service, which is why the unit needs
 * NotifyAccess=all and why READY=1 carries MAINPID. */

struct relay
{
  int socket_fd;  /* notify.sock */
  int pidfd;      /* the container's process */
  int ready_fd;   /* notify-ready, write end */
  int host_fd;    /* unbound datagram socket towards HOST */
  struct sockaddr_un host;
  socklen_t host_len;
  pid_t main_pid;
  bool sent_ready;
};

static void
send_host (struct relay *r, const char *msg, size_t len, int pass_fd)
{
  struct iovec iov = { .iov_base = (void *) msg, .iov_len = len };
  union
  {
    struct cmsghdr h;
    char buf[CMSG_SPACE (sizeof (int))];
  } ctl = { 0 };
  struct msghdr mh = { .msg_name = &r->host, .msg_namelen = r->host_len,
                       .msg_iov = &iov, .msg_iovlen = 1 };

  if (pass_fd >= 0)
    {
      mh.msg_control = ctl.buf;
      mh.msg_controllen = sizeof ctl.buf;
      CMSG_FIRSTHDR (&mh)->cmsg_level = SOL_SOCKET;
      CMSG_FIRSTHDR (&mh)->cmsg_type = SCM_RIGHTS;
      CMSG_FIRSTHDR (&mh)->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (CMSG_FIRSTHDR (&mh)), &pass_fd, sizeof (int));
    }
  /* No credentials to attach: with SO_PASSCRED on its socket the manager
   * gets ours (pid, uid, gid) from the kernel. A failure (no manager, a
   * full queue past SO_SNDTIMEO) loses the message, as sd_notify would. */
  while (sendmsg (r->host_fd, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR)
    ;
}

/* sd_notify_barrier(3): the manager closes the fd sent with BARRIER=1 once
 * it has processed every earlier message, so READY=1 and MAINPID are taken
 * before `run -d` or `start` returns (runc waits the same way). */
static void
barrier (struct relay *r)
{
  int p[2];
  struct pollfd pfd;

  if (pipe2 (p, O_CLOEXEC) < 0)
    return;
  send_host (r, "BARRIER=1", 9, p[1]);
  close (p[1]);
  pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
  while (poll (&pfd, 1, BARRIER_TIMEOUT_MS) < 0 && errno == EINTR)
    ;
  close (p[0]);
}

/* Forward one datagram; 0 when there was none. File descriptors sent with
 * it (FDSTORE=1, the container's own BARRIER=1) are closed by the kernel, as
 * recv(2) is given no room for them; unix(7) "SCM_RIGHTS". Closing the
 * barrier's fd answers it: everything before was forwarded already. */
static int
relay_one (struct relay *r)
{
  char msg[NOTIFY_MAX + 1], out[NOTIFY_MAX + 64];
  bool is_ready = false;
  ssize_t n = recv (r->socket_fd, msg, sizeof msg, MSG_DONTWAIT | MSG_TRUNC);
  size_t len;

  if (n < 0)
    return errno == EINTR ? 1 : 0;
  /* MSG_TRUNC makes recv return the real length of a longer one. */
  if ((size_t) n >= sizeof msg)
    return 1;
  len = filter_message (msg, (size_t) n, r->main_pid, out, sizeof out, &is_ready);
  if (len > 0)
    send_host (r, out, len, -1);
  if (is_ready && !r->sent_ready)
    {
      barrier (r);
      r->sent_ready = urun_write_all (r->ready_fd, "1", 1) == 0;
    }
  return 1;
}

/* Only what the relay needs stays open: an inherited state directory fd
 * would hold its flock(2) for the container's lifetime. */
static void
close_other_fds (const int *keep, size_t n)
{
  unsigned int from = 3;
  int sorted[4];

  memcpy (sorted, keep, n * sizeof (int));
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && sorted[j - 1] > sorted[j]; j--)
      {
        int t = sorted[j];
        sorted[j] = sorted[j - 1];
        sorted[j - 1] = t;
      }
  for (size_t i = 0; i < n; i++)
    {
      if ((unsigned int) sorted[i] > from)
        close_range (from, (unsigned int) sorted[i] - 1, 0);
      from = (unsigned int) sorted[i] + 1;
    }
  close_range (from, ~0U, 0);
}

/* A daemon of its own: no terminal, no signal mask from `run`, stdio on
 * /dev/null (a caller reading urun's output must not wait for the relay). */
static void
become_daemon (struct relay *r)
{
  int keep[] = { r->socket_fd, r->pidfd, r->ready_fd };
  int null_fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  struct timeval timeout = { .tv_sec = BARRIER_TIMEOUT_MS / 1000 };
  sigset_t none;

  /* Out of the way of stdio: urun may have been started with 0-2 closed. */
  for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
    if (keep[i] < 3)
      keep[i] = fcntl (keep[i], F_DUPFD_CLOEXEC, 3);
  r->socket_fd = keep[0];
  r->pidfd = keep[1];
  r->ready_fd = keep[2];
  setsid ();
  prctl (PR_SET_NAME, "urun-notify", 0, 0, 0);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  for (int fd = 0; fd < 3 && null_fd >= 0; fd++)
    dup2 (null_fd, fd);
  close_other_fds (keep, sizeof keep / sizeof keep[0]);
  r->host_fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (r->host_fd < 0)
    _exit (1);
  setsockopt (r->host_fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
}

__attribute__ ((noreturn)) static void
relay_main (struct relay *r)
{
  struct pollfd pfds[2];

  become_daemon (r);
  pfds[0] = (struct pollfd){ .fd = r->socket_fd, .events = POLLIN };
  pfds[1] = (struct pollfd){ .fd = r->pidfd, .events = POLLIN };
  for (;;)
    {
      if (poll (pfds, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          _exit (1);
        }
      if (pfds[0].revents & POLLIN)
        relay_one (r);
      /* A pidfd polls readable once the process has exited (pidfd_open(2),
       * Linux 5.3+): pass on what it sent last (STOPPING=1), then go. */
      if (pfds[1].revents & POLLIN)
        {
          while (relay_one (r) > 0)
            ;
          _exit (0);
        }
    }
}

/* ---------------------------------------------------------------------- */
/* Managing the relay from urun. */

static int
fork_relay (struct relay *r, struct urun_notify *n, struct urun_error *err)
{
  pid_t pid = fork ();

  if (pid < 0)
    return urun_set_error (err, errno, "fork the notify relay");
  if (pid == 0)
    relay_main (r);
  n->relay_pidfd = pidfd_open (pid, 0);
  if (n->relay_pidfd < 0)
    {
      int saved = errno;
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      return urun_set_error (err, saved, "open pidfd of the notify relay");
    }
  n->is_armed = true;
  return (int) pid;
}

int
urun_notify_start_relay (int dir_fd, struct urun_notify *n, pid_t container,
                         pid_t main_pid, struct urun_error *err)
{
  struct relay r = { .socket_fd = n->socket_fd, .main_pid = main_pid, .host_fd = -1 };
  cleanup_close int pidfd = -1;
  cleanup_close int ready_w = -1;
  int pid;

  if (n->host == NULL)
    return 0;
  if (parse_address (n->host, &r.host, &r.host_len, err) < 0)
    return -1;
  pidfd = pidfd_open (container, 0);
  if (pidfd < 0)
    return urun_set_error (err, errno, "open pidfd of pid %d", (int) container);
  /* Read-write: opening a FIFO so never blocks, and its pipe (with the byte
   * in it) lives as long as the relay holds it. fifo(7) */
  ready_w = openat (dir_fd, NOTIFY_READY, O_RDWR | O_CLOEXEC);
  n->ready_fd = openat (dir_fd, NOTIFY_READY, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (ready_w < 0 || n->ready_fd < 0)
    return urun_set_error (err, errno, "open `%s`", NOTIFY_READY);
  r.pidfd = pidfd;
  r.ready_fd = ready_w;
  pid = fork_relay (&r, n, err);
  if (pid < 0)
    return -1;
  close (TAKE_FD (n->socket_fd));
  urun_debug ("notify relay: pid %d, READY=1 goes to `%s` with MAINPID=%d", pid, n->host,
              (int) main_pid);
  return urun_sidecar_record (dir_fd, NOTIFY_RELAY, (pid_t) pid, err);
}

int
urun_notify_open (int dir_fd, struct urun_notify *n, struct urun_error *err)
{
  n->relay_pidfd = urun_sidecar_open (dir_fd, NOTIFY_RELAY);
  if (n->relay_pidfd < 0 && errno == ENOENT)
    return 0;
  if (n->relay_pidfd < 0)
    return urun_set_error (err, errno == ESRCH ? 0 : errno,
                           "the notify relay of the container is gone");
  n->ready_fd = openat (dir_fd, NOTIFY_READY, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (n->ready_fd < 0)
    return urun_set_error (err, errno, "open `%s`", NOTIFY_READY);
  return 0;
}

int
urun_notify_wait_ready (struct urun_notify *n, struct urun_error *err)
{
  struct pollfd pfds[2] = {
    { .fd = n->ready_fd, .events = POLLIN },
    { .fd = n->relay_pidfd, .events = POLLIN },
  };
  char byte;

  if (n->ready_fd < 0)
    return 0;
  for (;;)
    {
      if (read (n->ready_fd, &byte, 1) == 1)
        return 0;
      /* Read once more after the relay went: it may have written first. */
      if (pfds[1].revents & POLLIN)
        return urun_set_error (err, 0, "the container exited before it sent READY=1 to NOTIFY_SOCKET");
      if (poll (pfds, 2, -1) < 0 && errno != EINTR)
        return urun_set_error (err, errno, "wait for READY=1");
    }
}

void
urun_notify_stop_relay (int dir_fd)
{
  cleanup_close int pidfd = urun_sidecar_open (dir_fd, NOTIFY_RELAY);

  if (pidfd >= 0)
    urun_sidecar_stop (pidfd, 0, RELAY_EXIT_TIMEOUT_MS);
}

void
urun_notify_release (struct urun_notify *n)
{
  if (n->is_armed && n->relay_pidfd >= 0)
    urun_sidecar_stop (n->relay_pidfd, 0, RELAY_EXIT_TIMEOUT_MS);
  if (n->relay_pidfd >= 0)
    close (n->relay_pidfd);
  if (n->ready_fd >= 0)
    close (n->ready_fd);
  if (n->socket_fd >= 0)
    close (n->socket_fd);
  free (n->host);
  *n = (struct urun_notify) URUN_NOTIFY_INIT;
}
