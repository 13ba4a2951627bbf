/* state.h: the state directory — one 0700 directory per container under the
 * state root, holding state.json (written atomically) and exec.fifo, locked
 * with flock(2) while a command works on it. */
#ifndef URUN_STATE_H
#define URUN_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroups.h"
#include "error.h"
#include "spec.h"

struct urun_state
{
  char *id;
  pid_t pid;
  unsigned long long pid_start_time; /* tells our pid from a reused one */
  char *bundle;
  char *rootfs;
  char *created; /* RFC 3339, UTC */
  char *owner;
  bool has_pid_namespace; /* killing the pid kills the whole container */
  struct urun_kv *annotations;
  size_t n_annotations;
  struct urun_cgroup cgroup; /* in state.json only, not in `urun state` */
  /* While `create` runs, the urun process doing it (0 once created): its
   * state.json is written before anything that could outlive it exists,
   * so that `delete` undoes a create killed half-way. The container is
   * "creating" while that process lives, "stopped" after. */
  pid_t creator;
  unsigned long long creator_start_time;
};

/* The state root: ROOT when given, else /run/urun for root, else
 * $XDG_RUNTIME_DIR/urun, else /tmp/urun-UID (HPC nodes often lack /run/user).
 * Created 0700 when missing; refused when it is a symlink or someone else's.
 * Returns an O_DIRECTORY fd. */
int urun_state_open_root (const char *root, struct urun_error *err);

/* Container IDs: 1..255 of [A-Za-z0-9_.+-], not "." or "..". */
int urun_state_check_id (const char *id, struct urun_error *err);

/* Make the directory of a new container and lock it; EEXIST -> "already exists". */
int urun_state_create_dir (int root_fd, const char *id, struct urun_error *err);

/* Open and lock an existing container's directory. */
int urun_state_open_dir (int root_fd, const char *id, struct urun_error *err);

/* Remove the container's directory and everything in it. */
int urun_state_remove_dir (int root_fd, const char *id, struct urun_error *err);

int urun_state_write (int dir_fd, const struct urun_state *state,
                      struct urun_error *err);
int urun_state_read (int dir_fd, struct urun_state *state,
                     struct urun_error *err);
void urun_state_free (struct urun_state *state);

/* The OCI state object as JSON; STATUS is "created", "running", ... */
char *urun_state_to_json (const struct urun_state *state, const char *status,
                          bool pretty);

/* The OCI state of a container being created (no state.json yet), for its
 * hooks: status STATUS, process PID. */
char *urun_state_json_of_spec (const struct urun_spec *spec, const char *id,
                               pid_t pid, const char *bundle,
                               const char *status);

/* Keep a copy of the bundle's config.json (CONFIG_PATH) in the container's
 * directory: the bundle may change or vanish, and delete's poststop hooks
 * and exec need the config the container was created with. */
int urun_state_save_config (int dir_fd, const char *config_path,
                            struct urun_error *err);

/* That copy, parsed. */
struct urun_spec *urun_state_load_config (int dir_fd, struct urun_error *err);

/* IDs of every container under the root, sorted; NULL-terminated. */
char **urun_state_list_ids (int root_fd, struct urun_error *err);

#define URUN_STATE_FIFO "exec.fifo"

static inline void
state_release (struct urun_state *s)
{
  urun_state_free (s);
}
#define cleanup_state __attribute__ ((cleanup (state_release)))

#endif
