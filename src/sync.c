/* sync.c: one fixed-size message per step between urun and its child. */
#define _GNU_SOURCE
#include "sync.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fdpass.h"

struct sync_message
{
  int type;
  int value;
  int errnum;
  char msg[2048];
};

#define HEADER_SIZE offsetof (struct sync_message, msg)

static int
send_message (int fd, const struct sync_message *m, size_t len, int pass_fd,
              struct urun_error *err)
{
  if (urun_send_fd (fd, pass_fd, m, len) < 0)
    return urun_set_error (err, errno, "send sync message %d", m->type);
  return 0;
}

int
urun_sync_send (int fd, enum urun_sync_type type, int value,
                struct urun_error *err)
{
  struct sync_message m = { .type = type, .value = value };

  return send_message (fd, &m, HEADER_SIZE, -1, err);
}

int
urun_sync_send_fd (int fd, enum urun_sync_type type, int pass_fd,
                   struct urun_error *err)
{
  struct sync_message m = { .type = type };

  return send_message (fd, &m, HEADER_SIZE, pass_fd, err);
}

/* One message; a passed fd lands in *PASS_FD (or is closed when unwanted).
 * Returns the bytes received (0 at EOF). */
static ssize_t
receive (int fd, struct sync_message *m, int *pass_fd)
{
  int got;
  ssize_t n;

  memset (m, 0, sizeof *m);
  n = urun_recv_fd (fd, m, sizeof *m - 1, &got);
  if (got >= 0 && pass_fd && *pass_fd < 0)
    *pass_fd = got;
  else if (got >= 0)
    close (got);
  return n;
}

static int
child_error (const struct sync_message *m, struct urun_error *err)
{
  urun_set_error (err, m->errnum, "%s", m->msg);
  err->exit_status = m->value;
  return -1;
}

static int
expect (int fd, enum urun_sync_type expected, int *value, int *pass_fd,
        struct urun_error *err)
{
  struct sync_message m;
  ssize_t n = receive (fd, &m, pass_fd);

  if (n < 0)
    return urun_set_error (err, errno, "receive sync message");
  if (n == 0)
    return urun_set_error (err, 0, "the container process exited during setup");
  if (m.type == URUN_SYNC_ERROR)
    return child_error (&m, err);
  if (m.type != (int) expected)
    return urun_set_error (err, 0, "unexpected sync message %d (expected %d)",
                           m.type, (int) expected);
  if (value)
    *value = m.value;
  return 0;
}

int
urun_sync_expect (int fd, enum urun_sync_type expected, int *value,
                  struct urun_error *err)
{
  return expect (fd, expected, value, NULL, err);
}

int
urun_sync_expect_fd (int fd, enum urun_sync_type expected, int *pass_fd,
                     struct urun_error *err)
{
  *pass_fd = -1;
  if (expect (fd, expected, NULL, pass_fd, err) < 0)
    {
      if (*pass_fd >= 0)
        close (*pass_fd);
      *pass_fd = -1;
      return -1;
    }
  if (*pass_fd < 0)
    return urun_set_error (err, 0, "sync message %d carried no fd", (int) expected);
  return 0;
}

int
urun_sync_wait_exec (int fd, struct urun_error *err)
{
  struct sync_message m;
  ssize_t n = receive (fd, &m, NULL);

  if (n < 0)
    return urun_set_error (err, errno, "receive sync message");
  if (n > 0 && m.type == URUN_SYNC_ERROR)
    return child_error (&m, err);
  return 0;
}

void
urun_sync_fail (int fd, const struct urun_error *err)
{
  struct sync_message m = { .type = URUN_SYNC_ERROR, .errnum = err->errnum,
                            .value = err->exit_status };

  snprintf (m.msg, sizeof m.msg, "%s", err->msg ? err->msg : "unknown error");
  if (urun_send_fd (fd, -1, &m, HEADER_SIZE + strlen (m.msg) + 1) < 0)
    {
      /* The parent is gone: stderr is all that is left. */
      dprintf (2, "urun: %s\n", m.msg);
    }
  _exit (1);
}
