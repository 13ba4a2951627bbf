/* cgroup.c: `urun pause` and `urun resume` — freezing a container's cgroup. */
#define _GNU_SOURCE

#include "commands.h"

int
urun_cmd_pause (struct urun_global *g, int argc, char **argv,
                struct urun_error *err)
{
  static const char help[] = "Usage: urun pause CONTAINER-ID\nFreeze every process of the container (its cgroup).\n";
  const char *id;

  if (urun_wants_help (argc, argv, help))
    return 0;
  if (urun_one_id ("pause", help, argc, argv, &id, err) < 0)
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
  if (urun_one_id ("resume", help, argc, argv, &id, err) < 0)
    return -1;
  return urun_container_resume (&g->ctx, id, err);
}
