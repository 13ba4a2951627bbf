/* tap.h: a minimal TAP producer for the unit test programs (meson protocol: 'tap'). */
#ifndef URUN_TAP_H
#define URUN_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_count;
static int tap_failed;

__attribute__ ((format (printf, 2, 3))) static inline void
tap_ok (int ok, const char *fmt, ...)
{
  va_list ap;

  printf ("%sok %d - ", ok ? "" : "not ", ++tap_count);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  printf ("\n");
  if (!ok)
    tap_failed++;
}

/* Print the plan and return the exit status for main(). */
static inline int
tap_done (void)
{
  printf ("1..%d\n", tap_count);
  return tap_failed ? 1 : 0;
}

/* Skip the whole program with a reason. The plan "1..0 # SKIP" is what
 * meson's TAP parser counts as skipped; it reports exit status 77 as an
 * error under protocol 'tap' (meson 1.0), so exit 0. */
__attribute__ ((noreturn)) static inline void
tap_skip_all (const char *why)
{
  printf ("1..0 # SKIP %s\n", why);
  exit (0);
}

#endif
