/* spec.c: `urun spec` (a default config.json) and `urun features`. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../template.h"
#include "../utils.h"
#include "commands.h"

static const char spec_help[]
    = "Usage: urun spec [--rootless] [--bundle DIR]\n"
      "Write a default config.json into the bundle directory.\n\n"
      "  -b, --bundle DIR   where to write it (default: current directory)\n"
      "      --rootless     for an unprivileged user: a user namespace mapping\n"
      "                     you to root and your subordinate IDs from 1 up\n";

int
urun_cmd_spec (struct urun_global *g, int argc, char **argv,
               struct urun_error *err)
{
  static const struct option options[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "rootless", no_argument, NULL, 'r' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_free char *json = NULL;
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;
  const char *bundle = ".";
  bool rootless = false;
  int c;

  (void) g;
  if (urun_wants_help (argc, argv, spec_help))
    return 0;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+b:", options, NULL)) != -1)
    if (c == 'b')
      bundle = optarg;
    else if (c == 'r')
      rootless = true;
    else
      return urun_usage_error ("spec", spec_help, "unknown option", err);
  if (optind != argc)
    return urun_usage_error ("spec", spec_help, "unexpected argument", err);
  json = urun_default_spec_json (rootless, err);
  if (json == NULL)
    return -1;
  path = xasprintf ("%s/config.json", bundle);
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST)
    return urun_set_error (err, 0, "spec: `%s` exists already: remove it first", path);
  if (fd < 0 || urun_write_all (fd, json, strlen (json)) < 0)
    return urun_set_error (err, errno, "spec: write `%s`", path);
  return 0;
}

int
urun_cmd_features (struct urun_global *g, int argc, char **argv,
                   struct urun_error *err)
{
  static const char help[] = "Usage: urun features\nPrint the OCI runtime features document.\n";
  cleanup_free char *json = NULL;

  (void) g;
  if (urun_wants_help (argc, argv, help))
    return 0;
  if (argc != 1)
    return urun_usage_error ("features", help, "unexpected argument", err);
  json = urun_features_json ();
  fputs (json, stdout);
  return 0;
}
