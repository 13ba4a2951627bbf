/* error.c: building and chaining struct urun_error. */
#define _GNU_SOURCE
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
format_or_oom (const char *fmt, va_list ap)
{
  char *s = NULL;

  if (vasprintf (&s, fmt, ap) < 0)
    return strdup ("out of memory while formatting an error");
  return s;
}

int
urun_set_error_v (struct urun_error *err, int errnum, const char *fmt,
                  va_list ap)
{
  free (err->msg);
  err->errnum = errnum;
  err->msg = format_or_oom (fmt, ap);
  err->exit_status = 0;
  return -1;
}

int
urun_set_error (struct urun_error *err, int errnum, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  urun_set_error_v (err, errnum, fmt, ap);
  va_end (ap);
  return -1;
}

int
urun_wrap_error (struct urun_error *err, const char *fmt, ...)
{
  va_list ap;
  char *context;
  char *joined = NULL;

  va_start (ap, fmt);
  context = format_or_oom (fmt, ap);
  va_end (ap);
  if (context == NULL)
    return -1;
  if (asprintf (&joined, "%s: %s", context, err->msg ? err->msg : "error") < 0)
    joined = NULL;
  free (context);
  if (joined != NULL)
    {
      free (err->msg);
      err->msg = joined;
    }
  return -1;
}

void
urun_clear_error (struct urun_error *err)
{
  free (err->msg);
  err->msg = NULL;
  err->errnum = 0;
  err->exit_status = 0;
}

char *
urun_format_error (const struct urun_error *err)
{
  char *s = NULL;
  const char *msg = err->msg ? err->msg : "unknown error";
  int r;

  if (err->errnum > 0)
    r = asprintf (&s, "%s: %s", msg, strerror (err->errnum));
  else
    r = asprintf (&s, "%s", msg);
  return r < 0 ? NULL : s;
}
