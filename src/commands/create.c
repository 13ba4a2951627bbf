/* create.c: `urun create` and `urun run`, which take the same options. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../utils.h"
#include "commands.h"

static const char create_help[]
    = "Usage: urun create [OPTIONS] CONTAINER-ID\n"
      "Create a container from a bundle; `urun start` runs its process.\n\n"
      "  -b, --bundle DIR        bundle directory (default: current directory)\n"
      "      --console-socket P  unix socket to receive the terminal's master fd\n"
      "      --pid-file FILE     write the container's pid to FILE\n"
      "      --no-pivot          use MS_MOVE + chroot instead of pivot_root\n"
      "      --no-new-keyring    do not create a new session keyring\n"
      "      --preserve-fds N    pass N fds after stdio to the container\n"
      "      --userns MODE       `auto` (you are root inside) or `keep-id` (your\n"
      "                          uid and gid are the same inside; the process runs\n"
      "                          as you): mappings from your subordinate IDs\n";

static const char run_help[]
    = "Usage: urun run [OPTIONS] CONTAINER-ID\n"
      "Create and start a container; wait for it unless --detach.\n"
      "Exits with the container's status (128+N when killed by signal N).\n\n"
      "  -b, --bundle DIR        bundle directory (default: current directory)\n"
      "  -d, --detach            return once the container runs\n"
      "      --keep              keep the stopped container (no delete)\n"
      "      --console-socket P  unix socket to receive the terminal's master fd\n"
      "      --pid-file FILE     write the container's pid to FILE\n"
      "      --no-pivot          use MS_MOVE + chroot instead of pivot_root\n"
      "      --no-new-keyring    do not create a new session keyring\n"
      "      --preserve-fds N    pass N fds after stdio to the container\n"
      "      --userns MODE       `auto` or `keep-id` (see `urun create --help`)\n";

enum
{
  OPT_CONSOLE_SOCKET = 256,
  OPT_PID_FILE,
  OPT_NO_PIVOT,
  OPT_NO_NEW_KEYRING,
  OPT_PRESERVE_FDS,
  OPT_KEEP,
  OPT_USERNS,
};

static const struct option options[] = {
  { "bundle", required_argument, NULL, 'b' },
  { "detach", no_argument, NULL, 'd' },
  { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
  { "pid-file", required_argument, NULL, OPT_PID_FILE },
  { "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
  { "no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING },
  { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
  { "keep", no_argument, NULL, OPT_KEEP },
  { "userns", required_argument, NULL, OPT_USERNS },
  { NULL, 0, NULL, 0 },
};

static int
parse_options (const char *verb, const char *help, bool is_run, int argc,
               char **argv, struct urun_create_opts *o, struct urun_error *err)
{
  int c;
  uint64_t n;

  optind = 0; /* glibc re-initialises fully only for 0; getopt(3) */
  while ((c = getopt_long (argc, argv, is_run ? "+b:d" : "+b:", options, NULL)) != -1)
    switch (c)
      {
      case 'b': o->bundle = optarg; break;
      case 'd': o->detach = true; break;
      case OPT_CONSOLE_SOCKET: o->console_socket = optarg; break;
      case OPT_PID_FILE: o->pid_file = optarg; break;
      case OPT_NO_PIVOT: o->no_pivot = true; break;
      case OPT_NO_NEW_KEYRING: o->no_new_keyring = true; break;
      case OPT_USERNS: o->userns = optarg; break;
      case OPT_KEEP:
        if (!is_run)
          return urun_usage_error (verb, help, "unknown option `--keep`", err);
        o->keep = true;
        break;
      case OPT_PRESERVE_FDS:
        if (!urun_parse_u64 (optarg, &n) || n > 1024)
          return urun_usage_error (verb, help, "--preserve-fds: expected a number of fds", err);
        o->preserve_fds = (int) n;
        break;
      default:
        return urun_usage_error (verb, help, "unknown option", err);
      }
  if (optind != argc - 1)
    return urun_usage_error (verb, help, "expected exactly one CONTAINER-ID", err);
  o->id = argv[optind];
  return 0;
}

int
urun_cmd_create (struct urun_global *g, int argc, char **argv,
                 struct urun_error *err)
{
  struct urun_create_opts o = { 0 };

  if (urun_wants_help (argc, argv, create_help))
    return 0;
  if (parse_options ("create", create_help, false, argc, argv, &o, err) < 0)
    return -1;
  return urun_container_create (&g->ctx, &o, err);
}

int
urun_cmd_run (struct urun_global *g, int argc, char **argv,
              struct urun_error *err)
{
  struct urun_create_opts o = { 0 };
  int status = 0;

  if (urun_wants_help (argc, argv, run_help))
    return 0;
  if (parse_options ("run", run_help, true, argc, argv, &o, err) < 0)
    return -1;
  if (urun_container_run (&g->ctx, &o, &status, err) < 0)
    return -1;
  return status;
}
