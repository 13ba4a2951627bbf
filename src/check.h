/* check.h: `urun check` — is this host set up for the calling user to run
 * containers, and if not, what fixes it. */
#ifndef URUN_CHECK_H
#define URUN_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum urun_check_status
{
  URUN_CHECK_OK,
  URUN_CHECK_WARN, /* works, with less: no range, no fallback, ... */
  URUN_CHECK_FAIL, /* containers will not run until it is fixed */
};

struct urun_check_result
{
  const char *name; /* "user namespaces", "subordinate uids", ... */
  enum urun_check_status status;
  char *message;    /* what was found */
  char *fix;        /* what to do about it; NULL when OK */
};

struct urun_check_report
{
  struct urun_check_result *results;
  size_t n;
};

struct urun_check_opts
{
  const char *state_root; /* --root, or NULL for the default */
  const char *criu_path;  /* --criu, or NULL */
};

/* Run every check. Never fails: what cannot be told is a WARN. */
void urun_check_host (const struct urun_check_opts *opts,
                      struct urun_check_report *report);

/* One line each: "OK    name: message" or "WARN  name: message (fix: ...)". */
void urun_check_print_text (const struct urun_check_report *report, FILE *f);

/* {"ok": bool, "checks": [{"name", "status": "ok|warn|fail", "message",
 * "fix"}]}, for tools. */
char *urun_check_json (const struct urun_check_report *report);

/* Did any check FAIL? */
bool urun_check_failed (const struct urun_check_report *report);

void urun_check_free (struct urun_check_report *report);

#endif
