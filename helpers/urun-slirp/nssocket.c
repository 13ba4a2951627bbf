/* nssocket.c: the namespace child's second job (see nssocket.h).  One
   request, one reply: the parent sends the address family, the child
   answers with 0 and the socket as SCM_RIGHTS, or with an errno.  The
   child lives in the container's user namespace, where it would hold every
   capability: it drops them all, sets no_new_privs and, with
   --enable-seccomp, keeps only the four system calls of its loop. */
#define _GNU_SOURCE
#include "nssocket.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"
#include "sandbox.h"
#include "seccomp.h"

/* Every descriptor but KEEP: the child was forked with the helper's (its
   --ready-fd among them, which a caller may read until EOF).
   close_range(2) is Linux 5.9; older kernels get the loop. */
static void
close_all_but (int keep)
{
  long max = sysconf (_SC_OPEN_MAX);

  if ((keep == 0 || syscall (SYS_close_range, 0, keep - 1, 0) == 0)
      && syscall (SYS_close_range, keep + 1, UINT_MAX, 0) == 0)
    return;
  for (int fd = 0; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
    if (fd != keep)
      close (fd);
}

/* Die with the parent; PARENT may already be gone by the time the death
   signal is armed (prctl(2), PR_SET_PDEATHSIG). */
static int
harden (int sock, pid_t parent, const struct urun_slirp_config *cfg,
        struct urun_error *err)
{
  if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid () != parent)
    return urun_set_error (err, errno, "follow the parent");
  close_all_but (sock);
  if (urun_drop_capabilities (false, err) < 0)
    return -1;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return urun_set_error (err, errno, "set no_new_privs");
  if (cfg->is_seccomp && urun_install_nssocket_seccomp (err) < 0)
    return -1;
  return 0;
}

void
urun_nssocket_serve (int sock, pid_t parent,
                     const struct urun_slirp_config *cfg)
{
  struct urun_error err = URUN_ERROR_INIT;
  int family, errnum, fd, unused;

  /* Nobody to tell but the parent, which finds every request refused. */
  if (harden (sock, parent, cfg, &err) < 0)
    _exit (1);
  while (urun_recv_fd (sock, &family, sizeof family, &unused)
         == (ssize_t) sizeof family)
    {
      if (unused >= 0)
        close (unused);
      fd = family == AF_INET || family == AF_INET6
               ? socket (family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)
               : (errno = EAFNOSUPPORT, -1);
      errnum = fd < 0 ? errno : 0;
      if (urun_send_fd (sock, fd, &errnum, sizeof errnum) < 0)
        _exit (1);
      if (fd >= 0)
        close (fd);
    }
  _exit (0);
}

void
urun_nssocket_release (struct urun_nssocket *ns)
{
  int status;

  if (ns->sock >= 0)
    close (ns->sock);
  if (ns->pid > 0)
    while (waitpid (ns->pid, &status, 0) < 0 && errno == EINTR)
      ;
  ns->sock = -1;
  ns->pid = 0;
}

/* The child is not trusted more than the container it lives in: what it
   sends must be a TCP socket of the family asked for. */
static bool
is_tcp_socket (int fd, int family)
{
  int domain = -1, type = -1, protocol = -1;
  socklen_t len = sizeof domain;

  if (getsockopt (fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
    return false;
  len = sizeof type;
  if (getsockopt (fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
    return false;
  len = sizeof protocol;
  if (getsockopt (fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) < 0)
    return false;
  return domain == family && type == SOCK_STREAM && protocol == IPPROTO_TCP;
}

int
urun_nssocket_make (const struct urun_nssocket *ns, int family,
                    struct urun_error *err)
{
  int errnum = 0, fd = -1;
  ssize_t n;

  if (ns->sock < 0)
    return urun_set_error (err, 0, "no namespace child (spliced forwards "
                           "need an API socket and a namespace target)");
  if (urun_send_fd (ns->sock, -1, &family, sizeof family) < 0)
    return urun_set_error (err, errno, "ask the namespace child for a socket");
  n = urun_recv_fd (ns->sock, &errnum, sizeof errnum, &fd);
  if (n < 0)
    return urun_set_error (err, errno, "receive a socket from the namespace "
                           "child");
  if (n != (ssize_t) sizeof errnum || (errnum == 0 && fd < 0))
    {
      if (fd >= 0)
        close (fd);
      return urun_set_error (err, 0, "the namespace child is gone");
    }
  if (errnum != 0 || !is_tcp_socket (fd, family))
    {
      if (fd >= 0)
        close (fd);
      return urun_set_error (err, errnum ? errnum : EPROTO,
                             "socket in the target's namespace");
    }
  return fd;
}
