/* log.c: stderr and --log output for warnings, debug lines and the final error. */
#define _GNU_SOURCE
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

static int log_fd = -1;
static bool log_json;
static bool log_debug;

int
urun_log_init (const char *path, bool json, bool debug, struct urun_error *err)
{
  log_json = json;
  log_debug = debug;
  if (path == NULL || *path == '\0')
    return 0;
  log_fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (log_fd < 0)
    return urun_set_error (err, errno, "open log file `%s`", path);
  return 0;
}

bool
urun_log_debug_enabled (void)
{
  return log_debug;
}

/* JSON string escaping for the few characters a message can hold. */
static void
write_json_string (FILE *f, const char *s)
{
  fputc ('"', f);
  for (; *s; s++)
    {
      unsigned char c = (unsigned char) *s;
      if (c == '"' || c == '\\')
        fprintf (f, "\\%c", c);
      else if (c < 0x20)
        fprintf (f, "\\u%04x", c);
      else
        fputc (c, f);
    }
  fputc ('"', f);
}

static void
write_log_line (const char *level, const char *msg)
{
  cleanup_free char *line = NULL;
  size_t len = 0;
  FILE *f;
  char stamp[64];
  struct timespec ts;
  struct tm tm;

  if (log_fd < 0)
    return;
  f = open_memstream (&line, &len);
  if (f == NULL)
    return;
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  if (log_json)
    {
      fprintf (f, "{\"level\":\"%s\",\"msg\":", level);
      write_json_string (f, msg);
      fprintf (f, ",\"time\":\"%s.%09ldZ\"}\n", stamp, ts.tv_nsec);
    }
  else
    fprintf (f, "%s.%09ldZ %s: %s\n", stamp, ts.tv_nsec, level, msg);
  fclose (f);
  if (write (log_fd, line, len) < 0)
    return; /* nowhere left to report it */
}

__attribute__ ((format (printf, 2, 0))) static void
log_message (const char *level, const char *fmt, va_list ap)
{
  cleanup_free char *msg = NULL;

  if (vasprintf (&msg, fmt, ap) < 0)
    return;
  write_log_line (level, msg);
  /* With a log file, conmon reads it; stderr may belong to the container. */
  if (log_fd < 0 || strcmp (level, "warning") == 0 || log_debug)
    fprintf (stderr, "urun: %s%s%s\n", strcmp (level, "debug") == 0 ? "debug: " : "",
             strcmp (level, "warning") == 0 ? "warning: " : "", msg);
}

void
urun_warn (const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  log_message ("warning", fmt, ap);
  va_end (ap);
}

void
urun_debug (const char *fmt, ...)
{
  va_list ap;

  if (!log_debug)
    return;
  va_start (ap, fmt);
  log_message ("debug", fmt, ap);
  va_end (ap);
}

void
urun_log_error (const struct urun_error *err)
{
  cleanup_free char *text = urun_format_error (err);

  if (text == NULL)
    return;
  write_log_line ("error", text);
  fprintf (stderr, "urun: %s\n", text);
}
