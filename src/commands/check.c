/* check.c: `urun check` — diagnose this host for the calling user. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "../cleanup.h"
#include "commands.h"

static const char check_help[]
    = "Usage: urun check [--format text|json]\n"
      "Check that this host lets you run containers: user namespaces, subordinate\n"
      "IDs, newuidmap/newgidmap, the state directory, cgroup delegation, overlayfs\n"
      "and fuse-overlayfs, criu, the binary self-clone. One line each: OK, WARN\n"
      "(works, with less) or FAIL, and the fix. Exits 1 when anything FAILs.\n\n"
      "  -f, --format FMT   text (default) or json\n";

int
urun_cmd_check (struct urun_global *g, int argc, char **argv,
                struct urun_error *err)
{
  static const struct option options[] = {
    { "format", required_argument, NULL, 'f' },
    { NULL, 0, NULL, 0 },
  };
  struct urun_check_opts opts = { .state_root = g->ctx.state_root, .criu_path = g->criu_path };
  struct urun_check_report report;
  bool json = false;
  bool failed;
  int c;

  if (urun_wants_help (argc, argv, check_help))
    return 0;
  optind = 0; /* glibc re-initialises fully only for 0; getopt(3) */
  while ((c = getopt_long (argc, argv, "+f:", options, NULL)) != -1)
    if (c == 'f' && (strcmp (optarg, "json") == 0 || strcmp (optarg, "text") == 0))
      json = strcmp (optarg, "json") == 0;
    else if (c == 'f')
      return urun_usage_error ("check", check_help, "--format: expected `text` or `json`", err);
    else
      return urun_usage_error ("check", check_help, "unknown option", err);
  if (optind != argc)
    return urun_usage_error ("check", check_help, "unexpected argument", err);
  urun_check_host (&opts, &report);
  if (json)
    {
      cleanup_free char *text = urun_check_json (&report);
      fputs (text, stdout);
    }
  else
    urun_check_print_text (&report, stdout);
  failed = urun_check_failed (&report);
  urun_check_free (&report);
  return failed ? 1 : 0;
}
