/* manage.c: working on existing containers — status, state, kill, delete,
 * and the list of their processes. */
#define _GNU_SOURCE
#include "container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "hooks.h"
#include "log.h"
#include "network.h"
#include "notify.h"
#include "utils.h"

/* An open, locked container: its directory and its state. */
struct handle
{
  int root_fd;
  int dir_fd;
  struct urun_state state;
};

static void
close_handle (struct handle *h)
{
  if (h->dir_fd >= 0)
    close (h->dir_fd);
  if (h->root_fd >= 0)
    close (h->root_fd);
  urun_state_free (&h->state);
}
#define cleanup_handle __attribute__ ((cleanup (close_handle)))

static int
open_handle (const struct urun_context *ctx, const char *id, struct handle *h,
             struct urun_error *err)
{
  h->root_fd = urun_state_open_root (ctx->state_root, err);
  if (h->root_fd < 0)
    return -1;
  h->dir_fd = urun_state_open_dir (h->root_fd, id, err);
  if (h->dir_fd < 0)
    return -1;
  return urun_state_read (h->dir_fd, &h->state, err);
}

static bool
is_alive (const struct urun_state *s)
{
  unsigned long long start = urun_pid_start_time (s->pid);

  return start != 0 && start == s->pid_start_time;
}

/* A create that has not finished: "creating" while its urun runs, and
 * "stopped" once it is gone (killed half-way; `delete` undoes it). */
static bool
creator_alive (const struct urun_state *s)
{
  unsigned long long start = urun_pid_start_time (s->creator);

  return start != 0 && start == s->creator_start_time;
}

const char *
urun_container_status (const struct urun_state *state, int dir_fd)
{
  if (state->creator > 0)
    return creator_alive (state) ? "creating" : "stopped";
  if (!is_alive (state))
    return "stopped";
  if (urun_cgroup_is_frozen (&state->cgroup))
    return "paused";
  if (faccessat (dir_fd, URUN_STATE_FIFO, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return "created";
  return "running";
}

char *
urun_container_state_json (const struct urun_context *ctx, const char *id,
                           struct urun_error *err)
{
  cleanup_handle struct handle h = { .root_fd = -1, .dir_fd = -1 };

  if (open_handle (ctx, id, &h, err) < 0)
    return NULL;
  return urun_state_to_json (&h.state, urun_container_status (&h.state, h.dir_fd), true);
}

/* A pidfd for the container's pid, checked after opening to be the same
 * process (not a reused pid): from then on signals cannot go astray. */
static int
open_pidfd (const struct urun_state *s)
{
  int fd = (int) syscall (SYS_pidfd_open, s->pid, 0);

  if (fd >= 0 && !is_alive (s))
    {
      close (fd);
      errno = ESRCH;
      return -1;
    }
  return fd;
}

static bool
in_pid_namespace (pid_t pid, const struct stat *ns)
{
  char path[64];
  struct stat st;

  snprintf (path, sizeof path, "/proc/%d/ns/pid", (int) pid);
  return stat (path, &st) == 0 && st.st_ino == ns->st_ino && st.st_dev == ns->st_dev;
}

/* Every process whose pid namespace is the container's. */
static int
collect_pids (const struct urun_state *s, pid_t **out, size_t *n,
              struct urun_error *err)
{
  cleanup_closedir DIR *proc = NULL;
  cleanup_free pid_t *pids = xmalloc0 (sizeof (pid_t));
  char path[64];
  struct stat ns;
  struct dirent *de;

  if (s->cgroup.mode != URUN_CGROUP_NONE)
    return urun_cgroup_pids (&s->cgroup, out, n, err);
  *n = 0;
  snprintf (path, sizeof path, "/proc/%d/ns/pid", (int) s->pid);
  if (!s->has_pid_namespace || stat (path, &ns) < 0)
    {
      pids[(*n)++] = s->pid;
      *out = TAKE_PTR (pids);
      return 0;
    }
  proc = opendir ("/proc");
  if (proc == NULL)
    return urun_set_error (err, errno, "open `/proc`");
  while ((de = readdir (proc)) != NULL)
    {
      uint64_t pid;
      if (!urun_parse_u64 (de->d_name, &pid) || !in_pid_namespace ((pid_t) pid, &ns))
        continue;
      pids = xrealloc (pids, (*n + 1) * sizeof (pid_t));
      pids[(*n)++] = (pid_t) pid;
    }
  *out = TAKE_PTR (pids);
  return 0;
}

static int
signal_all (const struct urun_state *s, int sig, struct urun_error *err)
{
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;

  if (s->cgroup.mode != URUN_CGROUP_NONE)
    return urun_cgroup_signal (&s->cgroup, sig, err);
  if (collect_pids (s, &pids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      return urun_set_error (err, errno, "send signal %d to pid %d", sig, (int) pids[i]);
  return 0;
}

static int
signal_container (const struct urun_state *s, int sig, bool all,
                  struct urun_error *err)
{
  cleanup_close int pidfd = open_pidfd (s);

  if (pidfd < 0)
    return urun_set_error (err, errno == ESRCH ? 0 : errno, "container `%s` is not running", s->id);
  if (syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
    return urun_set_error (err, errno, "send signal %d to container `%s`", sig, s->id);
  return all ? signal_all (s, sig, err) : 0;
}

int
urun_container_kill (const struct urun_context *ctx, const char *id, int sig,
                     bool all, struct urun_error *err)
{
  cleanup_handle struct handle h = { .root_fd = -1, .dir_fd = -1 };

  if (open_handle (ctx, id, &h, err) < 0)
    return -1;
  return signal_container (&h.state, sig, all, err);
}

/* SIGKILL everything and wait for the pid to go (poll on its pidfd works for
 * processes that are not our children; pidfd_open(2), Linux 5.3+). */
static int
kill_and_wait (const struct urun_state *s, struct urun_error *err)
{
  cleanup_close int pidfd = open_pidfd (s);
  struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

  if (pidfd < 0)
    return 0; /* already gone */
  if (syscall (SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
    return urun_set_error (err, errno, "kill container `%s`", s->id);
  if (!s->has_pid_namespace && signal_all (s, SIGKILL, err) < 0)
    return -1;
  if (poll (&pfd, 1, 10000) <= 0)
    return urun_set_error (err, ETIMEDOUT, "wait for container `%s` to exit", s->id);
  return 0;
}

/* After the container is gone; a failure only warns. runtime-spec "Lifecycle" */
static void
run_poststop_hooks (const struct urun_spec *spec, const struct urun_state *s,
                    struct urun_error *spec_err)
{
  cleanup_free char *state = NULL;

  if (spec == NULL)
    {
      urun_warn ("delete `%s`: poststop hooks not run: %s", s->id, spec_err->msg);
      return;
    }
  if (spec->hooks[URUN_HOOK_POSTSTOP].n_hooks == 0)
    return;
  state = urun_state_to_json (s, "stopped", false);
  urun_run_hooks_warn (spec, URUN_HOOK_POSTSTOP, state);
}

int
urun_container_delete (const struct urun_context *ctx, const char *id,
                       bool force, struct urun_error *err)
{
  cleanup_handle struct handle h = { .root_fd = -1, .dir_fd = -1 };
  cleanup_error struct urun_error spec_err = URUN_ERROR_INIT;
  cleanup_spec struct urun_spec *spec = NULL;
  const char *status;

  if (open_handle (ctx, id, &h, err) < 0)
    {
      /* Forcing the delete of a container that does not exist succeeds, as
       * in runc and crun: podman cleans up that way after a failed create. */
      if (force && h.dir_fd < 0 && err->errnum == ENOENT)
        {
          urun_clear_error (err);
          return 0;
        }
      /* A state dir without a readable state.json (a create killed half-way)
       * can still be removed by force. */
      if (!force || h.dir_fd < 0)
        return -1;
      urun_clear_error (err);
      urun_network_stop (h.dir_fd);
      return urun_state_remove_dir (h.root_fd, id, err);
    }
  status = urun_container_status (&h.state, h.dir_fd);
  /* "Attempting to delete a container that is not stopped MUST generate
   * an error" — a created one included. runtime-spec runtime.md, delete */
  if (strcmp (status, "stopped") != 0 && !force)
    return urun_set_error (err, 0, "delete `%s`: the container is %s (stop it first, or use --force)", id, status);
  /* Kills what is left (and thaws a paused one), then removes it. */
  if (urun_cgroup_destroy (&h.state.cgroup, err) < 0)
    return urun_wrap_error (err, "delete `%s`", id);
  /* A create killed half-way may have left its process; with a cgroup,
   * destroying it killed everything. */
  if ((strcmp (status, "stopped") != 0
       || (h.state.creator > 0 && h.state.cgroup.mode == URUN_CGROUP_NONE))
      && kill_and_wait (&h.state, err) < 0)
    return urun_wrap_error (err, "delete `%s`", id);
  urun_notify_stop_relay (h.dir_fd);
  urun_network_stop (h.dir_fd);
  spec = urun_state_load_config (h.dir_fd, &spec_err);
  if (urun_state_remove_dir (h.root_fd, id, err) < 0)
    return -1;
  run_poststop_hooks (spec, &h.state, &spec_err);
  return 0;
}

static int
compare_pids (const void *a, const void *b)
{
  return *(const pid_t *) a - *(const pid_t *) b;
}

int
urun_container_pids (const struct urun_context *ctx, const char *id,
                     pid_t **pids, size_t *n, struct urun_error *err)
{
  cleanup_handle struct handle h = { .root_fd = -1, .dir_fd = -1 };

  if (open_handle (ctx, id, &h, err) < 0)
    return -1;
  if (!is_alive (&h.state))
    {
      *pids = NULL;
      *n = 0;
      return 0;
    }
  if (collect_pids (&h.state, pids, n, err) < 0)
    return -1;
  qsort (*pids, *n, sizeof (pid_t), compare_pids);
  return 0;
}
