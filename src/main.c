/* main.c: global options, the verb table, and the one place that prints an
 * error and exits. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "commands/commands.h"
#include "log.h"
#include "selfclone.h"

#ifndef URUN_VERSION
#define URUN_VERSION "0.1.0"
#endif

static const struct
{
  const char *name;
  urun_command_fn fn;
  const char *summary;
} verbs[] = {
  { "create", urun_cmd_create, "create a container" },
  { "start", urun_cmd_start, "run the process of a created container" },
  { "run", urun_cmd_run, "create and start a container" },
  { "exec", urun_cmd_exec, "run a process in a running container" },
  { "state", urun_cmd_state, "print the state of a container" },
  { "kill", urun_cmd_kill, "send a signal to a container" },
  { "delete", urun_cmd_delete, "delete a container" },
  { "list", urun_cmd_list, "list containers" },
  { "ps", urun_cmd_ps, "list the processes of a container" },
  { "pause", urun_cmd_pause, "freeze every process of a container" },
  { "resume", urun_cmd_resume, "thaw a paused container" },
  { "update", urun_cmd_update, "change the cgroup limits of a container" },
  { "checkpoint", urun_cmd_checkpoint, "dump a running container with CRIU" },
  { "restore", urun_cmd_restore, "restore a container from CRIU images" },
  { "spec", urun_cmd_spec, "write a default config.json" },
  { "features", urun_cmd_features, "print the OCI features JSON" },
  { "check", urun_cmd_check, "check this host for running containers as you" },
};

static void
print_help (void)
{
  printf ("Usage: urun [GLOBAL OPTIONS] COMMAND [OPTIONS] ...\n"
          "A rootless-first OCI container runtime.\n\nCommands:\n");
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    printf ("  %-10s %s\n", verbs[i].name, verbs[i].summary);
  printf ("\nGlobal options:\n"
          "      --root DIR           state directory (default: /run/urun for root,\n"
          "                           $XDG_RUNTIME_DIR/urun, else /tmp/urun-UID)\n"
          "      --log FILE           also log to FILE\n"
          "      --log-format FMT     text (default) or json\n"
          "      --debug              print debug messages\n"
          "      --systemd-cgroup     the container in a systemd scope (user's manager\n"
          "                           when rootless), else cgroupfs\n"
          "      --rootless VALUE     accepted for compatibility (true|false|auto)\n"
          "      --criu PATH          criu binary for checkpoint/restore (default:\n"
          "                           $URUN_CRIU, else criu on PATH)\n"
          "  -v, --version            print the version\n"
          "  -h, --help               print this help\n");
}

enum
{
  OPT_ROOT = 256,
  OPT_LOG,
  OPT_LOG_FORMAT,
  OPT_DEBUG,
  OPT_SYSTEMD_CGROUP,
  OPT_ROOTLESS,
  OPT_CRIU,
};

static const struct option global_options[] = {
  { "root", required_argument, NULL, OPT_ROOT },
  { "log", required_argument, NULL, OPT_LOG },
  { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
  { "debug", no_argument, NULL, OPT_DEBUG },
  { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD_CGROUP },
  { "rootless", required_argument, NULL, OPT_ROOTLESS },
  { "criu", required_argument, NULL, OPT_CRIU },
  { "version", no_argument, NULL, 'v' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

/* Returns 1 when the option ended the program (--help, --version). */
static int
parse_global (int argc, char **argv, struct urun_global *g,
              struct urun_error *err)
{
  int c;

  /* "+": stop at the verb; its options are its own. */
  while ((c = getopt_long (argc, argv, "+vh", global_options, NULL)) != -1)
    switch (c)
      {
      case OPT_ROOT: g->ctx.state_root = optarg; break;
      case OPT_LOG: g->log_path = optarg; break;
      case OPT_LOG_FORMAT:
        if (strcmp (optarg, "json") != 0 && strcmp (optarg, "text") != 0)
          return urun_set_error (err, 0, "--log-format: expected `text` or `json`, not `%s`", optarg);
        g->log_json = strcmp (optarg, "json") == 0;
        break;
      case OPT_DEBUG: g->debug = true; break;
      case OPT_SYSTEMD_CGROUP: g->ctx.systemd_cgroup = true; break;
      case OPT_ROOTLESS: break;
      case OPT_CRIU: g->criu_path = optarg; break;
      case 'v':
        printf ("urun version %s\nspec: 1.2.0\n", URUN_VERSION);
        return 1;
      case 'h':
        print_help ();
        return 1;
      default:
        return urun_set_error (err, 0, "unknown global option (see `urun --help`)");
      }
  return 0;
}

static int
dispatch (struct urun_global *g, int argc, char **argv, struct urun_error *err)
{
  if (argc < 1)
    return urun_set_error (err, 0, "no command given (see `urun --help`)");
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    if (strcmp (argv[0], verbs[i].name) == 0)
      {
        /* Verbs that enter container namespaces first run from a clone the
         * container cannot write (selfclone.h). It re-executes the whole
         * command line: argv - optind, which the "+" of parse_global left
         * unpermuted. */
        if ((strcmp (argv[0], "create") == 0 || strcmp (argv[0], "run") == 0
             || strcmp (argv[0], "exec") == 0 || strcmp (argv[0], "restore") == 0)
            && urun_ensure_cloned_binary (argc + optind, argv - optind, err) < 0)
          return -1;
        return verbs[i].fn (g, argc, argv, err);
      }
  return urun_set_error (err, 0, "unknown command `%s` (see `urun --help`)", argv[0]);
}

int
main (int argc, char **argv)
{
  cleanup_error struct urun_error err = URUN_ERROR_INIT;
  struct urun_global g = { 0 };
  int r = parse_global (argc, argv, &g, &err);

  if (r == 1)
    return 0;
  if (r == 0)
    r = urun_log_init (g.log_path, g.log_json, g.debug, &err);
  if (r == 0)
    r = dispatch (&g, argc - optind, argv + optind, &err);
  if (r < 0)
    {
      urun_log_error (&err);
      return err.exit_status ? err.exit_status : 1;
    }
  return r;
}
