/* container.h: the lifecycle verbs as the CLI calls them. */
#ifndef URUN_CONTAINER_H
#define URUN_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "state.h"

/* Global options every verb sees. */
struct urun_context
{
  const char *state_root; /* --root, or NULL for the default */
  bool systemd_cgroup;
};

struct urun_create_opts
{
  const char *id;
  const char *bundle; /* NULL: the current directory */
  const char *console_socket;
  const char *pid_file;
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;
  bool detach; /* run only */
  bool keep;   /* run only: keep the stopped container */
  const char *userns; /* --userns: `auto` or `keep-id` (userns/rootless.h) */
};

int urun_container_create (const struct urun_context *ctx,
                           const struct urun_create_opts *opts,
                           struct urun_error *err);

/* create + start, then (unless detached) wait: *EXIT_STATUS is the
 * container's exit code, or 128+N when signal N killed it. */
int urun_container_run (const struct urun_context *ctx,
                        const struct urun_create_opts *opts, int *exit_status,
                        struct urun_error *err);

int urun_container_start (const struct urun_context *ctx, const char *id,
                          struct urun_error *err);

/* "created", "running", "paused" or "stopped". */
const char *urun_container_status (const struct urun_state *state, int dir_fd);

/* The OCI state JSON of ID (pretty-printed). */
char *urun_container_state_json (const struct urun_context *ctx,
                                 const char *id, struct urun_error *err);

int urun_container_kill (const struct urun_context *ctx, const char *id,
                         int signal, bool all, struct urun_error *err);

int urun_container_delete (const struct urun_context *ctx, const char *id,
                           bool force, struct urun_error *err);

/* The host pids of every process in the container, sorted. */
int urun_container_pids (const struct urun_context *ctx, const char *id,
                         pid_t **pids, size_t *n, struct urun_error *err);

/* Freeze (`pause`) or thaw (`resume`) every process of the container. */
int urun_container_pause (const struct urun_context *ctx, const char *id,
                          struct urun_error *err);
int urun_container_resume (const struct urun_context *ctx, const char *id,
                           struct urun_error *err);

/* `update`: RESOURCES_FILE (a linux.resources object; "-" is stdin) if
 * given, then the limits set in FLAGS, applied to the live cgroup. */
struct urun_update_opts
{
  const char *resources_file;
  struct urun_resources flags;
};

int urun_container_update (const struct urun_context *ctx, const char *id,
                           const struct urun_update_opts *opts,
                           struct urun_error *err);

#endif
