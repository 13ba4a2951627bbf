/* notify-listener.c: both ends of sd_notify for the tests, without systemd.
 *
 * notify-listener listen ADDRESS OUT
 *   Stands in for the service manager: binds a datagram socket at ADDRESS
 *   (a path, or @name in the abstract namespace), with SO_PASSCRED as
 *   systemd has it, then creates OUT and appends one line per message:
 *   "SENDER-PID PAYLOAD", the payload's newlines written as '|'. File
 *   descriptors that come along (BARRIER=1's) are closed, which answers a
 *   barrier. Runs until killed.
 *
 * notify-listener send MESSAGE...
 *   Stands in for sd_notify(3) in the container (busybox has no
 *   systemd-notify, and its nc cannot send unix datagrams): sends each
 *   MESSAGE as one datagram to $NOTIFY_SOCKET. Built static, to be copied
 *   into a busybox rootfs. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static socklen_t
make_address (const char *s, struct sockaddr_un *sa)
{
  size_t n = strlen (s);

  memset (sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  if (n == 0 || n >= sizeof sa->sun_path)
    {
      fprintf (stderr, "notify-listener: bad address `%s`\n", s);
      exit (2);
    }
  memcpy (sa->sun_path, s, n);
  if (s[0] == '@')
    sa->sun_path[0] = '\0';
  return (socklen_t) (offsetof (struct sockaddr_un, sun_path) + n);
}

/* The sender's pid (SCM_CREDENTIALS); fds (SCM_RIGHTS) are closed. */
static int
read_control (struct msghdr *mh)
{
  int pid = 0;

  for (struct cmsghdr *c = CMSG_FIRSTHDR (mh); c; c = CMSG_NXTHDR (mh, c))
    {
      if (c->cmsg_level != SOL_SOCKET)
        continue;
      if (c->cmsg_type == SCM_CREDENTIALS)
        {
          struct ucred cred;
          memcpy (&cred, CMSG_DATA (c), sizeof cred);
          pid = cred.pid;
        }
      else if (c->cmsg_type == SCM_RIGHTS)
        {
          size_t n = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
          for (size_t i = 0; i < n; i++)
            {
              int fd;
              memcpy (&fd, CMSG_DATA (c) + i * sizeof (int), sizeof fd);
              close (fd);
            }
        }
    }
  return pid;
}

static int
listen_loop (const char *address, const char *out_path)
{
  struct sockaddr_un sa;
  socklen_t len = make_address (address, &sa);
  int fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1;
  FILE *out;

  if (fd < 0 || bind (fd, (struct sockaddr *) &sa, len) < 0
      || setsockopt (fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
    {
      perror ("notify-listener: bind");
      return 1;
    }
  /* Anyone may send, as to systemd's own socket. */
  if (address[0] == '/' && chmod (address, 0666) < 0)
    perror ("notify-listener: chmod");
  out = fopen (out_path, "a");
  if (out == NULL)
    {
      perror ("notify-listener: open output");
      return 1;
    }
  for (;;)
    {
      char data[4097];
      union
      {
        char buf[CMSG_SPACE (sizeof (struct ucred)) + CMSG_SPACE (16 * sizeof (int))];
        struct cmsghdr align;
      } control;
      struct iovec iov = { .iov_base = data, .iov_len = sizeof data - 1 };
      struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                           .msg_control = control.buf, .msg_controllen = sizeof control.buf };
      ssize_t n = recvmsg (fd, &mh, MSG_CMSG_CLOEXEC);
      int pid;

      if (n < 0)
        continue;
      pid = read_control (&mh);
      for (ssize_t i = 0; i < n; i++)
        if (data[i] == '\n')
          data[i] = '|';
      data[n] = '\0';
      fprintf (out, "%d %s\n", pid, data);
      fflush (out);
    }
}

static int
send_messages (int argc, char **argv)
{
  const char *address = getenv ("NOTIFY_SOCKET");
  struct sockaddr_un sa;
  socklen_t len;
  int fd;

  if (address == NULL)
    {
      fprintf (stderr, "notify-listener: NOTIFY_SOCKET is not set\n");
      return 1;
    }
  len = make_address (address, &sa);
  fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  for (int i = 0; i < argc; i++)
    if (sendto (fd, argv[i], strlen (argv[i]), 0, (struct sockaddr *) &sa, len) < 0)
      {
        perror ("notify-listener: send");
        return 1;
      }
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc == 4 && strcmp (argv[1], "listen") == 0)
    return listen_loop (argv[2], argv[3]);
  if (argc >= 3 && strcmp (argv[1], "send") == 0)
    return send_messages (argc - 2, argv + 2);
  fprintf (stderr, "usage: notify-listener listen ADDRESS OUT | send MESSAGE...\n");
  return 2;
}
