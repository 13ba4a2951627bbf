/* usage.c: help and usage errors shared by every verb. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"

int
urun_usage_error (const char *verb, const char *usage, const char *what,
                  struct urun_error *err)
{
  const char *first_line_end = strchr (usage, '\n');
  int len = first_line_end ? (int) (first_line_end - usage) : (int) strlen (usage);

  return urun_set_error (err, 0, "%s: %s (%.*s)", verb, what, len, usage);
}

bool
urun_wants_help (int argc, char **argv, const char *help)
{
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        break;
      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          fputs (help, stdout);
          return true;
        }
    }
  return false;
}

/* Verbs whose only argument is the container ID. */
int
urun_one_id (const char *verb, const char *help, int argc, char **argv,
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
