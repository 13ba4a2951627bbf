/* fdpass.c: see fdpass.h.  The control buffers are unions with struct
   cmsghdr, which CMSG_FIRSTHDR() hands out pointers to: a plain char array
   need not be aligned for it (cmsg(3)). */
#define _GNU_SOURCE
#include "fdpass.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
urun_send_fd (int sock, int fd, const void *data, size_t len)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { (void *) data, len };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  struct cmsghdr *cmsg;
  ssize_t n;

  if (fd >= 0)
    {
      memset (&control, 0, sizeof control);
      msg.msg_control = control.buf;
      msg.msg_controllen = sizeof control.buf;
      cmsg = CMSG_FIRSTHDR (&msg);
      cmsg->cmsg_level = SOL_SOCKET;
      cmsg->cmsg_type = SCM_RIGHTS;
      cmsg->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (cmsg), &fd, sizeof fd);
    }
  do
    n = sendmsg (sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n < 0 ? -1 : 0;
}

/* Every descriptor of CMSG but the first is closed: the peer sends one. */
static int
take_first_fd (struct cmsghdr *cmsg)
{
  size_t n = (cmsg->cmsg_len - CMSG_LEN (0)) / sizeof (int);
  int fds[4] = { -1, -1, -1, -1 };

  if (n > 4)
    n = 4;
  memcpy (fds, CMSG_DATA (cmsg), n * sizeof (int));
  for (size_t i = 1; i < n; i++)
    close (fds[i]);
  return n > 0 ? fds[0] : -1;
}

ssize_t
urun_recv_fd (int sock, void *buf, size_t len, int *fd)
{
  /* Room for a few: a peer that sends more must not leave them open. */
  union
  {
    char buf[CMSG_SPACE (4 * sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { buf, len };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = control.buf,
                        .msg_controllen = sizeof control.buf };
  ssize_t n;

  *fd = -1;
  do
    n = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c != NULL;
       c = CMSG_NXTHDR (&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      {
        int got = take_first_fd (c);

        if (*fd < 0)
          *fd = got;
        else if (got >= 0)
          close (got);
      }
  return n;
}
