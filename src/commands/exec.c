/* exec.c: `urun exec` — parse runc's flags into struct urun_exec_opts. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include "../cleanup.h"
#include "../exec.h"
#include "../utils.h"
#include "commands.h"

static const char help[]
    = "Usage: urun exec [OPTIONS] CONTAINER-ID COMMAND [ARG...]\n"
      "       urun exec [OPTIONS] --process FILE CONTAINER-ID\n"
      "Run a process in a running container. What is not given here comes from\n"
      "the container's own process config: user, groups, cwd, env, capabilities,\n"
      "noNewPrivileges, rlimits, oomScoreAdj, ioPriority, scheduler, ...\n\n"
      "  -p, --process FILE       a process JSON; members it leaves out are inherited\n"
      "  -u, --user UID[:GID]     run as UID (and GID)\n"
      "  -g, --additional-gids G  an additional group (repeatable)\n"
      "      --cwd DIR            working directory in the container\n"
      "  -e, --env KEY=VALUE      set an environment variable (repeatable)\n"
      "  -c, --cap CAP            add a capability to all sets (repeatable)\n"
      "      --no-new-privs       set no_new_privs\n"
      "      --apparmor PROFILE   AppArmor profile\n"
      "      --process-label L    SELinux label\n"
      "  -t, --tty                allocate a pseudo-terminal\n"
      "  -d, --detach             do not wait for the process\n"
      "      --pid-file FILE      write the process's pid to FILE\n"
      "      --console-socket P   unix socket to receive the pty master\n"
      "      --preserve-fds N     pass N fds after stdio\n"
      "      --ignore-paused      exec even when the container is paused\n";

enum
{
  OPT_CWD = 256,
  OPT_NO_NEW_PRIVS,
  OPT_APPARMOR,
  OPT_PROCESS_LABEL,
  OPT_PID_FILE,
  OPT_CONSOLE_SOCKET,
  OPT_PRESERVE_FDS,
  OPT_IGNORE_PAUSED,
};

static const struct option options[] = {
  { "process", required_argument, NULL, 'p' },
  { "user", required_argument, NULL, 'u' },
  { "additional-gids", required_argument, NULL, 'g' },
  { "cwd", required_argument, NULL, OPT_CWD },
  { "env", required_argument, NULL, 'e' },
  { "cap", required_argument, NULL, 'c' },
  { "no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS },
  { "apparmor", required_argument, NULL, OPT_APPARMOR },
  { "process-label", required_argument, NULL, OPT_PROCESS_LABEL },
  { "tty", no_argument, NULL, 't' },
  { "detach", no_argument, NULL, 'd' },
  { "pid-file", required_argument, NULL, OPT_PID_FILE },
  { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
  { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
  { "ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED },
  { NULL, 0, NULL, 0 },
};

static bool
parse_id32 (const char *s, uint32_t *out)
{
  uint64_t v;

  if (!urun_parse_u64 (s, &v) || v > UINT32_MAX - 1)
    return false;
  *out = (uint32_t) v;
  return true;
}

/* "UID" or "UID:GID", numbers only (no /etc/passwd of the container is read). */
static int
parse_user (const char *s, struct urun_exec_opts *o, struct urun_error *err)
{
  cleanup_free char *copy = xstrdup (s);
  char *colon = strchr (copy, ':');

  if (colon)
    *colon++ = '\0';
  if (!parse_id32 (copy, &o->uid) || (colon && !parse_id32 (colon, &o->gid)))
    return urun_usage_error ("exec", help, "--user: expected UID[:GID] as numbers", err);
  o->has_uid = true;
  o->has_gid = colon != NULL;
  return 0;
}

static int
add_gid (const char *s, struct urun_exec_opts *o, struct urun_error *err)
{
  uint32_t gid;

  if (!parse_id32 (s, &gid))
    return urun_usage_error ("exec", help, "--additional-gids: expected a number", err);
  o->additional_gids = xrealloc (o->additional_gids, (o->n_additional_gids + 1) * sizeof (gid_t));
  o->additional_gids[o->n_additional_gids++] = gid;
  return 0;
}

static int
add_cap (const char *s, struct urun_exec_opts *o, struct urun_error *err)
{
  cleanup_free char *name = xasprintf ("%s%s", strncasecmp (s, "CAP_", 4) ? "CAP_" : "", s);
  cap_value_t cap;

  if (cap_from_name (name, &cap) < 0 || cap >= 64)
    return urun_set_error (err, 0, "exec: --cap: unknown capability `%s`", s);
  o->add_caps |= 1ULL << cap;
  return 0;
}

static int
add_env (const char *s, struct urun_exec_opts *o, struct urun_error *err)
{
  if (strchr (s, '=') == NULL || *s == '=')
    return urun_usage_error ("exec", help, "--env: expected KEY=VALUE", err);
  o->env = xrealloc (o->env, (o->n_env + 1) * sizeof (char *));
  o->env[o->n_env++] = (char *) s;
  return 0;
}

static int
parse_option (int c, struct urun_exec_opts *o, struct urun_error *err)
{
  uint64_t n;

  switch (c)
    {
    case 'p': o->process_file = optarg; return 0;
    case 'u': return parse_user (optarg, o, err);
    case 'g': return add_gid (optarg, o, err);
    case 'e': return add_env (optarg, o, err);
    case 'c': return add_cap (optarg, o, err);
    case 't': o->tty = true; return 0;
    case 'd': o->detach = true; return 0;
    case OPT_CWD: o->cwd = optarg; return 0;
    case OPT_NO_NEW_PRIVS: o->no_new_privs = true; return 0;
    case OPT_APPARMOR: o->apparmor = optarg; return 0;
    case OPT_PROCESS_LABEL: o->process_label = optarg; return 0;
    case OPT_PID_FILE: o->pid_file = optarg; return 0;
    case OPT_CONSOLE_SOCKET: o->console_socket = optarg; return 0;
    case OPT_IGNORE_PAUSED: o->ignore_paused = true; return 0;
    case OPT_PRESERVE_FDS:
      if (!urun_parse_u64 (optarg, &n) || n > 1024)
        return urun_usage_error ("exec", help, "--preserve-fds: expected a number of fds", err);
      o->preserve_fds = (int) n;
      return 0;
    default:
      return urun_usage_error ("exec", help, "unknown option", err);
    }
}

static int
parse_options (int argc, char **argv, struct urun_exec_opts *o,
               struct urun_error *err)
{
  int c;

  optind = 0;
  while ((c = getopt_long (argc, argv, "+p:u:g:e:c:td", options, NULL)) != -1)
    if (parse_option (c, o, err) < 0)
      return -1;
  if (optind >= argc)
    return urun_usage_error ("exec", help, "expected a CONTAINER-ID", err);
  o->id = argv[optind++];
  if (o->process_file == NULL && optind >= argc)
    return urun_usage_error ("exec", help, "expected a COMMAND or --process FILE", err);
  if (o->process_file && optind < argc)
    return urun_usage_error ("exec", help, "--process takes no COMMAND", err);
  o->args = optind < argc ? argv + optind : NULL;
  return 0;
}

int
urun_cmd_exec (struct urun_global *g, int argc, char **argv,
               struct urun_error *err)
{
  struct urun_exec_opts o = { 0 };
  int status = 0, r;

  if (argc > 1 && urun_wants_help (2, argv, help))
    return 0;
  r = parse_options (argc, argv, &o, err);
  if (r == 0)
    r = urun_container_exec (&g->ctx, &o, &status, err);
  free (o.additional_gids);
  free (o.env);
  return r < 0 ? -1 : status;
}
