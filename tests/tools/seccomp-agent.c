/* seccomp-agent.c: a listenerPath agent for the tests.
 * Usage: seccomp-agent SOCKET STATE_FILE
 * Takes one connection, writes the JSON it carries to STATE_FILE, then
 * answers every notification on the received listener with EXDEV, so a
 * filtered syscall fails with "Invalid cross-device link". */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int
receive (int conn, char *data, size_t size)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { .iov_base = data, .iov_len = size - 1 };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                       .msg_control = control.buf, .msg_controllen = sizeof control.buf };
  struct cmsghdr *cmsg;
  ssize_t n = recvmsg (conn, &mh, 0);
  int fd = -1;

  if (n < 0)
    return -1;
  data[n] = '\0';
  cmsg = CMSG_FIRSTHDR (&mh);
  if (cmsg && cmsg->cmsg_type == SCM_RIGHTS)
    memcpy (&fd, CMSG_DATA (cmsg), sizeof fd);
  return fd;
}

int
main (int argc, char **argv)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  static char data[65536];
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  FILE *out;
  int sock, conn, listener;

  if (argc != 3 || strlen (argv[1]) >= sizeof addr.sun_path)
    return 2;
  strcpy (addr.sun_path, argv[1]);
  sock = socket (AF_UNIX, SOCK_STREAM, 0);
  if (sock < 0 || bind (sock, (struct sockaddr *) &addr, sizeof addr) < 0
      || listen (sock, 1) < 0 || (conn = accept (sock, NULL, NULL)) < 0)
    return 1;
  listener = receive (conn, data, sizeof data);
  out = fopen (argv[2], "w");
  if (listener < 0 || out == NULL)
    return 1;
  fputs (data, out);
  fclose (out);
  for (;;)
    {
      memset (&req, 0, sizeof req);
      if (ioctl (listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
        return errno == ENOENT || errno == EINTR ? 0 : 0;
      memset (&resp, 0, sizeof resp);
      resp.id = req.id;
      resp.error = -EXDEV;
      ioctl (listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
}
