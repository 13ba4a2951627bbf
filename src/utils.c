/* utils.c: allocation, whole-file I/O and number parsing. */
#define _GNU_SOURCE
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/magic.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cleanup.h"

#define MAX_FILE_SIZE (16 * 1024 * 1024)

static void *
check_oom (void *p)
{
  if (p == NULL)
    {
      fprintf (stderr, "urun: out of memory\n");
      abort ();
    }
  return p;
}

void *
xmalloc0 (size_t size)
{
  return check_oom (calloc (1, size ? size : 1));
}

void *
xrealloc (void *p, size_t size)
{
  return check_oom (realloc (p, size ? size : 1));
}

char *
xstrdup (const char *s)
{
  return s ? check_oom (strdup (s)) : NULL;
}

char *
xasprintf (const char *fmt, ...)
{
  va_list ap;
  char *s = NULL;
  int r;

  va_start (ap, fmt);
  r = vasprintf (&s, fmt, ap);
  va_end (ap);
  return check_oom (r < 0 ? NULL : s);
}

int
urun_read_file_at (int dirfd, const char *path, char **out, size_t *len,
                   struct urun_error *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL;
  size_t used = 0, size = 4096;

  fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return urun_set_error (err, errno, "open `%s`", path);
  buf = xmalloc0 (size);
  for (;;)
    {
      ssize_t n = read (fd, buf + used, size - used - 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return urun_set_error (err, errno, "read `%s`", path);
      if (n == 0)
        break;
      used += n;
      if (used + 1 == size)
        {
          if (size >= MAX_FILE_SIZE)
            return urun_set_error (err, EFBIG, "read `%s`", path);
          size *= 2;
          buf = xrealloc (buf, size);
        }
    }
  buf[used] = '\0';
  if (len)
    *len = used;
  *out = TAKE_PTR (buf);
  return 0;
}

int
urun_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;

  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      p += n;
      len -= n;
    }
  return 0;
}

int
urun_write_file_at (int dirfd, const char *path, const char *str,
                    struct urun_error *err)
{
  cleanup_close int fd = openat (dirfd, path, O_WRONLY | O_CLOEXEC);

  if (fd < 0)
    return urun_set_error (err, errno, "open `%s`", path);
  if (urun_write_all (fd, str, strlen (str)) < 0)
    return urun_set_error (err, errno, "write `%s`", path);
  return 0;
}

bool
urun_parse_u64 (const char *s, uint64_t *out)
{
  char *end = NULL;
  unsigned long long v;

  if (s == NULL || *s < '0' || *s > '9')
    return false;
  errno = 0;
  v = strtoull (s, &end, 10);
  if (errno != 0 || *end != '\0')
    return false;
  *out = v;
  return true;
}

unsigned long long
urun_pid_start_time (pid_t pid)
{
  char path[64], buf[1024];
  cleanup_close int fd = -1;
  ssize_t n;
  char *p;
  unsigned long long start = 0;

  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  n = read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* comm (field 2) may hold spaces and ')': skip to the last ')'. proc(5) */
  p = strrchr (buf, ')');
  if (p == NULL)
    return 0;
  /* After ") " come fields 3..; starttime is field 22, the 20th of those. */
  if (sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u "
                     "%*d %*d %*d %*d %*d %*d %llu",
              &start)
      != 1)
    return 0;
  /* A zombie still has a start time but is no longer running anything. */
  if (p[2] == 'Z' || p[2] == 'X')
    return 0;
  return start;
}

/* The initial user namespace maps every ID to itself: "0 0 4294967295".
 * user_namespaces(7) */
static bool
in_initial_user_namespace (void)
{
  struct urun_error err = URUN_ERROR_INIT;
  cleanup_free char *map = NULL;
  unsigned long inside, outside, count;

  if (urun_read_file_at (AT_FDCWD, "/proc/self/uid_map", &map, NULL, &err) < 0)
    {
      urun_clear_error (&err);
      return true; /* no /proc: nothing tells otherwise */
    }
  return sscanf (map, "%lu %lu %lu", &inside, &outside, &count) == 3
         && inside == 0 && outside == 0 && count == 4294967295UL;
}

bool
urun_is_rootless (void)
{
  static int rootless = -1;

  if (rootless < 0)
    rootless = geteuid () != 0 || !in_initial_user_namespace ();
  return rootless;
}

bool
urun_is_executable (const char *path)
{
  struct stat st;

  return stat (path, &st) == 0 && S_ISREG (st.st_mode)
         && access (path, X_OK) == 0;
}

int
urun_write_procfs (int fd, const char *path, const char *str,
                   struct urun_error *err)
{
  struct statfs sfs;

  if (fd < 0)
    return urun_set_error (err, errno, "open `%s`", path);
  if (fstatfs (fd, &sfs) < 0)
    return urun_set_error (err, errno, "statfs `%s`", path);
  if (sfs.f_type != PROC_SUPER_MAGIC)
    return urun_set_error (err, EXDEV, "`%s` is not on procfs", path);
  if (urun_write_all (fd, str, strlen (str)) < 0)
    return urun_set_error (err, errno, "write `%s`", path);
  return 0;
}

void
urun_test_pause_at (const char *stage)
{
  const char *want = getenv ("URUN_TEST_PAUSE_AT");
  struct timespec limit = { .tv_sec = 60 };
  char name[16] = "";
  sigset_t cont, old;

  if (want == NULL || strcmp (want, stage) != 0)
    return;
  /* Not SIGSTOP: the container's pid 1 ignores it from inside its pid
   * namespace. A blocked signal is never ignored, even by a namespace's
   * init, so it waits for SIGCONT (or 60 s) in sigtimedwait(2). */
  sigemptyset (&cont);
  sigaddset (&cont, SIGCONT);
  sigprocmask (SIG_BLOCK, &cont, &old);
  prctl (PR_GET_NAME, name, 0, 0, 0);
  prctl (PR_SET_NAME, "urun-paused", 0, 0, 0);
  sigtimedwait (&cont, NULL, &limit);
  prctl (PR_SET_NAME, name, 0, 0, 0);
  sigprocmask (SIG_SETMASK, &old, NULL);
}

char *
urun_now_rfc3339 (void)
{
  struct timespec ts;
  struct tm tm;
  char buf[64];

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return xasprintf ("%s.%09ldZ", buf, ts.tv_nsec);
}

char *
urun_fd_path (int fd, struct urun_error *err)
{
  char link[64], path[PATH_MAX];
  ssize_t n;

  snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
  n = readlink (link, path, sizeof path - 1);
  if (n < 0)
    {
      urun_set_error (err, errno, "read `%s`", link);
      return NULL;
    }
  path[n] = '\0';
  return xstrdup (path);
}

void
urun_strappend (char **s, const char *sep, const char *fmt, ...)
{
  cleanup_free char *tail = NULL;
  char *joined;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&tail, fmt, ap) < 0)
    abort ();
  va_end (ap);
  joined = xasprintf ("%s%s%s", *s ? *s : "", *s && **s ? sep : "", tail);
  free (*s);
  *s = joined;
}
