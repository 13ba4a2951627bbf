/* sync.c: one fixed-size message per step between urun and its child. */
#define _GNU_SOURCE
#include "sync.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct sync_message
{
  int type;
  int value;
  int errnum;
  char msg[2048];
};

int
urun_sync_send (int fd, enum urun_sync_type type, int value,
                struct urun_error *err)
{
  struct sync_message m = { .type = type, .value = value };
  ssize_t n;

  /* Only the header travels for ordinary messages. */
  do
    n = send (fd, &m, offsetof (struct sync_message, msg), MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return urun_set_error (err, errno, "send sync message %d", (int) type);
  return 0;
}

int
urun_sync_expect (int fd, enum urun_sync_type expected, int *value,
                  struct urun_error *err)
{
  struct sync_message m;
  ssize_t n;

  memset (&m, 0, sizeof m);
  do
    n = recv (fd, &m, sizeof m - 1, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return urun_set_error (err, errno, "receive sync message");
  if (n == 0)
    return urun_set_error (err, 0, "the container process exited during setup");
  if (m.type == URUN_SYNC_ERROR)
    return urun_set_error (err, m.errnum, "%s", m.msg);
  if (m.type != (int) expected)
    return urun_set_error (err, 0, "unexpected sync message %d (expected %d)",
                           m.type, (int) expected);
  if (value)
    *value = m.value;
  return 0;
}

int
urun_sync_wait_exec (int fd, struct urun_error *err)
{
  struct sync_message m;
  ssize_t n;

  memset (&m, 0, sizeof m);
  do
    n = recv (fd, &m, sizeof m - 1, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return urun_set_error (err, errno, "receive sync message");
  if (n > 0 && m.type == URUN_SYNC_ERROR)
    return urun_set_error (err, m.errnum, "%s", m.msg);
  return 0;
}

void
urun_sync_fail (int fd, const struct urun_error *err)
{
  struct sync_message m = { .type = URUN_SYNC_ERROR, .errnum = err->errnum };

  snprintf (m.msg, sizeof m.msg, "%s", err->msg ? err->msg : "unknown error");
  if (send (fd, &m, offsetof (struct sync_message, msg) + strlen (m.msg) + 1,
            MSG_NOSIGNAL)
      < 0)
    {
      /* The parent is gone: stderr is all that is left. */
      dprintf (2, "urun: %s\n", m.msg);
    }
  _exit (1);
}
