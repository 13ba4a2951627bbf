/* spawn.c: the parent's side of starting a process in a container — clone,
 * ID maps, create hooks, the pty — and the foreground wait. */
#define _GNU_SOURCE
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <linux/seccomp.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../userns/idmap.h"
#include "cleanup.h"
#include "hooks.h"
#include "init.h"
#include "namespaces.h"
#include "overlay.h"
#include "seccomp.h"
#include "sharedmnt.h"
#include "state.h"
#include "sync.h"
#include "utils.h"

void
urun_launch_undo (struct urun_launch *c)
{
  if (c->pid > 0)
    {
      kill (c->pid, SIGKILL);
      waitpid (c->pid, NULL, 0);
    }
  if (c->id != NULL)
    {
      struct urun_error ignored = URUN_ERROR_INIT;
      urun_cgroup_undo (&c->cgroup);
      urun_state_remove_dir (c->root_fd, c->id, &ignored);
      urun_clear_error (&ignored);
    }
  urun_cgroup_free (&c->cgroup);
  if (c->dir_fd >= 0)
    close (c->dir_fd);
  if (c->console_socket >= 0)
    close (c->console_socket);
  if (c->pty_master >= 0)
    close (c->pty_master);
  if (c->root_fd >= 0)
    close (c->root_fd);
}


void
urun_bundle_free (struct urun_bundle *b)
{
  free (b->path);
  free (b->rootfs);
  free (b->config);
  urun_free_spec (b->spec);
}

/* Answer the child's requests until it reports READY; returns the pid of the
 * container's process (in the staged path, the grandchild). */
/* The pty master: to the console socket, or kept for `run` to proxy. */
static int
receive_terminal (int sync_fd, struct urun_launch *c, struct urun_error *err)
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
run_create_hooks (const struct urun_bundle *b, const char *id, int sync_fd,
                  pid_t pid, struct urun_error *err)
{
  cleanup_free char *state = NULL;

  if (urun_sync_expect (sync_fd, URUN_SYNC_CREATE_HOOKS, NULL, err) < 0)
    return -1;
  urun_test_pause_at ("hooks");
  /* "created", as for createContainer (init.c): the hooks are lifecycle
   * steps 3-5, after the environment of step 2 exists, and `created` is
   * the status "after step 2" (runtime-spec runtime.md, State and
   * Lifecycle). crun does the same, runc says "creating"; the
   * runtime-tools suite (hooks_stdin) wants "created". */
  state = urun_state_json_of_spec (b->spec, id, pid, b->path, "created");
  if (urun_run_hooks (b->spec, URUN_HOOK_PRESTART, state, err) < 0
      || urun_run_hooks (b->spec, URUN_HOOK_CREATE_RUNTIME, state, err) < 0)
    return -1;
  return urun_sync_send (sync_fd, URUN_SYNC_HOOKS_DONE, pid, err);
}

/* SCMP_ACT_NOTIFY: the child's listener fd goes to the agent at
 * linux.seccomp.listenerPath with the container state, as runc sends it
 * (runtime-spec config-linux.md, "Seccomp"); without a path it is closed. */
static int
pass_seccomp_listener (const struct urun_bundle *b, const char *id,
                       int sync_fd, pid_t pid, struct urun_error *err)
{
  const struct urun_seccomp *s = &b->spec->linux_.seccomp;
  cleanup_close int listener = -1;
  cleanup_free char *state = NULL;

  if (urun_sync_expect_fd (sync_fd, URUN_SYNC_SECCOMP_LISTENER, &listener, err) < 0)
    return -1;
  if (s->listener_path)
    {
      state = urun_state_json_of_spec (b->spec, id, pid, b->path, "creating");
      if (urun_seccomp_send_listener (s->listener_path, s->listener_metadata, listener,
                                      state, pid, err) < 0)
        return urun_wrap_error (err, "linux.seccomp.listenerPath");
    }
  return urun_sync_send (sync_fd, URUN_SYNC_SECCOMP_DONE, 0, err);
}

static int
serve_child (const struct urun_bundle *b, const char *id, int sync_fd, pid_t child,
             bool staged, const struct urun_seccomp_program *seccomp,
             struct urun_launch *c, struct urun_error *err)
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
      if (urun_cgroup_enter_late (&c->cgroup, init_pid, err) < 0)
        return -1;
    }
  c->pid = init_pid;
  if (c->id != NULL && urun_launch_write_state (b, c, true, err) < 0)
    return -1;
  if (urun_overlay_serve (b->spec, b->rootfs, sync_fd, init_pid, c->dir_fd, err) < 0)
    return -1;
  if (urun_hooks_at_create (b->spec) && run_create_hooks (b, id, sync_fd, init_pid, err) < 0)
    return -1;
  if (b->spec->process.terminal && receive_terminal (sync_fd, c, err) < 0)
    return -1;
  if (seccomp && (seccomp->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)
      && pass_seccomp_listener (b, id, sync_fd, c->pid, err) < 0)
    return -1;
  return urun_sync_expect (sync_fd, URUN_SYNC_READY, NULL, err);
}

/* Clone the container process and take it to READY. FIFO_FD is exec.fifo's
 * reader for `create`, -1 for `run`. Returns our end of the sync socket. */
int
urun_spawn (const struct urun_bundle *b, const struct urun_create_opts *opts,
            int fifo_fd, struct urun_launch *c, struct urun_error *err)
{
  __attribute__ ((cleanup (urun_seccomp_free))) struct urun_seccomp_program seccomp = URUN_SECCOMP_PROGRAM_INIT;
  unsigned long flags = urun_ns_new_flags (b->spec);
  bool staged = urun_ns_has_joins (b->spec) || (flags & CLONE_NEWTIME);
  struct urun_init_args a = {
    .spec = b->spec,
    .id = opts->id,
    .rootfs = { .path = b->rootfs, .bundle = b->path, .root_fd = -1,
                .in_user_namespace = (flags & CLONE_NEWUSER) || urun_is_rootless () },
    .fifo_fd = fifo_fd,
    .no_pivot = opts->no_pivot,
    .no_new_keyring = opts->no_new_keyring,
    .pty_slave = -1,
    .preserve_fds = opts->preserve_fds,
    .staged = staged,
    .new_ns_flags = flags,
  };
  cleanup_close int parent_end = -1;
  cleanup_close int root_fd = -1;
  int fds[2];
  pid_t child;

  /* Compiled here, before any process exists: a bad profile fails early. */
  if (b->spec->linux_.has_seccomp)
    {
      if (urun_seccomp_prepare (&b->spec->linux_.seccomp, &seccomp, err) < 0)
        return -1;
      a.seccomp = &seccomp;
    }
  /* In a mount namespace urun does not make, the root as urun sees it. */
  if (urun_sharedmnt_open_root (b->spec, b->rootfs, &root_fd, err) < 0)
    return -1;
  a.rootfs.root_fd = root_fd;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
    return urun_set_error (err, errno, "create sync socket");
  parent_end = fds[0];
  /* v1 cgroups are entered and a systemd scope started after the clone:
   * the cgroup namespace after them (init.c, enter_cgroup_namespace). */
  a.late_cgroupns = urun_cgroup_must_wait (&c->cgroup, flags);
  child = urun_cgroup_clone (&c->cgroup, b->spec,
                             staged ? 0 : flags & ~(a.late_cgroupns ? CLONE_NEWCGROUP : 0UL), err);
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
  if (a.late_cgroupns && urun_sync_send (parent_end, URUN_SYNC_IN_CGROUP, 0, err) < 0)
    return -1;
  if (serve_child (b, opts->id, parent_end, child, staged, a.seccomp, c, err) < 0)
    return -1;
  return TAKE_FD (parent_end);
}

int
urun_launch_write_state (const struct urun_bundle *b, const struct urun_launch *l,
                         bool creating, struct urun_error *err)
{
  cleanup_free char *created = urun_now_rfc3339 ();
  struct urun_state s = {
    .id = (char *) l->id,
    .pid = l->pid,
    .pid_start_time = l->pid > 0 ? urun_pid_start_time (l->pid) : 0,
    .bundle = b->path,
    .rootfs = b->rootfs,
    .created = created,
    .owner = "",
    .has_pid_namespace = urun_spec_namespace (b->spec, URUN_NS_PID) != NULL,
    .annotations = b->spec->annotations,
    .n_annotations = b->spec->n_annotations,
    .cgroup = l->cgroup,
    .creator = creating ? getpid () : 0,
    .creator_start_time = creating ? urun_pid_start_time (getpid ()) : 0,
  };

  return urun_state_write (l->dir_fd, &s, err);
}

/* Written atomically, as runc does: conmon reads it as soon as we exit. */
int
urun_write_pid_file (const char *path, pid_t pid, struct urun_error *err)
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
int
urun_open_console_socket (const struct urun_spec *spec,
                     const struct urun_create_opts *opts, bool foreground,
                     struct urun_launch *c, struct urun_error *err)
{
  if (!spec->process.terminal || (opts->console_socket == NULL && foreground))
    return 0;
  if (opts->console_socket == NULL)
    return urun_set_error (err, 0, "process.terminal is true: give --console-socket (only a foreground `run` can use your terminal)");
  c->console_socket = urun_console_socket_connect (opts->console_socket, err);
  return c->console_socket < 0 ? -1 : 0;
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
void
urun_forwarded_signals (sigset_t *set)
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
int
urun_wait_forwarding (pid_t pid, const sigset_t *set, struct urun_tty_proxy *proxy)
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

