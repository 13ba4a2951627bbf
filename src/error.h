/* error.h: the one error object that flows up from a failing step to main(). */
#ifndef URUN_ERROR_H
#define URUN_ERROR_H

#include <stdarg.h>

/* errnum: the innermost errno (0 when the failure is not a system error).
 * msg: "outer step: inner step: object", without strerror; main() appends it.
 * exit_status: what urun exits with, when not 1 (126/127 for a command that
 * cannot be executed or found, as shells do). */
struct urun_error
{
  int errnum;
  char *msg;
  int exit_status;
};

#define URUN_ERROR_INIT { 0, NULL, 0 }

/* Set ERR (which must be clear) and return -1. */
int urun_set_error (struct urun_error *err, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
int urun_set_error_v (struct urun_error *err, int errnum, const char *fmt,
                      va_list ap) __attribute__ ((format (printf, 3, 0)));

/* Prepend "context: " to the message already in ERR and return -1. */
int urun_wrap_error (struct urun_error *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Free the message and reset ERR, after an expected failure was handled. */
void urun_clear_error (struct urun_error *err);

/* "msg: strerror(errnum)" in a static-free, caller-owned string. */
char *urun_format_error (const struct urun_error *err);

#endif
