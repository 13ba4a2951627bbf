/* checkpoint.c: `urun checkpoint` — dump a running container with criu.
 *
 * As root, criu runs as runc and crun run it. Rootless, criu runs in
 * --unprivileged mode with no capabilities granted by anyone: from the host
 * side it would fail (it calls setgroups(2), and joining the container's
 * mount namespace needs CAP_SYS_ADMIN over it), so a helper enters the
 * container's user namespace as its root — and its UTS namespace, which then
 * stays out of the image: the namespace root could not write the hostname
 * back on restore (/proc/sys/kernel/hostname belongs to the initial user
 * namespace's root; restore sets it with sethostname instead). The helper
 * keeps the host's pid namespace and /proc, takes a private mount
 * namespace and prepares criu's view of the mapped files (criu-view.c). */
#define _GNU_SOURCE
#include "criu.h"

#include <criu.h> /* criu.pc: -I$includedir/criu */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "state.h"
#include "sync.h"
#include "utils.h"

struct dump
{
  const struct urun_checkpoint_opts *o;
  struct urun_state state;
  struct urun_criu criu;
  struct urun_criu_record record;
  int images_fd;
  int work_fd;
  int user_ns_fd; /* rootless: the container's user and UTS namespaces */
  int uts_ns_fd;
};

static void
dump_free (struct dump *d)
{
  urun_state_free (&d->state);
  urun_criu_free (&d->criu);
  urun_criu_record_free (&d->record);
  close_release (&d->images_fd);
  close_release (&d->work_fd);
  close_release (&d->user_ns_fd);
  close_release (&d->uts_ns_fd);
}

/* mkdir -p PATH (the last component 0700) and open it. */
static int
open_dir (const char *path, struct urun_error *err)
{
  cleanup_free char *copy = xstrdup (path);
  int fd;

  for (char *p = copy + 1; *p; p++)
    if (*p == '/')
      {
        *p = '\0';
        mkdir (copy, 0755);
        *p = '/';
      }
  if (mkdir (path, 0700) < 0 && errno != EEXIST)
    return urun_set_error (err, errno, "create directory `%s`", path);
  fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return urun_set_error (err, errno, "open directory `%s`", path);
  return fd;
}

static bool
is_container_mount (const struct urun_mountinfo *m, size_t n, int mnt_id)
{
  for (size_t i = 0; i < n; i++)
    if (m[i].id == mnt_id)
      return true;
  return false;
}

/* What fd FD of the container's process is, as criu names it on restore:
 * pipes and sockets by inode; a file outside the container's mounts (the
 * caller's log file, say) is external to criu, named by mount and inode. */
static char *
stdio_key (pid_t pid, int fd, const struct urun_mountinfo *m, size_t n)
{
  char path[64], link[256];
  cleanup_free char *info = NULL;
  cleanup_error struct urun_error ignored = URUN_ERROR_INIT;
  struct stat st;
  ssize_t len;
  char *mnt;

  snprintf (path, sizeof path, "/proc/%d/fd/%d", (int) pid, fd);
  len = readlink (path, link, sizeof link - 1);
  if (len < 0 || stat (path, &st) < 0)
    return NULL;
  link[len] = '\0';
  if (strncmp (link, "pipe:", 5) == 0 || strncmp (link, "socket:", 7) == 0)
    return xstrdup (link);
  /* The container's terminal: its master is outside, with whoever got it
   * from --console-socket. External to criu, by device, as crun does. */
  if (S_ISCHR (st.st_mode) && strncmp (link, "/dev/pts/", 9) == 0)
    return xasprintf ("tty[%llx:%llx]", (unsigned long long) st.st_rdev,
                      (unsigned long long) st.st_dev);
  snprintf (path, sizeof path, "/proc/%d/fdinfo/%d", (int) pid, fd);
  if (urun_read_file_at (AT_FDCWD, path, &info, NULL, &ignored) < 0
      || (mnt = strstr (info, "mnt_id:")) == NULL || is_container_mount (m, n, atoi (mnt + 7)))
    return NULL;
  return xasprintf ("file[%x:%llx]", (unsigned) atoi (mnt + 7), (unsigned long long) st.st_ino);
}

/* The "Uid:" or "Gid:" line of /proc/PID/status: do all four IDs equal ID? */
static bool
ids_are (const char *status, const char *field, unsigned id)
{
  const char *line = strstr (status, field);
  unsigned v[4];

  if (line == NULL || sscanf (line + strlen (field), "%u %u %u %u", &v[0], &v[1], &v[2], &v[3]) != 4)
    return false;
  return v[0] == id && v[1] == id && v[2] == id && v[3] == id;
}

/* Is PID in a user namespace we made (child of ours, owned by our euid)?
 * There we have every capability (user_namespaces(7), "Capabilities"),
 * whatever our bounding set. ioctl_ns(2): NS_GET_PARENT, NS_GET_OWNER_UID. */
static bool
in_our_child_user_ns (pid_t pid)
{
  char path[64];
  cleanup_close int ns = -1;
  cleanup_close int parent = -1;
  struct stat a, b;
  uid_t owner;

  snprintf (path, sizeof path, "/proc/%d/ns/user", (int) pid);
  ns = open (path, O_RDONLY | O_CLOEXEC);
  if (ns < 0 || (parent = ioctl (ns, NS_GET_PARENT)) < 0 || ioctl (ns, NS_GET_OWNER_UID, &owner) < 0)
    return false;
  return fstat (parent, &a) == 0 && stat ("/proc/self/ns/user", &b) == 0 && a.st_ino == b.st_ino
         && a.st_dev == b.st_dev && owner == geteuid ();
}

static bool
has_cap_sys_resource (void)
{
  cleanup_free char *self = NULL;
  cleanup_error struct urun_error ignored = URUN_ERROR_INIT;
  const char *eff;

  if (urun_read_file_at (AT_FDCWD, "/proc/self/status", &self, NULL, &ignored) < 0
      || (eff = strstr (self, "CapEff:")) == NULL)
    return true; /* cannot tell: let criu say */
  return (strtoull (eff + 7, NULL, 16) >> CAP_SYS_RESOURCE) & 1;
}

/* Can criu, as root, read PID's rlimits? prlimit(2) of a process whose
 * real, effective and saved IDs are not all our real uid and gid needs
 * CAP_SYS_RESOURCE in the process's user namespace (kernel:
 * check_prlimit_permission). Where the capability bounding set lacks it
 * (some VMs), root has it only in user namespaces it made, and criu fails
 * with "Can't get rlimit 0: Operation not permitted" in dump.log (so does
 * `runc checkpoint`). */
static int
check_rlimit_access_of (pid_t pid, struct urun_error *err)
{
  char path[64];
  cleanup_free char *status = NULL;
  cleanup_error struct urun_error ignored = URUN_ERROR_INIT;
  const char *uid, *gid;

  snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
  if (urun_read_file_at (AT_FDCWD, path, &status, NULL, &ignored) < 0 /* gone */
      || (ids_are (status, "Uid:", getuid ()) && ids_are (status, "Gid:", getgid ()))
      || in_our_child_user_ns (pid))
    return 0;
  uid = strstr (status, "Uid:");
  gid = strstr (status, "Gid:");
  return urun_set_error (err, 0, "criu cannot read the rlimits of the container's pid %d (prlimit(2)): it runs "
                                 "as uid %u gid %u, not %u:%u, and this system's capability bounding set "
                                 "lacks CAP_SYS_RESOURCE (see `urun check`); run the container's processes "
                                 "as %u:%u, or give it a user namespace",
                         (int) pid, uid ? (unsigned) atoi (uid + 4) : 0, gid ? (unsigned) atoi (gid + 4) : 0,
                         (unsigned) getuid (), (unsigned) getgid (), (unsigned) getuid (), (unsigned) getgid ());
}

/* Every process criu will dump: the container's cgroup, else its pid 1. */
static int
check_rlimit_access (const struct urun_state *state, struct urun_error *err)
{
  cleanup_error struct urun_error ignored = URUN_ERROR_INIT;
  pid_t *pids = NULL;
  size_t n = 0;
  int ret = 0;

  if (has_cap_sys_resource ())
    return 0;
  if (state->cgroup.mode == URUN_CGROUP_NONE || urun_cgroup_pids (&state->cgroup, &pids, &n, &ignored) < 0)
    return check_rlimit_access_of (state->pid, err);
  for (size_t i = 0; i < n && ret == 0; i++)
    ret = check_rlimit_access_of (pids[i], err);
  free (pids);
  return ret;
}

/* Everything known before criu runs: namespaces, ID maps, mounts, stdio. */
static int
make_record (struct dump *d, const struct urun_spec *spec, struct urun_error *err)
{
  struct urun_criu_record *r = &d->record;
  pid_t pid = d->state.pid;

  r->rootless = geteuid () != 0;
  r->namespaces = urun_criu_own_namespaces (pid);
  if (strstr (r->namespaces, "user"))
    {
      r->uid_map = urun_criu_read_id_map (pid, "uid_map");
      r->gid_map = urun_criu_read_id_map (pid, "gid_map");
    }
  else if (r->rootless)
    return urun_set_error (err, 0, "the container has no user namespace of its own");
  if (!r->rootless && check_rlimit_access (&d->state, err) < 0)
    return -1;
  if (strstr (r->namespaces, "mnt") == NULL)
    return urun_set_error (err, 0, "the container has no mount namespace of its own");
  r->hostname = spec->hostname ? xstrdup (spec->hostname) : NULL;
  r->domainname = spec->domainname ? xstrdup (spec->domainname) : NULL;
  return urun_criu_find_externals (pid, &r->externals, &r->n_externals, &r->root_options, err);
}

/* Runs in: the helper, which can read /proc/PID/fd of a container process
 * of any uid (rootless, /proc/PID/fd is 0500 and owned by the process's
 * uid: only the container's root may look). The keys go to the parent
 * over KEYS_FD, one a line, "-" for none. */
static int
describe_stdio (struct dump *d, int keys_fd, struct urun_error *err)
{
  pid_t pid = d->state.pid;
  size_t n = 0;
  struct urun_mountinfo *m = urun_mountinfo_read (pid, &n, err);
  cleanup_free char *text = xstrdup ("");

  if (m == NULL)
    return -1;
  for (int fd = 0; fd < 3; fd++)
    {
      cleanup_free char *key = stdio_key (pid, fd, m, n);
      char *next = xasprintf ("%s%s\n", text, key ? key : "-");

      free (text);
      text = next;
      /* /dev/console is a bind of the pty slave, whose master criu cannot
       * see: that is an "orphan" pts master to criu. */
      if (key && strncmp (key, "tty[", 4) == 0)
        criu_local_set_orphan_pts_master (d->criu.opts, true);
      if (key && (strncmp (key, "file[", 5) == 0 || strncmp (key, "tty[", 4) == 0)
          && criu_local_add_external (d->criu.opts, key) < 0)
        {
          urun_mountinfo_free (m, n);
          return urun_set_error (err, ENOMEM, "external file `%s`", key);
        }
    }
  urun_mountinfo_free (m, n);
  if (urun_write_all (keys_fd, text, strlen (text)) < 0)
    return urun_set_error (err, errno, "send the stdio keys");
  return 0;
}

/* The parent's side: what describe_stdio sent, into the record. */
static void
read_stdio_keys (struct dump *d, int keys_fd)
{
  char buf[1024];
  ssize_t len = read (keys_fd, buf, sizeof buf - 1);
  char *save = NULL, *line;
  int fd = 0;

  if (len <= 0)
    return;
  buf[len] = '\0';
  for (line = strtok_r (buf, "\n", &save); line && fd < 3; line = strtok_r (NULL, "\n", &save), fd++)
    {
      d->record.stdio[fd].fd = fd;
      d->record.stdio[fd].key = strcmp (line, "-") ? xstrdup (line) : NULL;
    }
}

static int
set_criu_options (struct dump *d, struct urun_error *err)
{
  const struct urun_checkpoint_opts *o = d->o;
  struct criu_opts *c = d->criu.opts;
  struct urun_criu_record *r = &d->record;
  enum criu_cg_mode mode = CRIU_CG_MODE_SOFT;

  criu_local_set_pid (c, d->state.pid);
  criu_local_set_leave_running (c, o->leave_running || o->pre_dump);
  criu_local_set_tcp_established (c, o->tcp_established);
  criu_local_set_ext_unix_sk (c, o->ext_unix_sk);
  criu_local_set_shell_job (c, o->shell_job);
  criu_local_set_file_locks (c, o->file_locks);
  urun_criu_set_unprivileged (&d->criu, r->rootless);
  if (o->cgroups_mode)
    mode = strcmp (o->cgroups_mode, "ignore") == 0 ? CRIU_CG_MODE_IGNORE
           : strcmp (o->cgroups_mode, "full") == 0 ? CRIU_CG_MODE_FULL
           : strcmp (o->cgroups_mode, "strict") == 0 ? CRIU_CG_MODE_STRICT : CRIU_CG_MODE_SOFT;
  /* --unprivileged dumps no cgroups at all; restore places the process. */
  criu_local_set_manage_cgroups_mode (c, r->rootless ? CRIU_CG_MODE_IGNORE : mode);
  if (o->parent_path && criu_local_set_parent_images (c, o->parent_path) < 0)
    return urun_set_error (err, ENOMEM, "--parent-path");
  if (o->pre_dump || o->parent_path)
    criu_local_set_track_mem (c, true);
  for (size_t i = 0; i < r->n_externals; i++)
    if ((r->externals[i].key
         ? criu_local_add_ext_mount (c, r->externals[i].mountpoint, r->externals[i].key)
         : criu_local_add_skip_mnt (c, r->externals[i].mountpoint)) < 0)
      return urun_set_error (err, ENOMEM, "external mount `%s`", r->externals[i].mountpoint);
  return 0;
}

/* Runs in: the helper; rootless, it becomes root of the container's user
 * namespace with a private mount namespace (see the top of this file). */
static int
enter_helper_namespaces (struct dump *d, struct urun_error *err)
{
  if (!d->record.rootless)
    return 0;
  if (setns (d->user_ns_fd, CLONE_NEWUSER) < 0)
    return urun_set_error (err, errno, "join the container's user namespace");
  if (setns (d->uts_ns_fd, CLONE_NEWUTS) < 0)
    return urun_set_error (err, errno, "join the container's uts namespace");
  if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
    return urun_set_error (err, errno, "become root of the container's user namespace");
  if (unshare (CLONE_NEWNS) < 0)
    return urun_set_error (err, errno, "create a mount namespace for criu");
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return urun_set_error (err, errno, "make `/` private");
  if (urun_criu_prepare_view (d->state.pid, err) < 0)
    return urun_wrap_error (err, "prepare criu's view");
  return 0;
}

__attribute__ ((noreturn)) static void
run_helper (struct dump *d, int sync_fd, int keys_fd)
{
  struct urun_error err = URUN_ERROR_INIT;
  int ret;

  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (enter_helper_namespaces (d, &err) < 0 || describe_stdio (d, keys_fd, &err) < 0)
    urun_sync_fail (sync_fd, &err);
  close (keys_fd);
  /* libcriu prints its complaints on stderr; the error goes to urun. */
  if ((ret = open ("/dev/null", O_WRONLY | O_CLOEXEC)) >= 0)
    {
      dup2 (ret, 2);
      close (ret);
    }
  ret = d->o->pre_dump ? criu_local_pre_dump (d->criu.opts) : criu_local_dump (d->criu.opts);
  if (ret < 0)
    {
      urun_criu_fail (&d->criu, ret, d->o->pre_dump ? "pre-dump" : "dump", &err);
      urun_sync_fail (sync_fd, &err);
    }
  if (urun_sync_send (sync_fd, URUN_SYNC_READY, 0, &err) < 0)
    _exit (1);
  _exit (0);
}

static int
run_dump (struct dump *d, struct urun_error *err)
{
  int fds[2], keys[2], r;
  pid_t child;

  if (pipe2 (keys, O_CLOEXEC) < 0)
    return urun_set_error (err, errno, "create a pipe");
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
    {
      close (keys[0]);
      close (keys[1]);
      return urun_set_error (err, errno, "create sync socket");
    }
  child = fork ();
  if (child == 0)
    {
      close (fds[0]);
      close (keys[0]);
      run_helper (d, fds[1], keys[1]);
    }
  close (fds[1]);
  close (keys[1]);
  if (child < 0)
    r = urun_set_error (err, errno, "fork the checkpoint helper");
  else
    r = urun_sync_expect (fds[0], URUN_SYNC_READY, NULL, err);
  if (r == 0)
    read_stdio_keys (d, keys[0]);
  close (fds[0]);
  close (keys[0]);
  if (child > 0)
    waitpid (child, NULL, 0);
  return r;
}

static int
prepare (struct dump *d, int dir_fd, struct urun_error *err)
{
  const struct urun_checkpoint_opts *o = d->o;
  cleanup_spec struct urun_spec *spec = NULL;
  const char *status = urun_container_status (&d->state, dir_fd);
  const char *work = o->work_path ? o->work_path : o->image_path;

  if (strcmp (status, "running") != 0 && strcmp (status, "paused") != 0)
    return urun_set_error (err, 0, "the container is %s, not running", status);
  spec = urun_state_load_config (dir_fd, err);
  if (spec == NULL || make_record (d, spec, err) < 0)
    return -1;
  if ((o->pre_dump || o->parent_path) && !urun_criu_has_dirty_tracking ())
    return urun_set_error (err, 0, "%s needs the kernel to track which memory pages were written "
                                   "(soft-dirty bits), and this kernel does not (built without "
                                   "CONFIG_MEM_SOFT_DIRTY): take a full checkpoint, without %s",
                           o->pre_dump ? "--pre-dump" : "--parent-path",
                           o->pre_dump ? "--pre-dump" : "--parent-path");
  if ((d->images_fd = open_dir (o->image_path, err)) < 0
      || (d->work_fd = open_dir (work, err)) < 0)
    return -1;
  if (urun_criu_init (&d->criu, urun_criu_binary (o->criu_path), d->images_fd, d->work_fd, work,
                      o->pre_dump ? "pre-dump.log" : "dump.log", err) < 0)
    return -1;
  if (d->record.rootless)
    {
      char path[64];
      snprintf (path, sizeof path, "/proc/%d/ns/user", (int) d->state.pid);
      d->user_ns_fd = open (path, O_RDONLY | O_CLOEXEC);
      snprintf (path, sizeof path, "/proc/%d/ns/uts", (int) d->state.pid);
      d->uts_ns_fd = open (path, O_RDONLY | O_CLOEXEC);
      if (d->user_ns_fd < 0 || d->uts_ns_fd < 0)
        return urun_set_error (err, errno, "open the container's namespaces");
    }
  return set_criu_options (d, err);
}

/* criu killed the container (no --leave-running): it is gone, as after
 * `delete` (runc and crun remove it too). */
static void
remove_container (int root_fd, struct dump *d, const char *id)
{
  cleanup_error struct urun_error err = URUN_ERROR_INIT;

  if (urun_cgroup_destroy (&d->state.cgroup, &err) < 0)
    urun_warn ("checkpoint `%s`: %s", id, err.msg);
  urun_clear_error (&err);
  if (urun_state_remove_dir (root_fd, id, &err) < 0)
    urun_warn ("checkpoint `%s`: %s", id, err.msg);
}

int
urun_container_checkpoint (const struct urun_context *ctx,
                           const struct urun_checkpoint_opts *o,
                           struct urun_error *err)
{
  __attribute__ ((cleanup (dump_free))) struct dump d = {
    .o = o, .images_fd = -1, .work_fd = -1, .user_ns_fd = -1, .uts_ns_fd = -1,
  };
  cleanup_close int root_fd = urun_state_open_root (ctx->state_root, err);
  cleanup_close int dir_fd = -1;

  if (root_fd < 0 || (dir_fd = urun_state_open_dir (root_fd, o->id, err)) < 0
      || urun_state_read (dir_fd, &d.state, err) < 0)
    return -1;
  if (prepare (&d, dir_fd, err) < 0 || run_dump (&d, err) < 0)
    return urun_wrap_error (err, "checkpoint `%s`", o->id);
  if (o->pre_dump)
    return 0;
  if (urun_criu_fix_mount_images (d.images_fd, d.record.rootless ? d.record.uid_map : NULL,
                                  d.record.gid_map, d.record.externals, d.record.n_externals, err) < 0
      || urun_criu_record_write (d.images_fd, &d.record, err) < 0)
    return urun_wrap_error (err, "checkpoint `%s`", o->id);
  if (!o->leave_running)
    remove_container (root_fd, &d, o->id);
  urun_debug ("checkpoint `%s`: images in `%s`", o->id, o->image_path);
  return 0;
}
