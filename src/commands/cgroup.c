/* cgroup.c: `urun pause` and `urun resume` — freezing a container's cgroup. */
#define _GNU_SOURCE
#include <getopt.h>

#include "commands.h"

static int
id_only (const char *verb, const char *help, int argc, char **argv,
         const char **id, struct urun_error *err)
{
  optind = 0;
  if (getopt_long (argc, argv, "+", (struct option[]){ { NULL, 0, NULL, 0 } }, NULL) != -1)
    return urun_usage_error (verb, help, "unknown option", err);
  if (optind != argc - 1)
    return urun_usage_error (verb, help, "expected exactly one CONTAINER-ID", err);
  *id = argv[optind];
  return 0;
}

int
urun_cmd_pause (struct urun_global *g, int argc, char **argv,
                struct urun_error *err)
{
  static const char help[] = "Usage: urun pause CONTAINER-ID\nFreeze every process of the container (its cgroup).\n";
  const char *id;

  if (urun_wants_help (argc, argv, help))
    return 0;
  if (id_only ("pause", help, argc, argv, &id, err) < 0)
    return -1;
  return urun_container_pause (&g->ctx, id, err);
}

int
urun_cmd_resume (struct urun_global *g, int argc, char **argv,
                 struct urun_error *err)
{
  static const char help[] = "Usage: urun resume CONTAINER-ID\nThaw a paused container.\n";
  const char *id;

  if (urun_wants_help (argc, argv, help))
    return 0;
  if (id_only ("resume", help, argc, argv, &id, err) < 0)
    return -1;
  return urun_container_resume (&g->ctx, id, err);
}
