/* container.c: creating and starting containers — load the bundle, spawn the
 * container process (spawn.c), write the state, and for `run` wait for it. */
#define _GNU_SOURCE
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../userns/rootless.h"
#include "cleanup.h"
#include "hooks.h"
#include "log.h"
#include "namespaces.h"
#include "network.h"
#include "notify.h"
#include "overlay.h"
#include "sharedmnt.h"
#include "spawn.h"
#include "spec.h"
#include "sync.h"
#include "sysctl.h"
#include "utils.h"

static int
check_spec_runnable (const struct urun_spec *spec, struct urun_error *err)
{
  const struct urun_namespace *uts = urun_spec_namespace (spec, URUN_NS_UTS);

  if (!spec->has_process)
    return urun_set_error (err, 0, "config.json: process: missing");
  if (!spec->has_root)
    return urun_set_error (err, 0, "config.json: root: missing");
  if ((spec->hostname || spec->domainname) && uts == NULL)
    return urun_set_error (err, 0, "config.json: hostname: setting it needs a uts namespace of the container's own");
  if (urun_cgroup_check_spec (spec, err) < 0 || urun_network_check_spec (spec, err) < 0)
    return -1;
  return urun_sysctl_check (spec, err);
}

static int
load_bundle (const struct urun_create_opts *opts, struct urun_bundle *b,
             struct urun_error *err)
{
  char path[PATH_MAX];
  struct stat st;
  const char *dir = opts->bundle ? opts->bundle : ".";

  if (realpath (dir, path) == NULL)
    return urun_set_error (err, errno, "bundle `%s`", dir);
  b->path = xstrdup (path);
  b->config = xasprintf ("%s/config.json", b->path);
  b->spec = urun_load_spec (b->config, "config.json", err);
  if (b->spec == NULL || check_spec_runnable (b->spec, err) < 0)
    return -1;
  if (b->spec->root.path[0] == '/')
    b->rootfs = xstrdup (b->spec->root.path);
  else
    b->rootfs = xasprintf ("%s/%s", b->path, b->spec->root.path);
  if (stat (b->rootfs, &st) < 0)
    return urun_set_error (err, errno, "config.json: root.path: rootfs `%s`", b->rootfs);
  if (!S_ISDIR (st.st_mode))
    return urun_set_error (err, ENOTDIR, "config.json: root.path: rootfs `%s`", b->rootfs);
  if (urun_spec_namespace (b->spec, URUN_NS_MOUNT) == NULL
      && urun_sharedmnt_check (b->spec, b->rootfs, err) < 0)
    return -1;
  /* User namespace and overlays: checked here, before anything exists. */
  if (urun_rootless_adapt_spec (b->spec, opts->userns, err) < 0)
    return -1;
  return urun_overlay_prepare_spec (b->spec, b->path, b->rootfs, err);
}

/* The part create and run share: up to a READY container with its state
 * written (and its NOTIFY_SOCKET relay running). Returns the sync socket
 * (run starts the process through it). */
static int
create_container (const struct urun_context *ctx,
                  const struct urun_create_opts *opts, bool use_fifo,
                  struct urun_launch *c, struct urun_bundle *b,
                  struct urun_notify *notify, struct urun_network_helper *net,
                  struct urun_error *err)
{
  cleanup_close int fifo_fd = -1;
  int sync_fd;

  if (urun_state_check_id (opts->id, err) < 0 || load_bundle (opts, b, err) < 0)
    return -1;
  if (urun_open_console_socket (b->spec, opts, !use_fifo && !opts->detach, c, err) < 0)
    return -1;
  c->root_fd = urun_state_open_root (ctx->state_root, err);
  if (c->root_fd < 0)
    return -1;
  c->dir_fd = urun_state_create_dir (c->root_fd, opts->id, err);
  if (c->dir_fd < 0)
    return -1;
  c->id = opts->id;
  if (urun_state_save_config (c->dir_fd, b->config, err) < 0)
    return -1;
  if (use_fifo)
    {
      if (mkfifoat (c->dir_fd, URUN_STATE_FIFO, 0600) < 0)
        return urun_set_error (err, errno, "create exec.fifo");
      fifo_fd = openat (c->dir_fd, URUN_STATE_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
      if (fifo_fd < 0)
        return urun_set_error (err, errno, "open exec.fifo");
    }
  /* state.json before the cgroup exists, and again once it does (then
   * with the pid, in urun_spawn): a create killed at any point leaves
   * what `delete` needs to undo it. */
  if (urun_notify_prepare (c->dir_fd, b->spec, notify, err) < 0
      || urun_cgroup_plan (b->spec, opts->id, ctx->state_root, ctx->systemd_cgroup,
                           &c->cgroup, err) < 0
      || urun_launch_write_state (b, c, true, err) < 0
      || urun_cgroup_make (b->spec, &c->cgroup, err) < 0)
    return -1;
  urun_test_pause_at ("cgroup");
  if (urun_launch_write_state (b, c, true, err) < 0)
    return -1;
  sync_fd = urun_spawn (b, opts, fifo_fd, c, err);
  if (sync_fd < 0)
    return -1;
  /* The network namespace exists now; `start`ed processes find it up. */
  if (urun_network_start (b->spec, c->dir_fd, c->pid, net, err) < 0)
    {
      close (sync_fd);
      return -1;
    }
  /* A foreground `run` stays the service's main process, to pass on the
   * container's exit status: it is MAINPID then, as in runc. */
  if (urun_launch_write_state (b, c, false, err) < 0
      || (opts->pid_file && urun_write_pid_file (opts->pid_file, c->pid, err) < 0)
      || urun_notify_start_relay (c->dir_fd, notify, c->pid,
                                  use_fifo || opts->detach ? c->pid : getpid (), err) < 0)
    {
      close (sync_fd);
      return -1;
    }
  urun_debug ("container `%s` created, pid %d", opts->id, (int) c->pid);
  return sync_fd;
}

int
urun_container_create (const struct urun_context *ctx,
                       const struct urun_create_opts *opts,
                       struct urun_error *err)
{
  /* Declared first, released last: after a failed launch killed the
   * container, which ends the relay. */
  cleanup_notify struct urun_notify notify = URUN_NOTIFY_INIT;
  cleanup_launch struct urun_launch c = URUN_LAUNCH_INIT;
  cleanup_bundle struct urun_bundle b = { 0 };
  cleanup_network_helper struct urun_network_helper net = URUN_NETWORK_HELPER_INIT;
  int sync_fd = create_container (ctx, opts, true, &c, &b, &notify, &net, err);

  if (sync_fd < 0)
    return urun_wrap_error (err, "create `%s`", opts->id);
  close (sync_fd);
  c.id = NULL;
  c.pid = 0;
  notify.is_armed = false;
  net.is_armed = false;
  return 0;
}

static void
remove_stopped (int root_fd, const struct urun_bundle *b, const char *id,
                struct urun_cgroup *cgroup)
{
  struct urun_error err = URUN_ERROR_INIT;
  int dir_fd = urun_state_open_dir (root_fd, id, &err);

  /* A concurrent `delete` may have removed it already (and ran poststop). */
  if (dir_fd >= 0)
    {
      if (urun_cgroup_destroy (cgroup, &err) < 0)
        {
          cleanup_free char *msg = urun_format_error (&err);
          urun_warn ("run `%s`: %s", id, msg);
        }
      urun_clear_error (&err);
      urun_state_remove_dir (root_fd, id, &err);
      close (dir_fd);
      if (b->spec->hooks[URUN_HOOK_POSTSTOP].n_hooks)
        {
          cleanup_free char *state = urun_state_json_of_spec (b->spec, id, 0, b->path, "stopped");
          urun_run_hooks_warn (b->spec, URUN_HOOK_POSTSTOP, state);
        }
    }
  urun_clear_error (&err);
}

static void
run_poststart_hooks (const struct urun_spec *spec, const char *id, pid_t pid,
                     const char *bundle)
{
  cleanup_free char *state = NULL;

  if (spec->hooks[URUN_HOOK_POSTSTART].n_hooks == 0)
    return;
  state = urun_state_json_of_spec (spec, id, pid, bundle, "running");
  urun_run_hooks_warn (spec, URUN_HOOK_POSTSTART, state);
}

/* Foreground `run`: forward signals and proxy the pty until the container
 * exits; then delete it unless --keep. */
static int
wait_foreground (const struct urun_create_opts *opts, const struct urun_bundle *b,
                 struct urun_launch *c, pid_t pid, const sigset_t *set,
                 const sigset_t *old)
{
  struct urun_tty_proxy proxy;
  bool has_pty = c->pty_master >= 0;
  int code;

  if (has_pty)
    urun_tty_proxy_start (&proxy, c->pty_master);
  code = urun_wait_forwarding (pid, set, has_pty ? &proxy : NULL);
  if (has_pty)
    urun_tty_proxy_stop (&proxy);
  sigprocmask (SIG_SETMASK, old, NULL);
  if (!opts->keep)
    remove_stopped (c->root_fd, b, opts->id, &c->cgroup);
  return code;
}

int
urun_container_run (const struct urun_context *ctx,
                    const struct urun_create_opts *opts, int *exit_status,
                    struct urun_error *err)
{
  cleanup_notify struct urun_notify notify = URUN_NOTIFY_INIT; /* released last */
  cleanup_launch struct urun_launch c = URUN_LAUNCH_INIT;
  cleanup_bundle struct urun_bundle b = { 0 };
  /* Released before the launch: a foreground run stops its helper. */
  cleanup_network_helper struct urun_network_helper net = URUN_NETWORK_HELPER_INIT;
  cleanup_close int sync_fd = -1;
  sigset_t set, old;
  pid_t pid;

  signal (SIGCHLD, SIG_DFL);
  prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  sync_fd = create_container (ctx, opts, false, &c, &b, &notify, &net, err);
  if (sync_fd < 0)
    return urun_wrap_error (err, "run `%s`", opts->id);
  urun_forwarded_signals (&set);
  if (!opts->detach)
    sigprocmask (SIG_BLOCK, &set, &old);
  if (urun_sync_send (sync_fd, URUN_SYNC_START, 0, err) < 0
      || urun_sync_wait_exec (sync_fd, err) < 0)
    return urun_wrap_error (err, "run `%s`", opts->id);
  /* The container exists now: release its lock for other commands. */
  close (TAKE_FD (c.dir_fd));
  pid = c.pid;
  c.id = NULL;
  c.pid = 0;
  run_poststart_hooks (b.spec, opts->id, pid, b.path);
  /* With NOTIFY_SOCKET, `run -d` returns once READY=1 reached the manager,
   * as in runc; the relay outlives us. */
  notify.is_armed = !opts->detach;
  net.is_armed = !opts->detach;
  if (opts->detach && urun_notify_wait_ready (&notify, err) < 0)
    return urun_wrap_error (err, "run `%s`", opts->id);
  *exit_status = opts->detach ? 0 : wait_foreground (opts, &b, &c, pid, &set, &old);
  return 0;
}

/* Write the one byte the container process waits for on exec.fifo. */
static int
release_fifo (int dir_fd, const char *id, struct urun_error *err)
{
  cleanup_close int fifo_fd = openat (dir_fd, URUN_STATE_FIFO, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

  /* ENXIO: no reader, so the container process is gone. fifo(7) */
  if (fifo_fd < 0 && errno == ENXIO)
    return urun_set_error (err, 0, "start `%s`: the container process is gone", id);
  if (fifo_fd < 0)
    return urun_set_error (err, errno, "start `%s`: open exec.fifo", id);
  if (urun_write_all (fifo_fd, "0", 1) < 0)
    return urun_set_error (err, errno, "start `%s`: write exec.fifo", id);
  if (unlinkat (dir_fd, URUN_STATE_FIFO, 0) < 0)
    return urun_set_error (err, errno, "start `%s`: remove exec.fifo", id);
  return 0;
}

int
urun_container_start (const struct urun_context *ctx, const char *id,
                      struct urun_error *err)
{
  cleanup_close int root_fd = urun_state_open_root (ctx->state_root, err);
  cleanup_close int dir_fd = -1;
  cleanup_state struct urun_state state = { 0 };
  cleanup_spec struct urun_spec *spec = NULL;
  cleanup_notify struct urun_notify notify = URUN_NOTIFY_INIT;
  const char *status;

  if (root_fd < 0 || (dir_fd = urun_state_open_dir (root_fd, id, err)) < 0)
    return -1;
  if (urun_state_read (dir_fd, &state, err) < 0)
    return urun_wrap_error (err, "start `%s`", id);
  status = urun_container_status (&state, dir_fd);
  if (strcmp (status, "created") != 0)
    return urun_set_error (err, 0, "start `%s`: the container is %s, not created", id, status);
  if (urun_notify_open (dir_fd, &notify, err) < 0)
    return urun_wrap_error (err, "start `%s`", id);
  if (release_fifo (dir_fd, id, err) < 0)
    return -1;
  spec = urun_state_load_config (dir_fd, err);
  if (spec == NULL)
    return urun_wrap_error (err, "start `%s`: poststart hooks", id);
  run_poststart_hooks (spec, id, state.pid, state.bundle);
  /* As runc: with a relay, return once READY=1 reached the manager; unlock
   * first, so that `state` and `kill` work meanwhile. */
  close (TAKE_FD (dir_fd));
  if (urun_notify_wait_ready (&notify, err) < 0)
    return urun_wrap_error (err, "start `%s`", id);
  return 0;
}
