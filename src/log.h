/* log.h: where diagnostics go — stderr, and the --log file (text or JSON, as conmon reads it). */
#ifndef URUN_LOG_H
#define URUN_LOG_H

#include <stdbool.h>

#include "error.h"

/* Open the --log file (appended) and remember the format; PATH may be NULL. */
int urun_log_init (const char *path, bool json, bool debug,
                   struct urun_error *err);

bool urun_log_debug_enabled (void);

/* A non-fatal problem: "urun: warning: ..." on stderr and in the log. */
void urun_warn (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Printed only with --debug. */
void urun_debug (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* The one fatal error, printed by main(): "urun: msg: strerror". */
void urun_log_error (const struct urun_error *err);

#endif
