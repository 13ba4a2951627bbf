/* exec.h: `urun exec` — a new process in a running container, with the
 * identity of the container's own process unless told otherwise. */
#ifndef URUN_EXEC_H
#define URUN_EXEC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "container.h"
#include "error.h"

struct urun_exec_opts
{
  const char *id;
  char **args; /* the command (NULL-terminated), or NULL with process_file */
  const char *process_file;
  bool has_uid;
  uid_t uid;
  bool has_gid;
  gid_t gid;
  gid_t *additional_gids;
  size_t n_additional_gids;
  const char *cwd;
  char **env; /* "KEY=value", each replacing the inherited KEY */
  size_t n_env;
  uint64_t add_caps; /* --cap: added to all five sets */
  bool no_new_privs;
  const char *apparmor;
  const char *process_label;
  bool tty;
  bool detach;
  bool ignore_paused;
  const char *pid_file;
  const char *console_socket;
  int preserve_fds;
};

/* Run the process; *EXIT_STATUS is its exit code (128+N for signal N), or 0
 * with --detach. Every field the caller does not set comes from the
 * container's config.json as it was at create (kept in the state dir):
 * user, cwd, env, capabilities, noNewPrivileges, rlimits, oomScoreAdj,
 * apparmorProfile, selinuxLabel, ioPriority, scheduler, execCPUAffinity. */
int urun_container_exec (const struct urun_context *ctx,
                         const struct urun_exec_opts *opts, int *exit_status,
                         struct urun_error *err);

#endif
