/* list.c: `urun list` — every container under the state root. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../state.h"
#include "commands.h"

static const char help[]
    = "Usage: urun list [-q] [--format table|json]\n"
      "List the containers under the state root.\n\n"
      "  -q, --quiet        print the IDs only\n"
      "  -f, --format FMT   table (default) or json\n";

static void
print_entry (const struct urun_state *s, const char *status, const char *format,
             bool first)
{
  if (strcmp (format, "json") == 0)
    {
      cleanup_free char *json = urun_state_to_json (s, status, false);
      printf ("%s%s", first ? "" : ",", json);
    }
  else
    printf ("%-12s %-8d %-10s %-40s %-32s %s\n", s->id,
            strcmp (status, "stopped") == 0 ? 0 : (int) s->pid, status,
            s->bundle ? s->bundle : "", s->created ? s->created : "",
            s->owner && *s->owner ? s->owner : "");
}

static void
list_one (int root_fd, const char *id, bool quiet, const char *format,
          bool *first)
{
  cleanup_close int dir_fd = openat (root_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct urun_error err = URUN_ERROR_INIT;
  struct urun_state s;

  /* No lock: a listing must not wait behind a long command (a container
   * being created is listed as "creating"). A state directory without a
   * state.json (a create that has just begun) is skipped. */
  if (dir_fd < 0 || urun_state_read (dir_fd, &s, &err) < 0)
    {
      urun_clear_error (&err);
      return;
    }
  if (quiet)
    puts (s.id);
  else
    print_entry (&s, urun_container_status (&s, dir_fd), format, *first);
  *first = false;
  urun_state_free (&s);
}

int
urun_cmd_list (struct urun_global *g, int argc, char **argv,
               struct urun_error *err)
{
  static const struct option options[] = {
    { "quiet", no_argument, NULL, 'q' },
    { "format", required_argument, NULL, 'f' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_close int root_fd = -1;
  cleanup_strv char **ids = NULL;
  const char *format = "table";
  bool quiet = false, first = true;
  int c;

  if (urun_wants_help (argc, argv, help))
    return 0;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+qf:", options, NULL)) != -1)
    if (c == 'q')
      quiet = true;
    else if (c == 'f')
      format = optarg;
    else
      return urun_usage_error ("list", help, "unknown option", err);
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return urun_usage_error ("list", help, "--format: expected `table` or `json`", err);
  root_fd = urun_state_open_root (g->ctx.state_root, err);
  if (root_fd < 0 || (ids = urun_state_list_ids (root_fd, err)) == NULL)
    return -1;
  if (!quiet && strcmp (format, "json") == 0)
    putchar ('[');
  else if (!quiet)
    printf ("%-12s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
  for (char **id = ids; *id; id++)
    list_one (root_fd, *id, quiet, format, &first);
  if (!quiet && strcmp (format, "json") == 0)
    puts ("]");
  return 0;
}
