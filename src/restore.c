/* restore.c: `urun restore` — a container from criu's images, into a bundle
 * whose config must describe the same container (namespaces, ID maps).
 *
 * A holder process runs criu: rootless, it is root of a new user namespace
 * with the container's mappings (the image keeps no user namespace: criu
 * dumped from inside it) and of a new UTS namespace where it sets the
 * hostname; as root, it only has a private mount namespace. There, --root
 * is a bind of the rootfs carrying the flags `/` had at checkpoint: criu
 * records them but only bind-mounts --root (CRIU issue 2632), so without
 * this a read-only root would come back writable. criu restores the process
 * tree as the holder's child; once the holder exits it is ours (we are a
 * subreaper), and with --detach init's after we exit. The holder starts in
 * the container's cgroups; rootless, in a cgroup namespace rooted there
 * (criu ignores cgroups); as root criu moves the processes and makes the
 * cgroup namespace itself (add_cgroup_roots). */
#define _GNU_SOURCE
#include "criu.h"

#include <criu.h> /* criu.pc: -I$includedir/criu */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../userns/idmap.h"
#include "../userns/rootless.h"
#include "cleanup.h"
#include "log.h"
#include "spawn.h"
#include "selfclone.h"
#include "state.h"
#include "sync.h"
#include "terminal.h"
#include "utils.h"

/* Test only: set to 1 to leave the flags of `/` to criu, which shows what
 * urun fixes (tests/integration/checkpoint.bats). */
#define NO_ROOT_FLAGS_ENV "URUN_TEST_NO_ROOTFS_FLAGS"

struct restore
{
  const struct urun_restore_opts *o;
  struct urun_bundle bundle;
  struct urun_criu criu;
  struct urun_criu_record record;
  int images_fd;
  int work_fd;
  int pty_master; /* the holder's, for --console-socket */
  bool fix_root_flags;
};

static void
restore_free (struct restore *r)
{
  urun_bundle_free (&r->bundle);
  urun_criu_free (&r->criu);
  urun_criu_record_free (&r->record);
  if (r->images_fd >= 0)
    close (r->images_fd);
  if (r->work_fd >= 0)
    close (r->work_fd);
  if (r->pty_master >= 0)
    close (r->pty_master);
}

static int
load_bundle (const char *dir, struct urun_bundle *b, struct urun_error *err)
{
  char path[PATH_MAX];
  struct stat st;

  if (realpath (dir ? dir : ".", path) == NULL)
    return urun_set_error (err, errno, "bundle `%s`", dir ? dir : ".");
  b->path = xstrdup (path);
  b->config = xasprintf ("%s/config.json", b->path);
  b->spec = urun_load_spec (b->config, "config.json", err);
  if (b->spec == NULL)
    return -1;
  if (!b->spec->has_root || !b->spec->has_process)
    return urun_set_error (err, 0, "config.json: `root` and `process` are required");
  b->rootfs = b->spec->root.path[0] == '/' ? xstrdup (b->spec->root.path)
                                           : xasprintf ("%s/%s", b->path, b->spec->root.path);
  if (stat (b->rootfs, &st) < 0 || !S_ISDIR (st.st_mode))
    return urun_set_error (err, errno ? errno : ENOTDIR, "config.json: root.path: rootfs `%s`", b->rootfs);
  if (urun_rootless_adapt_spec (b->spec, NULL, err) < 0)
    return -1;
  return urun_cgroup_check_spec (b->spec, err);
}

static int
check_map (const char *what, const char *image, const struct urun_id_mapping *m,
           size_t n, struct urun_error *err)
{
  cleanup_free char *bundle = urun_format_id_map (m, n);

  if (image == NULL || strcmp (image, bundle) == 0)
    return 0;
  for (char *p = bundle; *p; p++)
    if (*p == '\n' && p[1])
      *p = ',';
  bundle[strcspn (bundle, "\n")] = '\0';
  return urun_set_error (err, 0, "config.json: linux.%s (`%s`) differ from the checkpoint's", what, bundle);
}

/* The bundle must make the container the image was taken from. */
static int
check_bundle (const struct restore *r, struct urun_error *err)
{
  const struct urun_criu_record *rec = &r->record;
  const struct urun_linux *l = &r->bundle.spec->linux_;
  cleanup_free char *want = urun_criu_spec_namespaces (r->bundle.spec);
  struct stat st;

  if (rec->rootless != (geteuid () != 0))
    return urun_set_error (err, 0, "the image was checkpointed %s: restore it %s",
                           rec->rootless ? "rootless" : "as root", rec->rootless ? "as that user" : "as root");
  if (strcmp (want, rec->namespaces) != 0)
    return urun_set_error (err, 0, "config.json: linux.namespaces (`%s`) differ from the checkpoint's (`%s`)",
                           want, rec->namespaces);
  if (check_map ("uidMappings", rec->uid_map, l->uid_mappings, l->n_uid_mappings, err) < 0
      || check_map ("gidMappings", rec->gid_map, l->gid_mappings, l->n_gid_mappings, err) < 0)
    return -1;
  if (fstatat (r->images_fd, "inventory.img", &st, 0) < 0)
    return urun_set_error (err, errno, "no criu image in `%s` (inventory.img)", r->o->image_path);
  return 0;
}

static int
set_criu_options (struct restore *r, struct urun_error *err)
{
  const struct urun_restore_opts *o = r->o;
  struct criu_opts *c = r->criu.opts;
  const struct urun_criu_record *rec = &r->record;

  if (criu_local_set_root (c, r->bundle.rootfs) < 0)
    return urun_set_error (err, ENOMEM, "criu root");
  criu_local_set_tcp_established (c, o->tcp_established);
  criu_local_set_ext_unix_sk (c, o->ext_unix_sk);
  criu_local_set_shell_job (c, o->shell_job);
  criu_local_set_file_locks (c, o->file_locks);
  urun_criu_set_unprivileged (&r->criu, rec->rootless);
  /* Rootless: the holder already is in the container's cgroup, and in a
   * cgroup namespace rooted there: everything criu restores starts there.
   * As root, criu moves the processes and makes the cgroup namespace
   * (add_cgroup_roots). */
  criu_local_set_manage_cgroups_mode (c, rec->rootless ? CRIU_CG_MODE_IGNORE : CRIU_CG_MODE_SOFT);
  for (size_t i = 0; i < rec->n_externals; i++)
    {
      if (criu_local_add_ext_mount (c, rec->externals[i].key, rec->externals[i].host_path) < 0)
        return urun_set_error (err, ENOMEM, "external mount `%s`", rec->externals[i].key);
      /* criu 4.1's newer mount engine (mount-v2, root only) binds an
       * external with open_tree(2) without AT_RECURSIVE, whatever its
       * MS_REC: a hybrid host's /sys/fs/cgroup would come back without the
       * hierarchies below it. The compat engine honours MS_REC. */
      if (rec->externals[i].recursive)
        criu_local_set_mntns_compat_mode (c, true);
    }
  if (o->no_pivot)
    urun_debug ("restore: --no-pivot: criu sets up the root itself");
  return 0;
}

/* --root: a bind of the rootfs with the flags `/` had, set with
 * mount_setattr(2), which changes only what it names: in a user namespace
 * the flags inherited from the host mount (nosuid, nodev, atime) are
 * locked, and a remount(2) that left one out would fail with EPERM.
 * mount_namespaces(7). Runs in: the holder, private mount namespace. */
static int
bind_root (const struct restore *r, struct urun_error *err)
{
  const char *rootfs = r->bundle.rootfs;
  uint64_t want = urun_mount_attrs_of (r->record.root_options);
  struct mount_attr attr = { .attr_set = want & ~MOUNT_ATTR__ATIME };
  cleanup_close int tree = -1;
  struct statvfs sv;

  /* The atime mode only where it differs: it may be locked too. */
  if (statvfs (rootfs, &sv) == 0
      && (want & MOUNT_ATTR__ATIME) != ((sv.f_flag & ST_NOATIME) ? MOUNT_ATTR_NOATIME
                                        : (sv.f_flag & ST_RELATIME) ? MOUNT_ATTR_RELATIME
                                                                    : MOUNT_ATTR_STRICTATIME))
    {
      attr.attr_clr = MOUNT_ATTR__ATIME;
      attr.attr_set |= want & MOUNT_ATTR__ATIME;
    }

  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return urun_set_error (err, errno, "make `/` private");
  tree = open_tree (AT_FDCWD, rootfs, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (tree < 0)
    return urun_set_error (err, errno, "bind rootfs `%s`", rootfs);
  if (r->fix_root_flags
      && mount_setattr (tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    return urun_set_error (err, errno, "set the flags of `/` (`%s`) on rootfs `%s`",
                           r->record.root_options, rootfs);
  if (move_mount (tree, "", AT_FDCWD, rootfs, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return urun_set_error (err, errno, "attach rootfs `%s`", rootfs);
  return 0;
}

/* An external mount that binds what is below it (a rootless /sys) gets the
 * flags it had on every mount below: criu sets them on the top one only.
 * The copy covers the host path in our private mount namespace, where criu
 * binds it from. Runs in: the holder. */
static int
prepare_externals (const struct restore *r, struct urun_error *err)
{
  for (size_t i = 0; i < r->record.n_externals; i++)
    {
      const struct urun_criu_external *e = &r->record.externals[i];
      uint64_t attrs = urun_mount_attrs_of (e->options);
      struct mount_attr attr = {
        .attr_set = attrs & (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)
      };
      cleanup_close int tree = -1;

      if (!e->recursive || attr.attr_set == 0)
        continue;
      tree = open_tree (AT_FDCWD, e->host_path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
      if (tree < 0)
        return urun_set_error (err, errno, "bind `%s` for `%s`", e->host_path, e->mountpoint);
      if (mount_setattr (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
        return urun_set_error (err, errno, "set the flags of `%s` (`%s`)", e->mountpoint, e->options);
      if (move_mount (tree, "", AT_FDCWD, e->host_path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return urun_set_error (err, errno, "attach `%s` for `%s`", e->host_path, e->mountpoint);
    }
  return 0;
}

/* After criu: `/` of the restored container must have the flags of the
 * checkpoint's, as mountinfo shows them. */
static int
check_root_flags (const struct restore *r, pid_t pid, struct urun_error *err)
{
  size_t n = 0;
  struct urun_mountinfo *m = urun_mountinfo_read (pid, &n, err);
  const char *got = NULL;
  int ret = 0;

  if (m == NULL)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (strcmp (m[i].mountpoint, "/") == 0)
      got = m[i].options;
  if (got == NULL || urun_mount_attrs_of (got) != urun_mount_attrs_of (r->record.root_options))
    ret = urun_set_error (err, 0, "restored `/` has flags `%s`, the checkpoint's had `%s`",
                          got ? got : "?", r->record.root_options);
  urun_mountinfo_free (m, n);
  return ret;
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

/* As root, criu moves the restored processes into the cgroups of the
 * checkpoint's paths under a new root per hierarchy, and makes a cgroup
 * namespace rooted where the checkpoint's was, in the container's user
 * namespace if it has one (criu --cgroup-root, as runc does). The roots
 * are where the holder is: the new container's cgroups. Runs in: the
 * holder, in them. */
static int
add_cgroup_roots (struct restore *r, struct urun_error *err)
{
  cleanup_free char *text = NULL;
  char *line, *save = NULL;

  if (urun_read_file_at (AT_FDCWD, "/proc/self/cgroup", &text, NULL, err) < 0)
    return -1;
  /* "4:memory:/urun/c1", "1:name=systemd:/", "0::/urun/c1" */
  for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *ctrl = strchr (line, ':');
      char *path = ctrl ? strchr (ctrl + 1, ':') : NULL;

      if (path == NULL)
        continue;
      *path++ = '\0';
      if (criu_local_add_cg_root (r->criu.opts, ctrl + 1, path) < 0)
        return urun_set_error (err, ENOMEM, "criu cgroup root `%s`", path);
    }
  return 0;
}

/* Runs in: the holder, just cloned into its namespaces (see the top). It
 * waits until urun has put it in its cgroup v1 directories: criu, forked
 * before that, would restore the container in urun's own cgroups. */
static int
prepare_holder (struct restore *r, int sync_fd, struct urun_error *err)
{
  int work_fd;

  if (urun_sync_expect (sync_fd, URUN_SYNC_IN_CGROUP, NULL, err) < 0)
    return -1;
  if (!r->record.rootless && add_cgroup_roots (r, err) < 0)
    return -1;
  /* criu works in the work directory: opened again here, in our mount
   * namespace, where criu mounts its cgroup yard (mount(2) refuses, with
   * EINVAL, a mount point of another mount namespace). */
  work_fd = open (r->criu.work_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (work_fd < 0)
    return urun_set_error (err, errno, "work directory `%s`", r->criu.work_path);
  criu_local_set_work_dir_fd (r->criu.opts, work_fd);
  if (r->record.rootless)
    {
      if (urun_sync_send (sync_fd, URUN_SYNC_MAP_IDS, 0, err) < 0
          || urun_sync_expect (sync_fd, URUN_SYNC_IDS_MAPPED, NULL, err) < 0)
        return -1;
      if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
        return urun_set_error (err, errno, "become root of the user namespace");
      if (set_names (r->bundle.spec, err) < 0)
        return -1;
    }
  if (bind_root (r, err) < 0)
    return -1;
  return prepare_externals (r, err);
}

/* The checkpoint's terminal was the container's pty, whose master stayed
 * with the console socket's receiver: a new pty from our /dev/ptmx takes
 * its place (criu inherits the slave), and its master goes to
 * --console-socket, as crun does. Returns the slave. TIOCGPTPEER: Linux
 * 4.13+, ioctl_tty(2). */
static int
open_pty (struct restore *r, struct urun_error *err)
{
  int slave;

  r->pty_master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (r->pty_master < 0 || unlockpt (r->pty_master) < 0)
    return urun_set_error (err, errno, "open a pty (`/dev/ptmx`)");
  slave = ioctl (r->pty_master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return urun_set_error (err, errno, "open the pty's slave");
  return slave;
}

/* Our stdio becomes the container's, in place of the fds it had at
 * checkpoint (pipes, files: keyed in the record). criu gets copies above
 * stdio, so that our own stderr can go to /dev/null: libcriu prints its
 * complaints there, and the error goes back to urun in one message. */
static int
hand_over_stdio (struct restore *r, struct urun_error *err)
{
  cleanup_close int null_fd = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  cleanup_close int pty_slave = -1;

  for (int fd = 0; fd < 3; fd++)
    {
      const char *key = r->record.stdio[fd].key;
      bool is_tty = key && strncmp (key, "tty[", 4) == 0;
      int copy;

      if (key == NULL)
        continue;
      if (is_tty && pty_slave < 0 && (pty_slave = open_pty (r, err)) < 0)
        return -1;
      copy = fcntl (is_tty ? pty_slave : fd, F_DUPFD, 10); /* inherited by criu swrk */
      if (copy < 0)
        return urun_set_error (err, errno, "duplicate fd %d for the container", fd);
      if (criu_local_add_inherit_fd (r->criu.opts, copy, key) < 0)
        return urun_set_error (err, ENOMEM, "inherited fd %d", fd);
    }
  if (null_fd < 0 || dup2 (null_fd, 2) < 0)
    return urun_set_error (err, errno, "redirect stderr to `/dev/null`");
  return 0;
}

/* criu reopens an inherited regular file (a stdio keyed "file[...]")
 * through /proc/self/fd, as the restored process: in a user namespace, a
 * file of a user it does not map (the caller's 0600 log) is refused. */
static void
explain_stdio_failure (const struct restore *r, struct urun_error *err)
{
  bool file_stdio = false;

  for (int fd = 0; fd < 3; fd++)
    file_stdio |= r->record.stdio[fd].key && strncmp (r->record.stdio[fd].key, "file[", 5) == 0;
  if (file_stdio && err->msg && strstr (err->msg, "Can't open file fd/"))
    urun_wrap_error (err, "criu reopens the container's stdio files as the container's user, who "
                          "may not open one of them (give the container pipes, a terminal, or files "
                          "that user may open)");
}

__attribute__ ((noreturn)) static void
run_holder (struct restore *r, int sync_fd, int console_fd)
{
  struct urun_error err = URUN_ERROR_INIT;
  int pid;

  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (prepare_holder (r, sync_fd, &err) < 0 || urun_selfclone_finish (&err) < 0
      || hand_over_stdio (r, &err) < 0)
    urun_sync_fail (sync_fd, &err);
  pid = criu_local_restore_child (r->criu.opts);
  if (pid < 0)
    {
      urun_criu_fail (&r->criu, pid, "restore", &err);
      explain_stdio_failure (r, &err);
      urun_sync_fail (sync_fd, &err);
    }
  if ((r->fix_root_flags && check_root_flags (r, pid, &err) < 0)
      || (r->pty_master >= 0 && urun_console_socket_send (console_fd, r->pty_master, &err) < 0))
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      urun_sync_fail (sync_fd, &err);
    }
  if (urun_sync_send (sync_fd, URUN_SYNC_INIT_PID, pid, &err) < 0)
    _exit (1);
  _exit (0);
}

static unsigned long
holder_flags (const struct restore *r)
{
  if (!r->record.rootless)
    return CLONE_NEWNS;
  return CLONE_NEWUSER | CLONE_NEWUTS | CLONE_NEWNS
         | (strstr (r->record.namespaces, "cgroup") ? CLONE_NEWCGROUP : 0);
}

/* Clone the holder into the container's cgroup and serve it; L->pid is the
 * restored container's pid 1 on success. */
static int
run_restore (struct restore *r, struct urun_launch *l, struct urun_error *err)
{
  const struct urun_linux *lx = &r->bundle.spec->linux_;
  cleanup_close int sync_fd = -1;
  int fds[2], pid = 0, ret;
  pid_t holder;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
    return urun_set_error (err, errno, "create sync socket");
  sync_fd = fds[0];
  holder = urun_cgroup_clone (&l->cgroup, r->bundle.spec, holder_flags (r), err);
  if (holder < 0)
    {
      close (fds[1]);
      return -1;
    }
  if (holder == 0)
    run_holder (r, fds[1], l->console_socket);
  close (fds[1]);
  ret = urun_sync_send (sync_fd, URUN_SYNC_IN_CGROUP, 0, err);
  if (ret == 0 && r->record.rootless
      && (urun_sync_expect (sync_fd, URUN_SYNC_MAP_IDS, NULL, err) < 0
          || urun_write_id_maps (holder, lx->uid_mappings, lx->n_uid_mappings,
                                 lx->gid_mappings, lx->n_gid_mappings, err) < 0
          || urun_sync_send (sync_fd, URUN_SYNC_IDS_MAPPED, 0, err) < 0))
    ret = -1;
  if (ret == 0 && urun_sync_expect (sync_fd, URUN_SYNC_INIT_PID, &pid, err) < 0)
    ret = -1;
  if (ret < 0)
    kill (holder, SIGKILL);
  waitpid (holder, NULL, 0);
  l->pid = pid;
  return ret;
}

static int
open_images (struct restore *r, struct urun_error *err)
{
  const char *work = r->o->work_path ? r->o->work_path : r->o->image_path;

  r->images_fd = open (r->o->image_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (r->images_fd < 0)
    return urun_set_error (err, errno, "image directory `%s`", r->o->image_path);
  r->work_fd = open (work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (r->work_fd < 0)
    return urun_set_error (err, errno, "work directory `%s`", work);
  if (urun_criu_record_read (r->images_fd, &r->record, err) < 0)
    return urun_wrap_error (err, "image directory `%s`", r->o->image_path);
  return urun_criu_init (&r->criu, urun_criu_binary (r->o->criu_path), r->images_fd,
                         r->work_fd, work, "restore.log", err);
}

/* Everything up to a restored, recorded container. */
static int
restore_container (const struct urun_context *ctx, struct restore *r,
                   struct urun_launch *l, struct urun_error *err)
{
  const struct urun_restore_opts *o = r->o;

  if (urun_state_check_id (o->id, err) < 0 || load_bundle (o->bundle, &r->bundle, err) < 0
      || open_images (r, err) < 0 || check_bundle (r, err) < 0 || set_criu_options (r, err) < 0)
    return -1;
  for (int fd = 0; fd < 3; fd++)
    if (r->record.stdio[fd].key && strncmp (r->record.stdio[fd].key, "tty[", 4) == 0
        && o->console_socket == NULL)
      return urun_set_error (err, 0, "the checkpoint has a terminal: give --console-socket");
  if (o->console_socket
      && (l->console_socket = urun_console_socket_connect (o->console_socket, err)) < 0)
    return -1;
  if ((l->root_fd = urun_state_open_root (ctx->state_root, err)) < 0
      || (l->dir_fd = urun_state_create_dir (l->root_fd, o->id, err)) < 0)
    return -1;
  l->id = o->id;
  /* As create_container does: state.json before the cgroup exists and
   * again once it does, so that a restore killed at any point leaves what
   * `delete` needs to undo it. */
  if (urun_state_save_config (l->dir_fd, r->bundle.config, err) < 0
      || urun_cgroup_plan (r->bundle.spec, o->id, ctx->state_root, ctx->systemd_cgroup,
                           &l->cgroup, err) < 0
      || urun_launch_write_state (&r->bundle, l, true, err) < 0
      || urun_cgroup_make (r->bundle.spec, &l->cgroup, err) < 0
      || urun_launch_write_state (&r->bundle, l, true, err) < 0)
    return -1;
  urun_test_pause_at ("restore");
  if (run_restore (r, l, err) < 0 || urun_launch_write_state (&r->bundle, l, false, err) < 0)
    return -1;
  if (o->pid_file && urun_write_pid_file (o->pid_file, l->pid, err) < 0)
    return -1;
  urun_debug ("container `%s` restored, pid %d", o->id, (int) l->pid);
  return 0;
}

int
urun_container_restore (const struct urun_context *ctx,
                        const struct urun_restore_opts *o, int *exit_status,
                        struct urun_error *err)
{
  __attribute__ ((cleanup (restore_free))) struct restore r = {
    .o = o, .images_fd = -1, .work_fd = -1, .pty_master = -1,
  };
  cleanup_launch struct urun_launch l = URUN_LAUNCH_INIT;
  const char *no_flags = getenv (NO_ROOT_FLAGS_ENV);
  sigset_t set, old;
  pid_t pid;

  r.fix_root_flags = !(no_flags && strcmp (no_flags, "1") == 0);
  signal (SIGCHLD, SIG_DFL);
  prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  if (!o->detach)
    {
      urun_forwarded_signals (&set);
      sigprocmask (SIG_BLOCK, &set, &old);
    }
  if (restore_container (ctx, &r, &l, err) < 0)
    return urun_wrap_error (err, "restore `%s`", o->id);
  close (TAKE_FD (l.dir_fd)); /* it stands: release the lock */
  pid = l.pid;
  l.pid = 0;
  *exit_status = 0;
  if (o->detach)
    {
      l.id = NULL;
      return 0;
    }
  *exit_status = urun_wait_forwarding (pid, &set, NULL);
  sigprocmask (SIG_SETMASK, &old, NULL);
  return 0; /* l's cleanup removes the stopped container */
}
