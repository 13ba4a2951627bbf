/* init.c: the container process, from clone to execve. */
#define _GNU_SOURCE
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/keyctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "namespaces.h"
#include "process.h"
#include "selfclone.h"
#include "sharedmnt.h"
#include "sync.h"
#include "hooks.h"
#include "state.h"
#include "sysctl.h"
#include "terminal.h"
#include "utils.h"

/* unshare(CLONE_NEWPID) and setns(pid) only move children: pid 1 is a
 * fork. This process reports its pid and exits; the child waits on a pipe
 * until the report is sent, so that urun reads INIT_PID before anything
 * the child sends. */
static int
fork_pid_one (struct urun_init_args *a, struct urun_error *err)
{
  int gate[2];
  char byte;
  pid_t child;

  if (pipe2 (gate, O_CLOEXEC) < 0)
    return urun_set_error (err, errno, "create a pipe");
  child = fork ();
  if (child < 0)
    return urun_set_error (err, errno, "fork the container's pid 1");
  if (child == 0)
    {
      close (gate[1]);
      if (read (gate[0], &byte, 1) != 1)
        _exit (1);
      close (gate[0]);
      return 0;
    }
  if (urun_sync_send (a->sync_fd, URUN_SYNC_INIT_PID, child, err) < 0)
    urun_sync_fail (a->sync_fd, err);
  if (write (gate[1], "1", 1) != 1)
    _exit (1);
  _exit (0);
}

/* In the user namespace just created: ask urun for its ID mapping, and
 * meanwhile (urun runs newuidmap and newgidmap, on another core if there
 * is one) protect the binary, which needs only the namespace's
 * capabilities. MAY_LEAVE_MOUNT_NS: see urun_selfclone_try_remap. */
static int
map_new_user_namespace (struct urun_init_args *a, bool may_leave_mount_ns, struct urun_error *err)
{
  if (urun_sync_send (a->sync_fd, URUN_SYNC_MAP_IDS, 0, err) < 0)
    return -1;
  urun_selfclone_try_remap (may_leave_mount_ns);
  return urun_sync_expect (a->sync_fd, URUN_SYNC_IDS_MAPPED, NULL, err);
}

/* Staged path: joining namespaces by path needs setns before the new ones
 * exist. A joined user namespace comes first (the others are joined with
 * its privileges); a new one comes after them (the joined ones are entered
 * with the caller's privileges). */
static int
enter_namespaces_staged (struct urun_init_args *a, struct urun_error *err)
{
  __attribute__ ((cleanup (urun_ns_close_joins))) struct urun_ns_joins joins;
  unsigned long flags = a->new_ns_flags;
  const struct urun_namespace *pid_ns = urun_spec_namespace (a->spec, URUN_NS_PID);
  bool has_mount_ns = urun_spec_namespace (a->spec, URUN_NS_MOUNT) != NULL;
  bool joins_user;

  if (urun_ns_open_joins (a->spec, &joins, err) < 0
      || urun_ns_join_user (a->spec, &joins, err) < 0)
    return -1;
  /* With the joined user namespace's privileges, and before anything a
   * container's process can see: a joined pid namespace takes the fork
   * below, the mount namespace comes last. */
  joins_user = joins.fds[URUN_NS_USER] >= 0;
  if (joins_user)
    {
      urun_selfclone_try_remap (has_mount_ns);
      if (urun_selfclone_finish (err) < 0)
        return -1;
    }
  if (urun_ns_join_others (a->spec, &joins, err) < 0)
    return -1;
  if ((flags & CLONE_NEWUSER) && unshare (CLONE_NEWUSER) < 0)
    return urun_set_error (err, errno, "create user namespace");
  if ((flags & CLONE_NEWUSER) && map_new_user_namespace (a, (flags & CLONE_NEWNS) != 0, err) < 0)
    return -1;
  if (!joins_user && urun_selfclone_finish (err) < 0)
    return -1;
  if (unshare ((int) (flags & ~CLONE_NEWUSER)) < 0)
    return urun_set_error (err, errno, "create namespaces");
  if (pid_ns == NULL)
    return 0;
  return fork_pid_one (a, err);
}

/* A new cgroup namespace is rooted at the cgroups its creator is in at
 * clone(2) or unshare(2) time (cgroup_namespaces(7)). cgroup v2 places us
 * at clone; the v1 directories of a v1 or hybrid host take a write to
 * cgroup.procs after it, so the namespace waits for that: else its v1 roots
 * would be urun's own cgroups, the container would see `/../../urun/ID`,
 * and criu would refuse to dump it. The staged path unshares it later. */
static int
enter_cgroup_namespace (struct urun_init_args *a, struct urun_error *err)
{
  if (urun_sync_expect (a->sync_fd, URUN_SYNC_IN_CGROUP, NULL, err) < 0)
    return -1;
  if (!a->staged && (a->new_ns_flags & CLONE_NEWCGROUP) && unshare (CLONE_NEWCGROUP) < 0)
    return urun_set_error (err, errno, "create cgroup namespace");
  return 0;
}

static int
enter_namespaces (struct urun_init_args *a, struct urun_error *err)
{
  if (a->late_cgroupns && enter_cgroup_namespace (a, err) < 0)
    return -1;
  if (a->staged)
    return enter_namespaces_staged (a, err);
  /* clone(2) made this process in all its new namespaces at once: nothing
   * else is in them yet. */
  if ((a->new_ns_flags & CLONE_NEWUSER) && map_new_user_namespace (a, false, err) < 0)
    return -1;
  /* After the mapping, so that the anon kind's exe link (an O_TMPFILE when
   * memfds cannot be executed) has a mapped owner. */
  return urun_selfclone_finish (err);
}

/* In a new or joined user namespace the process keeps its host uid's image
 * (the overflow uid when unmapped) with all capabilities; become the
 * namespace's root when it is mapped, so files created during setup belong
 * to container root. */
static void
become_namespace_root (void)
{
  if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
    errno = 0; /* 0 is not mapped (e.g. keep-id): stay as we are */
}

/* A session keyring of its own, so the container cannot see the caller's
 * keys (runc and crun do the same). Kernels without keys (ENOSYS) and
 * user namespaces over the key quota (EDQUOT) run without one. keyrings(7) */
static int
join_session_keyring (struct urun_error *err)
{
  if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) >= 0)
    return 0;
  if (errno == ENOSYS || errno == EDQUOT)
    return 0;
  return urun_set_error (err, errno, "create a session keyring (see --no-new-keyring)");
}

static int
set_names (const struct urun_spec *spec, struct urun_error *err)
{
  if (spec->hostname && sethostname (spec->hostname, strlen (spec->hostname)) < 0)
    return urun_set_error (err, errno, "hostname: set `%s`", spec->hostname);
  if (spec->domainname && setdomainname (spec->domainname, strlen (spec->domainname)) < 0)
    return urun_set_error (err, errno, "domainname: set `%s`", spec->domainname);
  return 0;
}

/* The pty's master goes to urun (for the console socket or its own
 * terminal); the slave stays here until it becomes stdio. */
static int
create_terminal (struct urun_init_args *a, int root_fd, bool bind_console,
                 struct urun_error *err)
{
  cleanup_close int master = -1;

  if (!a->spec->process.terminal)
    return 0;
  if (urun_terminal_create (root_fd, &a->spec->process, bind_console, &master,
                            &a->pty_slave, err)
      < 0)
    return -1;
  return urun_sync_send_fd (a->sync_fd, URUN_SYNC_TERMINAL, master, err);
}

/* prestart and createRuntime run in urun (the runtime namespace), then
 * createContainer here, in the container's namespaces before pivot_root,
 * where host paths still resolve (runtime-spec, "Lifecycle", steps 5-6). */
static int
run_create_hooks (struct urun_init_args *a, struct urun_error *err)
{
  const struct urun_spec *spec = a->spec;
  int pid = 0;

  if (!urun_hooks_at_create (spec))
    return 0;
  if (urun_sync_send (a->sync_fd, URUN_SYNC_CREATE_HOOKS, 0, err) < 0
      || urun_sync_expect (a->sync_fd, URUN_SYNC_HOOKS_DONE, &pid, err) < 0)
    return -1;
  a->state_json = urun_state_json_of_spec (spec, a->id, pid, a->rootfs.bundle, "created");
  return urun_run_hooks (spec, URUN_HOOK_CREATE_CONTAINER, a->state_json, err);
}

static int
setup_rootfs (struct urun_init_args *a, struct urun_error *err)
{
  const struct urun_namespace *mnt = urun_spec_namespace (a->spec, URUN_NS_MOUNT);

  /* No mount namespace of its own, or a joined one: urun mounts nothing
   * there, and enters the root with chroot unless it is "/" already
   * (sharedmnt.h). The namespace's "/" gives the pty and /proc/sys. */
  if (mnt == NULL || mnt->path != NULL)
    {
      cleanup_close int ns_root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      cleanup_close int root_fd = TAKE_FD (a->rootfs.root_fd);
      if (chdir ("/") < 0 || ns_root < 0)
        return urun_set_error (err, errno, "enter `/`");
      if (run_create_hooks (a, err) < 0 || create_terminal (a, ns_root, false, err) < 0
          || urun_sysctl_apply (a->spec, ns_root, err) < 0)
        return -1;
      return urun_sharedmnt_enter_root (root_fd, a->rootfs.path, err);
    }
  a->rootfs.sync_fd = a->sync_fd;
  if (urun_prepare_rootfs (a->spec, &a->rootfs, err) < 0)
    return urun_wrap_error (err, "set up rootfs");
  if (run_create_hooks (a, err) < 0
      || create_terminal (a, a->rootfs.root_fd, true, err) < 0
      || urun_sysctl_apply (a->spec, a->rootfs.root_fd, err) < 0)
    return -1;
  if (urun_finish_rootfs (a->spec, &a->rootfs, a->no_pivot, err) < 0)
    return urun_wrap_error (err, "set up rootfs");
  return 0;
}

/* `urun start` opens exec.fifo for writing and writes one byte. Until a
 * writer has opened it, poll(2) on our O_NONBLOCK reader does not report
 * POLLHUP (fifo(7) semantics since Linux 2.6.x, pipe_poll's w_counter). */
static int
wait_for_start (struct urun_init_args *a, struct urun_error *err)
{
  struct pollfd pfd = { .fd = a->fifo_fd, .events = POLLIN };
  char byte;

  if (a->fifo_fd < 0)
    return urun_sync_expect (a->sync_fd, URUN_SYNC_START, NULL, err);
  while (poll (&pfd, 1, -1) < 0)
    if (errno != EINTR)
      return urun_set_error (err, errno, "wait on exec.fifo");
  if (read (a->fifo_fd, &byte, 1) != 1)
    return urun_set_error (err, 0, "exec.fifo closed without a start");
  close (a->fifo_fd);
  return 0;
}

/* A notifying filter's listener goes to urun, which hands it to the
 * listenerPath agent while we wait. */
static int
send_seccomp_listener (struct urun_init_args *a, int listener_fd,
                       struct urun_error *err)
{
  int r;

  if (listener_fd < 0)
    return 0;
  r = urun_sync_send_fd (a->sync_fd, URUN_SYNC_SECCOMP_LISTENER, listener_fd, err);
  close (listener_fd);
  if (r < 0)
    return -1;
  return urun_sync_expect (a->sync_fd, URUN_SYNC_SECCOMP_DONE, NULL, err);
}

static int
setup (struct urun_init_args *a, struct urun_process_setup *ps,
       struct urun_error *err)
{
  if (urun_process_set_oom_score (&a->spec->process, err) < 0
      || enter_namespaces (a, err) < 0)
    return -1;
  urun_test_pause_at ("userns");
  /* A session of its own, as runc and crun give it (with a terminal,
   * urun_terminal_attach makes it): a session leader outside the container's
   * pid namespace makes criu refuse to checkpoint it. setsid(2) */
  if (!a->spec->process.terminal && setsid () < 0)
    return urun_set_error (err, errno, "setsid");
  if (urun_spec_namespace (a->spec, URUN_NS_USER) != NULL)
    become_namespace_root ();
  if (set_names (a->spec, err) < 0 || urun_process_set_limits (a->spec, err) < 0)
    return -1;
  if (!a->no_new_keyring && join_session_keyring (err) < 0)
    return -1;
  if (setup_rootfs (a, err) < 0)
    return -1;
  urun_test_pause_at ("mounts");
  if (a->pty_slave >= 0 && urun_terminal_attach (TAKE_FD (a->pty_slave), &a->spec->process.user, err) < 0)
    return -1;
  if (urun_process_prepare (&a->spec->process, ps, err) < 0)
    return -1;
  return send_seccomp_listener (a, ps->listener_fd, err);
}

/* A failure after the start: `run` still listens on the sync socket; after
 * `urun start`, the container's stderr is the only place left. */
__attribute__ ((noreturn)) static void
report_late_error (struct urun_init_args *a, struct urun_error *err)
{
  if (a->fifo_fd < 0)
    urun_sync_fail (a->sync_fd, err);
  dprintf (2, "urun: %s%s%s\n", err->msg, err->errnum ? ": " : "",
           err->errnum ? strerror (err->errnum) : "");
  /* As a shell: 126 for a command found but not executable, else 127. */
  _exit (err->errnum == EACCES || err->errnum == ENOEXEC ? 126 : 127);
}

void
urun_init_container (struct urun_init_args *a)
{
  cleanup_error struct urun_error err = URUN_ERROR_INIT;
  int keep[] = { a->sync_fd, a->fifo_fd };
  struct urun_process_setup ps = {
    .preserve_fds = a->preserve_fds,
    .keep = keep,
    .n_keep = sizeof keep / sizeof keep[0],
    .seccomp = a->seccomp,
  };
  pid_t parent = getppid ();

  /* Die with urun during setup; a parent gone already means it died first. */
  if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid () != parent)
    _exit (1);
  if (setup (a, &ps, &err) < 0)
    urun_sync_fail (a->sync_fd, &err);
  /* From here the container outlives `urun create`. */
  prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (urun_sync_send (a->sync_fd, URUN_SYNC_READY, 0, &err) < 0)
    _exit (1);
  if (wait_for_start (a, &err) < 0)
    {
      if (a->fifo_fd >= 0)
        _exit (1); /* nobody waits for a message now */
      urun_sync_fail (a->sync_fd, &err);
    }
  if (a->state_json
      && urun_run_hooks (a->spec, URUN_HOOK_START_CONTAINER, a->state_json, &err) < 0)
    report_late_error (a, &err);
  /* execCPUAffinity.final: the affinity the process runs with. */
  if (urun_process_set_affinity (a->spec->process.exec_cpu_affinity_final,
                                 "process.execCPUAffinity.final", &err) < 0)
    report_late_error (a, &err);
  urun_test_pause_at ("exec");
  urun_process_exec (&a->spec->process, ps.exec_path, ps.env, &err);
  report_late_error (a, &err);
}
