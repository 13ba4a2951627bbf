/* container.c: creating and starting containers — load the bundle, spawn the
 * container process, write the state, and for `run` wait for it. */
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
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../userns/idmap.h"
#include "../userns/rootless.h"
#include "cleanup.h"
#include "hooks.h"
#include "init.h"
#include "log.h"
#include "namespaces.h"
#include "spec.h"
#include "sync.h"
#include "sysctl.h"
#include "terminal.h"
#include "utils.h"

/* What a create that fails half-way must undo: the container process and
 * the state directory. Disarmed (id = NULL) once the container exists. */
struct creation
{
  int root_fd;
  int dir_fd;
  const char *id;
  pid_t pid;
  int console_socket; /* --console-socket, connected before anything exists */
  int pty_master;     /* `run` without a console socket proxies it */
};

static void
undo_creation (struct creation *c)
{
  if (c->pid > 0)
    {
      kill (c->pid, SIGKILL);
      waitpid (c->pid, NULL, 0);
    }
  if (c->id != NULL)
    {
      struct urun_error ignored = URUN_ERROR_INIT;
      urun_state_remove_dir (c->root_fd, c->id, &ignored);
      urun_clear_error (&ignored);
    }
  if (c->dir_fd >= 0)
    close (c->dir_fd);
  if (c->console_socket >= 0)
    close (c->console_socket);
  if (c->pty_master >= 0)
    close (c->pty_master);
  if (c->root_fd >= 0)
    close (c->root_fd);
}
#define cleanup_creation __attribute__ ((cleanup (undo_creation)))

/* Everything known before any process exists. */
struct bundle
{
  char *path;   /* absolute bundle directory */
  char *rootfs; /* absolute rootfs */
  char *config; /* absolute config.json */
  struct urun_spec *spec;
};

static void
free_bundle (struct bundle *b)
{
  free (b->path);
  free (b->rootfs);
  free (b->config);
  urun_free_spec (b->spec);
}
#define cleanup_bundle __attribute__ ((cleanup (free_bundle)))

static int
check_spec_runnable (const struct urun_spec *spec, struct urun_error *err)
{
  const struct urun_namespace *uts = urun_spec_namespace (spec, URUN_NS_UTS);

  if (!spec->has_process)
    return urun_set_error (err, 0, "config.json: process: missing");
  if (!spec->has_root)
    return urun_set_error (err, 0, "config.json: root: missing");
  if (urun_spec_namespace (spec, URUN_NS_MOUNT) == NULL)
    return urun_set_error (err, 0, "config.json: linux.namespaces: a mount namespace is required");
  if ((spec->hostname || spec->domainname) && uts == NULL)
    return urun_set_error (err, 0, "config.json: hostname: setting it needs a uts namespace of the container's own");
  return urun_sysctl_check (spec, err);
}

static int
load_bundle (const struct urun_create_opts *opts, struct bundle *b,
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
  return urun_rootless_adapt_spec (b->spec, err);
}

/* Answer the child's requests until it reports READY; returns the pid of the
 * container's process (in the staged path, the grandchild). */
/* The pty master: to the console socket, or kept for `run` to proxy. */
static int
receive_terminal (int sync_fd, struct creation *c, struct urun_error *err)
{
  cleanup_close int master = -1;

  if (urun_sync_expect_fd (sync_fd, URUN_SYNC_TERMINAL, &master, err) < 0)
    return -1;
  if (c->console_socket < 0)
    {
      c->pty_master = TAKE_FD (master);
      return 0;
    }
  return urun_console_socket_send (c->console_socket, master, err);
}

/* prestart (deprecated, same time) and createRuntime: in urun, after the
 * container's namespaces and mounts exist, before pivot_root. */
static int
run_create_hooks (const struct bundle *b, const char *id, int sync_fd,
                  pid_t pid, struct urun_error *err)
{
  cleanup_free char *state = NULL;

  if (urun_sync_expect (sync_fd, URUN_SYNC_CREATE_HOOKS, NULL, err) < 0)
    return -1;
  state = urun_state_json_of_spec (b->spec, id, pid, b->path, "creating");
  if (urun_run_hooks (b->spec, URUN_HOOK_PRESTART, state, err) < 0
      || urun_run_hooks (b->spec, URUN_HOOK_CREATE_RUNTIME, state, err) < 0)
    return -1;
  return urun_sync_send (sync_fd, URUN_SYNC_HOOKS_DONE, pid, err);
}

static int
serve_child (const struct bundle *b, const char *id, int sync_fd, pid_t child,
             bool staged, struct creation *c, struct urun_error *err)
{
  const struct urun_linux *l = &b->spec->linux_;
  unsigned long flags = urun_ns_new_flags (b->spec);
  int init_pid = child;

  if (flags & CLONE_NEWUSER)
    {
      if (urun_sync_expect (sync_fd, URUN_SYNC_MAP_IDS, NULL, err) < 0)
        return -1;
      if (urun_write_id_maps (child, l->uid_mappings, l->n_uid_mappings,
                              l->gid_mappings, l->n_gid_mappings, err) < 0)
        return urun_wrap_error (err, "set up user namespace");
      if (urun_sync_send (sync_fd, URUN_SYNC_IDS_MAPPED, 0, err) < 0)
        return -1;
    }
  if (staged && urun_spec_namespace (b->spec, URUN_NS_PID) != NULL)
    {
      if (urun_sync_expect (sync_fd, URUN_SYNC_INIT_PID, &init_pid, err) < 0)
        return -1;
      waitpid (child, NULL, 0);
    }
  c->pid = init_pid;
  if (urun_hooks_at_create (b->spec) && run_create_hooks (b, id, sync_fd, init_pid, err) < 0)
    return -1;
  if (b->spec->process.terminal && receive_terminal (sync_fd, c, err) < 0)
    return -1;
  return urun_sync_expect (sync_fd, URUN_SYNC_READY, NULL, err);
}

/* Clone the container process and take it to READY. FIFO_FD is exec.fifo's
 * reader for `create`, -1 for `run`. Returns our end of the sync socket. */
static int
spawn_container (const struct bundle *b, const struct urun_create_opts *opts,
                 int fifo_fd, struct creation *c, struct urun_error *err)
{
  unsigned long flags = urun_ns_new_flags (b->spec);
  bool staged = urun_ns_has_joins (b->spec) || (flags & CLONE_NEWTIME);
  struct urun_init_args a = {
    .spec = b->spec,
    .id = opts->id,
    .rootfs = { .path = b->rootfs, .bundle = b->path, .root_fd = -1,
                .in_user_namespace = (flags & CLONE_NEWUSER) || geteuid () != 0 },
    .fifo_fd = fifo_fd,
    .no_pivot = opts->no_pivot,
    .no_new_keyring = opts->no_new_keyring,
    .pty_slave = -1,
    .preserve_fds = opts->preserve_fds,
    .staged = staged,
    .new_ns_flags = flags,
  };
  cleanup_close int parent_end = -1;
  int fds[2];
  pid_t child;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
    return urun_set_error (err, errno, "create sync socket");
  parent_end = fds[0];
  child = urun_clone (staged ? 0 : flags, err);
  if (child < 0)
    {
      close (fds[1]);
      return -1;
    }
  if (child == 0)
    {
      a.sync_fd = fds[1];
      urun_init_container (&a);
    }
  close (fds[1]);
  c->pid = child;
  if (serve_child (b, opts->id, parent_end, child, staged, c, err) < 0)
    return -1;
  return TAKE_FD (parent_end);
}

static char *
now_rfc3339 (void)
{
  struct timespec ts;
  struct tm tm;
  char buf[64];

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return xasprintf ("%s.%09ldZ", buf, ts.tv_nsec);
}

static int
write_state (const struct bundle *b, const char *id, pid_t pid, int dir_fd,
             struct urun_error *err)
{
  struct urun_state s = {
    .id = (char *) id,
    .pid = pid,
    .pid_start_time = urun_pid_start_time (pid),
    .bundle = b->path,
    .rootfs = b->rootfs,
    .created = now_rfc3339 (),
    .owner = "",
    .has_pid_namespace = urun_spec_namespace (b->spec, URUN_NS_PID) != NULL,
    .annotations = b->spec->annotations,
    .n_annotations = b->spec->n_annotations,
  };
  int r = urun_state_write (dir_fd, &s, err);

  free (s.created);
  return r;
}

/* Written atomically, as runc does: conmon reads it as soon as we exit. */
static int
write_pid_file (const char *path, pid_t pid, struct urun_error *err)
{
  cleanup_free char *tmp = xasprintf ("%s.tmp", path);
  cleanup_free char *text = xasprintf ("%d", (int) pid);
  cleanup_close int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  if (fd < 0)
    return urun_set_error (err, errno, "create pid file `%s`", tmp);
  if (urun_write_all (fd, text, strlen (text)) < 0 || rename (tmp, path) < 0)
    {
      int saved = errno;
      unlink (tmp);
      return urun_set_error (err, saved, "write pid file `%s`", path);
    }
  return 0;
}

/* A terminal goes to --console-socket; only a foreground `run` can use the
 * caller's own terminal instead (runc refuses the same way). */
static int
open_console_socket (const struct urun_spec *spec,
                     const struct urun_create_opts *opts, bool foreground,
                     struct creation *c, struct urun_error *err)
{
  if (!spec->process.terminal || (opts->console_socket == NULL && foreground))
    return 0;
  if (opts->console_socket == NULL)
    return urun_set_error (err, 0, "process.terminal is true: give --console-socket (only a foreground `run` can use your terminal)");
  c->console_socket = urun_console_socket_connect (opts->console_socket, err);
  return c->console_socket < 0 ? -1 : 0;
}

/* The part create and run share: up to a READY container with its state
 * written. Returns the sync socket (run starts the process through it). */
static int
create_container (const struct urun_context *ctx,
                  const struct urun_create_opts *opts, bool use_fifo,
                  struct creation *c, struct bundle *b, struct urun_error *err)
{
  cleanup_close int fifo_fd = -1;
  int sync_fd;

  if (urun_state_check_id (opts->id, err) < 0 || load_bundle (opts, b, err) < 0)
    return -1;
  if (open_console_socket (b->spec, opts, !use_fifo && !opts->detach, c, err) < 0)
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
  sync_fd = spawn_container (b, opts, fifo_fd, c, err);
  if (sync_fd < 0)
    return -1;
  if (write_state (b, opts->id, c->pid, c->dir_fd, err) < 0
      || (opts->pid_file && write_pid_file (opts->pid_file, c->pid, err) < 0))
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
  cleanup_creation struct creation c = { .root_fd = -1, .dir_fd = -1, .console_socket = -1, .pty_master = -1 };
  cleanup_bundle struct bundle b = { 0 };
  int sync_fd = create_container (ctx, opts, true, &c, &b, err);

  if (sync_fd < 0)
    return urun_wrap_error (err, "create `%s`", opts->id);
  close (sync_fd);
  c.id = NULL;
  c.pid = 0;
  return 0;
}

static int
exit_code (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 255;
}

/* The signals a foreground `run` passes on to the container, as runc does. */
static void
forwarded_signals (sigset_t *set)
{
  static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1,
                              SIGUSR2, SIGWINCH, SIGCONT, SIGALRM, SIGPIPE };

  sigemptyset (set);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    sigaddset (set, sigs[i]);
  sigaddset (set, SIGCHLD);
}

/* Reap what exited; true when it was PID (its exit code in *CODE). We are a
 * subreaper, so orphans of the staged path land here too. */
static bool
reap (pid_t pid, int *code)
{
  int status;
  pid_t w;

  while ((w = waitpid (-1, &status, WNOHANG)) > 0)
    if (w == pid)
      {
        *code = exit_code (status);
        return true;
      }
  return false;
}

static void
handle_signal (int sfd, pid_t pid, struct urun_tty_proxy *proxy)
{
  struct signalfd_siginfo si;

  if (read (sfd, &si, sizeof si) != sizeof si || si.ssi_signo == SIGCHLD)
    return;
  if (si.ssi_signo == SIGWINCH && proxy)
    urun_tty_proxy_resize (proxy);
  else
    kill (pid, (int) si.ssi_signo);
}

/* Forward signals (and, with a pty, copy the caller's terminal both ways)
 * until PID exits; returns its exit code. */
static int
wait_forwarding (pid_t pid, const sigset_t *set, struct urun_tty_proxy *proxy)
{
  cleanup_close int sfd = signalfd (-1, set, SFD_CLOEXEC);
  struct pollfd pfds[3] = {
    { .fd = sfd, .events = POLLIN },
    { .fd = proxy ? proxy->master : -1, .events = POLLIN },
    { .fd = proxy ? 0 : -1, .events = POLLIN },
  };
  int code = 0;

  while (!reap (pid, &code))
    {
      if (poll (pfds, 3, -1) < 0)
        continue;
      if (pfds[0].revents & POLLIN)
        handle_signal (sfd, pid, proxy);
      if ((pfds[1].revents & (POLLIN | POLLHUP)) && !urun_tty_proxy_copy (pfds[1].fd, 1))
        pfds[1].fd = -1; /* the pty hangs up when the process exits */
      if ((pfds[2].revents & (POLLIN | POLLHUP)) && !urun_tty_proxy_copy (0, proxy->master))
        pfds[2].fd = -1;
    }
  return code;
}

static void
remove_stopped (int root_fd, const struct bundle *b, const char *id)
{
  struct urun_error err = URUN_ERROR_INIT;
  int dir_fd = urun_state_open_dir (root_fd, id, &err);

  /* A concurrent `delete` may have removed it already (and ran poststop). */
  if (dir_fd >= 0)
    {
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
wait_foreground (const struct urun_create_opts *opts, const struct bundle *b,
                 struct creation *c, pid_t pid, const sigset_t *set,
                 const sigset_t *old)
{
  struct urun_tty_proxy proxy;
  bool has_pty = c->pty_master >= 0;
  int code;

  if (has_pty)
    urun_tty_proxy_start (&proxy, c->pty_master);
  code = wait_forwarding (pid, set, has_pty ? &proxy : NULL);
  if (has_pty)
    urun_tty_proxy_stop (&proxy);
  sigprocmask (SIG_SETMASK, old, NULL);
  if (!opts->keep)
    remove_stopped (c->root_fd, b, opts->id);
  return code;
}

int
urun_container_run (const struct urun_context *ctx,
                    const struct urun_create_opts *opts, int *exit_status,
                    struct urun_error *err)
{
  cleanup_creation struct creation c = { .root_fd = -1, .dir_fd = -1, .console_socket = -1, .pty_master = -1 };
  cleanup_bundle struct bundle b = { 0 };
  cleanup_close int sync_fd = -1;
  sigset_t set, old;
  pid_t pid;

  signal (SIGCHLD, SIG_DFL);
  prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  sync_fd = create_container (ctx, opts, false, &c, &b, err);
  if (sync_fd < 0)
    return urun_wrap_error (err, "run `%s`", opts->id);
  forwarded_signals (&set);
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
  const char *status;

  if (root_fd < 0 || (dir_fd = urun_state_open_dir (root_fd, id, err)) < 0)
    return -1;
  if (urun_state_read (dir_fd, &state, err) < 0)
    return urun_wrap_error (err, "start `%s`", id);
  status = urun_container_status (&state, dir_fd);
  if (strcmp (status, "created") != 0)
    return urun_set_error (err, 0, "start `%s`: the container is %s, not created", id, status);
  if (release_fifo (dir_fd, id, err) < 0)
    return -1;
  spec = urun_state_load_config (dir_fd, err);
  if (spec == NULL)
    return urun_wrap_error (err, "start `%s`: poststart hooks", id);
  run_poststart_hooks (spec, id, state.pid, state.bundle);
  return 0;
}
