/* sidecar.c: see sidecar.h. The start time (field 22 of /proc/PID/stat) tells
 * the recorded process from a later one that got its pid; the pidfd then
 * pins it, so a signal can never reach a stranger. pidfd_open(2) */
#define _GNU_SOURCE
#include "sidecar.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "utils.h"

int
urun_sidecar_record (int dir_fd, const char *name, pid_t pid, struct urun_error *err)
{
  cleanup_free char *text = xasprintf ("%d %llu\n", (int) pid, urun_pid_start_time (pid));
  cleanup_close int fd = openat (dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  if (fd < 0 || urun_write_all (fd, text, strlen (text)) < 0)
    return urun_set_error (err, errno, "write `%s`", name);
  return 0;
}

int
urun_sidecar_open (int dir_fd, const char *name)
{
  cleanup_free char *text = NULL;
  struct urun_error err = URUN_ERROR_INIT;
  unsigned long long start;
  int pid, fd;

  if (urun_read_file_at (dir_fd, name, &text, NULL, &err) < 0)
    {
      errno = err.errnum ? err.errnum : EINVAL;
      urun_clear_error (&err);
      return -1;
    }
  if (sscanf (text, "%d %llu", &pid, &start) != 2 || pid <= 0)
    {
      errno = EINVAL;
      return -1;
    }
  fd = pidfd_open (pid, 0);
  if (fd >= 0 && urun_pid_start_time (pid) != start)
    {
      close (fd);
      errno = ESRCH;
      return -1;
    }
  return fd;
}

void
urun_sidecar_stop (int pidfd, int first, int grace_ms)
{
  /* A pidfd polls readable once its process has exited. */
  struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
  siginfo_t info;

  if (first != 0)
    pidfd_send_signal (pidfd, first, NULL, 0);
  if (poll (&pfd, 1, grace_ms) <= 0)
    {
      pidfd_send_signal (pidfd, SIGKILL, NULL, 0);
      poll (&pfd, 1, grace_ms);
    }
  waitid ((idtype_t) P_PIDFD, (id_t) pidfd, &info, WEXITED | WNOHANG);
}
