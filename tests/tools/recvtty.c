/* recvtty.c: a console-socket receiver for the tests, as conmon is one.
 * Usage: recvtty SOCKET [INPUT]
 * Listens on SOCKET, takes one pty master over SCM_RIGHTS, writes INPUT to
 * it, then copies everything the container prints to stdout until the pty
 * hangs up. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int
receive_fd (int conn)
{
  char data[256];
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { .iov_base = data, .iov_len = sizeof data };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                       .msg_control = control.buf, .msg_controllen = sizeof control.buf };
  struct cmsghdr *cmsg;
  int fd = -1;

  if (recvmsg (conn, &mh, 0) < 0)
    return -1;
  cmsg = CMSG_FIRSTHDR (&mh);
  if (cmsg && cmsg->cmsg_type == SCM_RIGHTS)
    memcpy (&fd, CMSG_DATA (cmsg), sizeof fd);
  return fd;
}

int
main (int argc, char **argv)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  char buf[4096];
  ssize_t n;
  int sock, conn, master;

  if (argc < 2 || strlen (argv[1]) >= sizeof addr.sun_path)
    {
      fprintf (stderr, "usage: recvtty SOCKET [INPUT]\n");
      return 2;
    }
  strcpy (addr.sun_path, argv[1]);
  sock = socket (AF_UNIX, SOCK_STREAM, 0);
  if (sock < 0 || bind (sock, (struct sockaddr *) &addr, sizeof addr) < 0
      || listen (sock, 1) < 0 || (conn = accept (sock, NULL, NULL)) < 0)
    {
      perror ("recvtty: socket");
      return 1;
    }
  master = receive_fd (conn);
  if (master < 0)
    {
      fprintf (stderr, "recvtty: no fd received\n");
      return 1;
    }
  if (argc > 2 && write (master, argv[2], strlen (argv[2])) < 0)
    perror ("recvtty: write");
  /* EIO: the last slave closed, the container's process is gone. */
  while ((n = read (master, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0 && fwrite (buf, 1, n, stdout) != (size_t) n)
      break;
  return 0;
}
