/* manage.c: the verbs on an existing container — start, state, kill, delete, ps. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "../cleanup.h"
#include "../signals.h"
#include "commands.h"

int
urun_cmd_start (struct urun_global *g, int argc, char **argv,
                struct urun_error *err)
{
  static const char help[] = "Usage: urun start CONTAINER-ID\nRun the process of a created container.\n";
  const char *id;

  if (urun_wants_help (argc, argv, help))
    return 0;
  if (urun_one_id ("start", help, argc, argv, &id, err) < 0)
    return -1;
  return urun_container_start (&g->ctx, id, err);
}

int
urun_cmd_state (struct urun_global *g, int argc, char **argv,
                struct urun_error *err)
{
  static const char help[] = "Usage: urun state CONTAINER-ID\nPrint the container's OCI state as JSON.\n";
  cleanup_free char *json = NULL;
  const char *id;

  if (urun_wants_help (argc, argv, help))
    return 0;
  if (urun_one_id ("state", help, argc, argv, &id, err) < 0)
    return -1;
  json = urun_container_state_json (&g->ctx, id, err);
  if (json == NULL)
    return -1;
  fputs (json, stdout);
  return 0;
}

int
urun_cmd_kill (struct urun_global *g, int argc, char **argv,
               struct urun_error *err)
{
  static const char help[]
      = "Usage: urun kill [--all] CONTAINER-ID [SIGNAL]\n"
        "Send SIGNAL (a name like TERM or SIGKILL, or a number; default TERM).\n\n"
        "  -a, --all   signal every process of the container\n";
  static const struct option options[] = { { "all", no_argument, NULL, 'a' }, { NULL, 0, NULL, 0 } };
  bool all = false;
  int c, sig = 15;

  if (urun_wants_help (argc, argv, help))
    return 0;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+a", options, NULL)) != -1)
    if (c == 'a')
      all = true;
    else
      return urun_usage_error ("kill", help, "unknown option", err);
  if (optind != argc - 1 && optind != argc - 2)
    return urun_usage_error ("kill", help, "expected CONTAINER-ID [SIGNAL]", err);
  if (optind == argc - 2 && (sig = urun_parse_signal (argv[argc - 1])) < 0)
    return urun_set_error (err, 0, "kill: unknown signal `%s`", argv[argc - 1]);
  return urun_container_kill (&g->ctx, argv[optind], sig, all, err);
}

int
urun_cmd_delete (struct urun_global *g, int argc, char **argv,
                 struct urun_error *err)
{
  static const char help[]
      = "Usage: urun delete [--force] CONTAINER-ID\n"
        "Delete a stopped container.\n\n"
        "  -f, --force   kill a created, running or paused container first\n";
  static const struct option options[] = { { "force", no_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
  bool force = false;
  int c;

  if (urun_wants_help (argc, argv, help))
    return 0;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+f", options, NULL)) != -1)
    if (c == 'f')
      force = true;
    else
      return urun_usage_error ("delete", help, "unknown option", err);
  if (optind != argc - 1)
    return urun_usage_error ("delete", help, "expected exactly one CONTAINER-ID", err);
  return urun_container_delete (&g->ctx, argv[optind], force, err);
}

static void
print_pids_json (const pid_t *pids, size_t n)
{
  putchar ('[');
  for (size_t i = 0; i < n; i++)
    printf ("%s%d", i ? "," : "", (int) pids[i]);
  puts ("]");
}

int
urun_cmd_ps (struct urun_global *g, int argc, char **argv,
             struct urun_error *err)
{
  static const char help[]
      = "Usage: urun ps [--format table|json] CONTAINER-ID\n"
        "List the container's processes (host pids).\n\n"
        "  -f, --format FMT   table (default) or json\n";
  static const struct option options[] = { { "format", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
  cleanup_free pid_t *pids = NULL;
  const char *format = "table";
  size_t n = 0;
  int c;

  if (urun_wants_help (argc, argv, help))
    return 0;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+f:", options, NULL)) != -1)
    if (c == 'f')
      format = optarg;
    else
      return urun_usage_error ("ps", help, "unknown option", err);
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return urun_usage_error ("ps", help, "--format: expected `table` or `json`", err);
  if (optind != argc - 1)
    return urun_usage_error ("ps", help, "expected exactly one CONTAINER-ID", err);
  if (urun_container_pids (&g->ctx, argv[optind], &pids, &n, err) < 0)
    return -1;
  if (strcmp (format, "json") == 0)
    print_pids_json (pids, n);
  else
    {
      puts ("PID");
      for (size_t i = 0; i < n; i++)
        printf ("%d\n", (int) pids[i]);
    }
  return 0;
}
