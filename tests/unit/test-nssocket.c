/* test-nssocket.c: the sockets urun-slirp's namespace child hands over for
   spliced forwards (helpers/urun-slirp/nssocket.c).  The child lives in the
   container's user namespace, so the helper takes from it only what it
   asked for: a TCP socket of the family it named.  Here the child is forked
   from this test, once honest (urun_nssocket_serve itself) and then as a
   hostile one that answers with other descriptors, several of them, or
   nothing; none may be accepted and none may stay open in the helper. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"
#include "nssocket.h"
#include "tap.h"

/* How a hostile child answers one request. */
enum answer
{
  ANSWER_PIPE,       /* errnum 0 and a pipe */
  ANSWER_UDP,        /* errnum 0 and a UDP socket */
  ANSWER_WRONG_FAMILY, /* an IPv6 TCP socket for an IPv4 request */
  ANSWER_MANY,       /* errnum 0 and three descriptors, a TCP socket first */
  ANSWER_NO_FD,      /* errnum 0 and no descriptor */
  ANSWER_EXIT,       /* no answer: the child is gone */
};

static int
count_fds (void)
{
  int n = 0;

  for (int fd = 0; fd < 1024; fd++)
    if (fcntl (fd, F_GETFD) >= 0)
      n++;
  return n;
}

static void __attribute__ ((noreturn))
hostile_child (int sock, enum answer answer)
{
  int family, fd, zero = 0, p[2] = { -1, -1 };
  char cbuf[CMSG_SPACE (3 * sizeof (int))];
  struct iovec iov = { &zero, sizeof zero };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  struct cmsghdr *cmsg;
  int fds[3];

  if (urun_recv_fd (sock, &family, sizeof family, &fd) <= 0)
    _exit (1);
  switch (answer)
    {
    case ANSWER_PIPE:
      if (pipe (p) < 0)
        _exit (1);
      urun_send_fd (sock, p[0], &zero, sizeof zero);
      break;
    case ANSWER_UDP:
      urun_send_fd (sock, socket (AF_INET, SOCK_DGRAM, 0), &zero,
                    sizeof zero);
      break;
    case ANSWER_WRONG_FAMILY:
      urun_send_fd (sock, socket (AF_INET6, SOCK_STREAM, 0), &zero,
                    sizeof zero);
      break;
    case ANSWER_MANY:
      fds[0] = socket (AF_INET, SOCK_STREAM, 0);
      fds[1] = socket (AF_INET, SOCK_STREAM, 0);
      fds[2] = open ("/dev/null", O_RDONLY);
      memset (cbuf, 0, sizeof cbuf);
      cmsg = CMSG_FIRSTHDR (&msg);
      cmsg->cmsg_level = SOL_SOCKET;
      cmsg->cmsg_type = SCM_RIGHTS;
      cmsg->cmsg_len = CMSG_LEN (sizeof fds);
      memcpy (CMSG_DATA (cmsg), fds, sizeof fds);
      sendmsg (sock, &msg, 0);
      break;
    case ANSWER_NO_FD:
      urun_send_fd (sock, -1, &zero, sizeof zero);
      break;
    case ANSWER_EXIT:
      break;
    }
  _exit (0);
}

/* A child that answers like ANSWER; the parent's end in NS. */
static void
start_child (struct urun_nssocket *ns, int answer, bool is_honest)
{
  struct urun_slirp_config cfg;
  pid_t parent = getpid ();
  int sv[2];

  memset (&cfg, 0, sizeof cfg);
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    abort ();
  ns->pid = fork ();
  if (ns->pid == 0)
    {
      close (sv[0]);
      if (is_honest)
        urun_nssocket_serve (sv[1], parent, &cfg);
      hostile_child (sv[1], (enum answer) answer);
    }
  close (sv[1]);
  ns->sock = sv[0];
}

static int
socket_domain (int fd)
{
  int domain = -1;
  socklen_t len = sizeof domain;

  getsockopt (fd, SOL_SOCKET, SO_DOMAIN, &domain, &len);
  return domain;
}

static void
test_honest (void)
{
  struct urun_error err = URUN_ERROR_INIT;
  struct urun_nssocket ns;
  int fd, flags;
  pid_t pid;

  start_child (&ns, 0, true);
  pid = ns.pid;
  fd = urun_nssocket_make (&ns, AF_INET, &err);
  flags = fd >= 0 ? fcntl (fd, F_GETFL) : 0;
  tap_ok (fd >= 0 && socket_domain (fd) == AF_INET && (flags & O_NONBLOCK)
              && (fcntl (fd, F_GETFD) & FD_CLOEXEC),
          "an IPv4 request gets a non-blocking, close-on-exec IPv4 socket");
  if (fd >= 0)
    close (fd);
  fd = urun_nssocket_make (&ns, AF_INET6, &err);
  tap_ok (fd >= 0 && socket_domain (fd) == AF_INET6,
          "an IPv6 request gets an IPv6 socket");
  if (fd >= 0)
    close (fd);
  fd = urun_nssocket_make (&ns, AF_UNIX, &err);
  tap_ok (fd < 0 && err.errnum == EAFNOSUPPORT,
          "the child makes nothing but IPv4 and IPv6 (%s)",
          err.msg ? err.msg : "no error");
  urun_clear_error (&err);
  urun_nssocket_release (&ns);
  tap_ok (ns.sock == -1 && ns.pid == 0 && kill (pid, 0) < 0 && errno == ESRCH,
          "release ends and reaps the child");
}

static void
test_hostile (enum answer answer, const char *what)
{
  struct urun_error err = URUN_ERROR_INIT;
  struct urun_nssocket ns;
  int before, fd;

  start_child (&ns, answer, false);
  before = count_fds ();
  fd = urun_nssocket_make (&ns, AF_INET, &err);
  if (answer == ANSWER_MANY)
    {
      /* The first is what was asked for; the others must be closed. */
      tap_ok (fd >= 0 && count_fds () == before + 1,
              "%s: the first is taken, the others closed", what);
      if (fd >= 0)
        close (fd);
    }
  else
    tap_ok (fd < 0 && err.msg != NULL && count_fds () == before,
            "%s: refused, nothing left open (%s)", what,
            err.msg ? err.msg : "accepted");
  urun_clear_error (&err);
  urun_nssocket_release (&ns);
}

int
main (void)
{
  signal (SIGPIPE, SIG_IGN);
  test_honest ();
  test_hostile (ANSWER_PIPE, "a pipe instead of a socket");
  test_hostile (ANSWER_UDP, "a UDP socket");
  test_hostile (ANSWER_WRONG_FAMILY, "an IPv6 socket for an IPv4 request");
  test_hostile (ANSWER_MANY, "three descriptors in one answer");
  test_hostile (ANSWER_NO_FD, "success without a descriptor");
  test_hostile (ANSWER_EXIT, "a child that exits without answering");
  return tap_done ();
}
