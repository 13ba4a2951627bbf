/* mounts.c: the container's mount namespace — rootfs, OCI mounts, masked and
 * read-only paths, pivot_root. Every mount is built detached with the mount
 * API (fsopen/fsmount or open_tree) and attached with move_mount onto an
 * O_PATH fd resolved inside the rootfs, so no path is looked up twice and no
 * symlink in the rootfs can redirect a mount to the host. */
#define _GNU_SOURCE
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "devices.h"
#include "log.h"
#include "mount-options.h"
#include "overlay.h"
#include "rootpath.h"
#include "utils.h"

int
urun_move_mount (int fd, int target_fd, const char *what, struct urun_error *err)
{
  if (move_mount (fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return urun_set_error (err, errno, "attach mount on `%s`", what);
  return 0;
}

/* Set and clear mount attributes on a detached or attached tree.
 * Only what the options name is touched: inside a user namespace the flags
 * the host mount had (nosuid, nodev, noexec, atime) are locked, and clearing
 * them fails with EPERM; mount_setattr(2) leaves unnamed flags as they are,
 * so unlike remount(2) it needs no re-applying of locked flags. */
static int
set_attrs (int fd, const struct urun_mount_options *o, bool recursive,
           const char *what, struct urun_error *err)
{
  struct mount_attr attr = { .attr_set = o->attr_set, .attr_clr = o->attr_clr };

  unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);

  if (o->attr_set == 0 && o->attr_clr == 0)
    return 0;
  if (mount_setattr (fd, "", flags, &attr, sizeof attr) == 0)
    return 0;
  /* The atime mode of a host mount is locked too (MNT_LOCK_ATIME): even
   * strictatime over relatime is EPERM. Keep the host's, as runc and crun
   * do, and still apply the rest. mount_namespaces(7) */
  if (errno == EPERM && (attr.attr_clr & MOUNT_ATTR__ATIME))
    {
      attr.attr_set &= ~MOUNT_ATTR__ATIME;
      attr.attr_clr &= ~MOUNT_ATTR__ATIME;
      if (mount_setattr (fd, "", flags, &attr, sizeof attr) == 0)
        {
          urun_debug ("mount `%s`: the atime mode is locked, kept the source's", what);
          return 0;
        }
    }
  return urun_set_error (err, errno, "set mount flags of `%s`", what);
}

static int
set_propagation (int fd, const struct urun_mount_options *o, const char *what,
                 struct urun_error *err)
{
  struct mount_attr attr = { .propagation = o->propagation };
  unsigned flags = AT_EMPTY_PATH | (o->propagation_recursive ? AT_RECURSIVE : 0);

  if (o->propagation == 0)
    return 0;
  if (mount_setattr (fd, "", flags, &attr, sizeof attr) < 0)
    return urun_set_error (err, errno, "set propagation of `%s`", what);
  return 0;
}

/* The filesystem's own explanation, from the fs context log. fsopen(2) */
static int
fs_error (int fs_fd, int errnum, const char *action, const char *type,
          struct urun_error *err)
{
  char log[512], last[512] = "";
  ssize_t n;

  while ((n = read (fs_fd, log, sizeof log - 1)) > 0)
    {
      log[n] = '\0';
      log[strcspn (log, "\n")] = '\0';
      /* Lines are "e msg", "w msg" or "i msg". */
      snprintf (last, sizeof last, "%s", n > 2 ? log + 2 : log);
    }
  if (*last)
    return urun_set_error (err, errnum, "%s `%s` (%s)", action, type, last);
  return urun_set_error (err, errnum, "%s `%s`", action, type);
}

static int
set_fs_param (int fs_fd, const char *param, const char *type,
              struct urun_error *err)
{
  cleanup_free char *key = xstrdup (param);
  char *value = strchr (key, '=');
  int r;

  if (value)
    {
      *value++ = '\0';
      r = fsconfig (fs_fd, FSCONFIG_SET_STRING, key, value, 0);
    }
  else
    r = fsconfig (fs_fd, FSCONFIG_SET_FLAG, key, NULL, 0);
  if (r < 0)
    {
      cleanup_free char *action = xasprintf ("set option `%s` of", param);
      return fs_error (fs_fd, errno, action, type, err);
    }
  return 0;
}

/* A new, detached filesystem mount of TYPE. */
static int
make_fs_mount (const char *type, const char *source,
               const struct urun_mount_options *o, struct urun_error *err)
{
  cleanup_close int fs_fd = fsopen (type, FSOPEN_CLOEXEC);
  int mnt_fd;

  if (fs_fd < 0 && errno == ENODEV)
    return urun_set_error (err, 0, "unknown filesystem type `%s`", type);
  if (fs_fd < 0)
    return urun_set_error (err, errno, "open filesystem `%s`", type);
  if (source && fsconfig (fs_fd, FSCONFIG_SET_STRING, "source", source, 0) < 0)
    return fs_error (fs_fd, errno, "set source of", type, err);
  for (size_t i = 0; i < o->n_fs_params; i++)
    if (set_fs_param (fs_fd, o->fs_params[i], type, err) < 0)
      return -1;
  if (fsconfig (fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return fs_error (fs_fd, errno, "create filesystem", type, err);
  mnt_fd = fsmount (fs_fd, FSMOUNT_CLOEXEC, (unsigned) o->attr_set);
  if (mnt_fd < 0)
    return fs_error (fs_fd, errno, "mount filesystem", type, err);
  return mnt_fd;
}

int
urun_make_fs_mount (const char *type, const char *source,
                    const struct urun_mount_options *o, struct urun_error *err)
{
  return make_fs_mount (type, source, o, err);
}

/* A detached copy of the host tree at SOURCE (recursive for rbind). */
static int
clone_tree (const char *source, bool recursive, struct urun_error *err)
{
  int fd = open_tree (AT_FDCWD, source,
                      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));

  if (fd < 0)
    return urun_set_error (err, errno, "open bind source `%s`", source);
  return fd;
}

static bool
is_fs_type (const char *path, long magic)
{
  struct statfs sfs;

  return statfs (path, &sfs) == 0 && sfs.f_type == magic;
}

/* The detached mount for a filesystem entry, with the fallbacks a user
 * namespace needs: a new sysfs is refused unless the network namespace is
 * ours (sysfs_get_tree, Linux 4.x+), and cgroup v1 hierarchies cannot be
 * mounted at all, so both become a recursive bind of the host's. */
static int
make_entry_mount (const struct urun_mount *m, const struct urun_rootfs *rootfs,
                  struct urun_mount_options *o, struct urun_error *err)
{
  const char *type = m->type;
  int fd;

  if (strcmp (type, "overlay") == 0)
    return urun_overlay_make_mount (m, rootfs, o, err);
  if (strcmp (type, "cgroup") == 0 || strcmp (type, "cgroup2") == 0)
    {
      if (!is_fs_type ("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC))
        {
          urun_debug ("cgroup mount on `%s`: host is not cgroup v2 only, binding its /sys/fs/cgroup", m->destination);
          o->is_recursive = true;
          return clone_tree ("/sys/fs/cgroup", true, err);
        }
      type = "cgroup2";
    }
  fd = make_fs_mount (type, m->source, o, err);
  if (fd < 0 && strcmp (type, "sysfs") == 0 && rootfs->in_user_namespace
      && err->errnum == EPERM)
    {
      urun_clear_error (err);
      urun_debug ("sysfs on `%s` refused in the user namespace: binding the host's /sys", m->destination);
      o->is_recursive = true;
      return clone_tree ("/sys", true, err);
    }
  return fd;
}

static char *
bind_source_path (const struct urun_mount *m, const struct urun_rootfs *rootfs)
{
  if (m->source == NULL)
    return NULL;
  if (m->source[0] == '/')
    return xstrdup (m->source);
  return xasprintf ("%s/%s", rootfs->bundle, m->source);
}

/* A destination that lands on procfs, whatever symlinks led there, would
 * hide what the kernel and the LSMs are asked through /proc (/proc/sys,
 * /proc/self/attr): the CVE-2019-16884 and CVE-2025-52881 classes. Allowed,
 * as in runc: a proc mount itself, and the files lxcfs stands in for, named
 * as they are. */
static int
check_proc_target (const struct urun_mount *m, int target_fd,
                   struct urun_error *err)
{
  static const char *const lxcfs_files[] = {
    "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",
    "/proc/swaps", "/proc/uptime", "/proc/loadavg", "/proc/slabinfo",
    "/proc/net/dev", "/proc/sys/kernel/ns_last_pid", "/proc/sys/crypto/fips_enabled",
  };
  struct statfs sfs;

  if (fstatfs (target_fd, &sfs) < 0)
    return urun_set_error (err, errno, "stat mount target `%s`", m->destination);
  if (sfs.f_type != PROC_SUPER_MAGIC || (m->type && strcmp (m->type, "proc") == 0))
    return 0;
  for (size_t i = 0; i < sizeof lxcfs_files / sizeof lxcfs_files[0]; i++)
    if (strcmp (m->destination, lxcfs_files[i]) == 0)
      return 0;
  return urun_set_error (err, 0, "`%s` is on procfs: only proc itself and lxcfs's files "
                                 "may be mounted there", m->destination);
}

static int
mount_entry (const struct urun_mount *m, struct urun_rootfs *rootfs,
             struct urun_mount_options *o, struct urun_error *err)
{
  cleanup_close int mnt_fd = -1;
  cleanup_close int target_fd = -1;
  cleanup_free char *source = NULL;
  bool is_dir = true;

  if (o->is_bind || (m->type && strcmp (m->type, "bind") == 0))
    {
      struct stat st;
      source = bind_source_path (m, rootfs);
      if (source == NULL)
        return urun_set_error (err, 0, "bind mount needs a source");
      if (stat (source, &st) < 0)
        return urun_set_error (err, errno, "bind source `%s`", source);
      is_dir = S_ISDIR (st.st_mode);
      mnt_fd = clone_tree (source, o->is_recursive, err);
    }
  else if (m->type == NULL)
    return urun_set_error (err, 0, "type: missing (and not a bind mount)");
  else
    mnt_fd = make_entry_mount (m, rootfs, o, err);
  if (mnt_fd < 0)
    return -1;
  if (set_attrs (mnt_fd, o, o->is_recursive, m->destination, err) < 0)
    return -1;
  target_fd = urun_make_in_root (rootfs->root_fd, m->destination, is_dir, err);
  if (target_fd < 0 || check_proc_target (m, target_fd, err) < 0)
    return -1;
  if (urun_move_mount (mnt_fd, target_fd, m->destination, err) < 0)
    return -1;
  return set_propagation (mnt_fd, o, m->destination, err);
}

static int
mount_spec_entries (const struct urun_spec *spec, struct urun_rootfs *rootfs,
                    struct urun_error *err)
{
  for (size_t i = 0; i < spec->n_mounts; i++)
    {
      const struct urun_mount *m = &spec->mounts[i];
      struct urun_mount_options o;
      int r = urun_parse_mount_options (m->options, m->n_options, &o, err);

      if (r == 0)
        r = mount_entry (m, rootfs, &o, err);
      urun_free_mount_options (&o);
      if (r < 0)
        return urun_wrap_error (err, "mounts[%zu] (`%s` on `%s`)", i,
                                m->type ? m->type : "bind", m->destination);
    }
  return 0;
}

static unsigned long
root_propagation (const struct urun_spec *spec)
{
  const char *p = spec->linux_.rootfs_propagation;

  if (p == NULL || strcmp (p, "rslave") == 0 || strcmp (p, "slave") == 0)
    return MS_SLAVE;
  if (strcmp (p, "shared") == 0 || strcmp (p, "rshared") == 0)
    return MS_SHARED;
  if (strcmp (p, "unbindable") == 0 || strcmp (p, "runbindable") == 0)
    return MS_UNBINDABLE;
  return MS_PRIVATE;
}

int
urun_prepare_rootfs (const struct urun_spec *spec, struct urun_rootfs *rootfs,
                     struct urun_error *err)
{
  unsigned long propagation = root_propagation (spec);

  /* Nothing we mount may propagate back to the host: start from a slave
   * (or private) copy of every mount, whatever the host's "/" is. Shared
   * and unbindable are set on the new root after pivot_root: an unbindable
   * rootfs could not be bound onto itself below (EINVAL). mount(2) */
  if (propagation == MS_SHARED)
    propagation = MS_SLAVE;
  else if (propagation == MS_UNBINDABLE)
    propagation = MS_PRIVATE;
  if (mount (NULL, "/", NULL, MS_REC | propagation, NULL) < 0)
    return urun_set_error (err, errno, "make `/` %s", propagation == MS_PRIVATE ? "private" : "slave");
  /* pivot_root(2) needs the new root to be a mount point. */
  if (mount (rootfs->path, rootfs->path, NULL, MS_BIND | MS_REC, NULL) < 0)
    return urun_set_error (err, errno, "bind rootfs `%s`", rootfs->path);
  if (urun_overlay_rootfs (spec, rootfs, err) < 0)
    return -1;
  rootfs->root_fd = open (rootfs->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfs->root_fd < 0)
    return urun_set_error (err, errno, "open rootfs `%s`", rootfs->path);
  if (mount_spec_entries (spec, rootfs, err) < 0)
    return -1;
  return urun_create_devices (spec, rootfs->root_fd, !rootfs->in_user_namespace, err);
}

/* A read-only recursive bind of PATH onto itself. */
static int
make_readonly (int root_fd, const char *path, struct urun_error *err)
{
  cleanup_close int target_fd = urun_openat_in_root (root_fd, path, O_PATH);
  cleanup_close int tree_fd = -1;
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

  if (target_fd < 0)
    return errno == ENOENT ? 0 : urun_set_error (err, errno, "open readonly path `%s`", path);
  tree_fd = open_tree (target_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
  if (tree_fd < 0)
    return urun_set_error (err, errno, "bind readonly path `%s`", path);
  if (mount_setattr (tree_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
    return urun_set_error (err, errno, "make `%s` read-only", path);
  return urun_move_mount (tree_fd, target_fd, path, err);
}

/* A read-only bind of the host's /dev/null. Read-only matters: the bind is
 * the host's inode, and a root container's chmod or chown through a masked
 * path would otherwise change the host's /dev/null (a read-only mount
 * refuses metadata changes with EROFS; mount(2)). */
static int
clone_null_readonly (int null_fd, const char *path, struct urun_error *err)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC };
  cleanup_close int fd = open_tree (null_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);

  if (fd < 0)
    return urun_set_error (err, errno, "bind /dev/null over `%s`", path);
  if (mount_setattr (fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    return urun_set_error (err, errno, "make the /dev/null over `%s` read-only", path);
  return TAKE_FD (fd);
}

/* Hide PATH: an empty read-only tmpfs over a directory, the host's
 * /dev/null over anything else. The /dev/null is the one urun opened on the
 * host (NULL_FD), checked to be the real 1:3 device, never the rootfs's own:
 * a container could have replaced that with a symlink (CVE-2025-31133). */
static int
mask_path (int root_fd, int null_fd, const char *path, struct urun_error *err)
{
  cleanup_close int target_fd = urun_openat_in_root (root_fd, path, O_PATH | O_NOFOLLOW);
  cleanup_close int mnt_fd = -1;
  struct stat st;

  if (target_fd < 0)
    return errno == ENOENT ? 0 : urun_set_error (err, errno, "open masked path `%s`", path);
  if (fstat (target_fd, &st) < 0)
    return urun_set_error (err, errno, "stat masked path `%s`", path);
  if (S_ISDIR (st.st_mode))
    {
      struct urun_mount_options o = { .attr_set = MOUNT_ATTR_RDONLY };
      mnt_fd = make_fs_mount ("tmpfs", "tmpfs", &o, err);
    }
  else
    mnt_fd = clone_null_readonly (null_fd, path, err);
  if (mnt_fd < 0)
    return -1;
  return urun_move_mount (mnt_fd, target_fd, path, err);
}

static int
open_host_null (struct urun_error *err)
{
  cleanup_close int fd = open ("/dev/null", O_PATH | O_CLOEXEC);
  struct stat st;

  if (fd < 0 || fstat (fd, &st) < 0)
    return urun_set_error (err, errno, "open host `/dev/null`");
  if (!S_ISCHR (st.st_mode) || st.st_rdev != makedev (1, 3))
    return urun_set_error (err, 0, "host `/dev/null` is not the null device");
  return TAKE_FD (fd);
}

static int
protect_paths (const struct urun_spec *spec, int root_fd, struct urun_error *err)
{
  cleanup_close int null_fd = -1;

  for (size_t i = 0; i < spec->linux_.n_readonly_paths; i++)
    if (make_readonly (root_fd, spec->linux_.readonly_paths[i], err) < 0)
      return urun_wrap_error (err, "linux.readonlyPaths[%zu]", i);
  if (spec->linux_.n_masked_paths == 0)
    return 0;
  null_fd = open_host_null (err);
  if (null_fd < 0)
    return -1;
  for (size_t i = 0; i < spec->linux_.n_masked_paths; i++)
    if (mask_path (root_fd, null_fd, spec->linux_.masked_paths[i], err) < 0)
      return urun_wrap_error (err, "linux.maskedPaths[%zu]", i);
  return 0;
}

/* pivot_root(".", ".") stacks the old root on top of the new one; detaching
 * it leaves the new root alone, with no temporary directory. pivot_root(2) */
static int
pivot_into (int root_fd, struct urun_error *err)
{
  if (fchdir (root_fd) < 0)
    return urun_set_error (err, errno, "enter rootfs");
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return urun_set_error (err, errno, "pivot_root");
  if (umount2 (".", MNT_DETACH) < 0)
    return urun_set_error (err, errno, "detach the old root");
  return chdir ("/") < 0 ? urun_set_error (err, errno, "chdir to `/`") : 0;
}

static int
move_into (const char *path, struct urun_error *err)
{
  if (chdir (path) < 0)
    return urun_set_error (err, errno, "enter rootfs `%s`", path);
  if (mount (path, "/", NULL, MS_MOVE, NULL) < 0)
    return urun_set_error (err, errno, "move rootfs `%s` to `/`", path);
  if (chroot (".") < 0)
    return urun_set_error (err, errno, "chroot");
  return chdir ("/") < 0 ? urun_set_error (err, errno, "chdir to `/`") : 0;
}

int
urun_finish_rootfs (const struct urun_spec *spec, struct urun_rootfs *rootfs,
                    bool no_pivot, struct urun_error *err)
{
  cleanup_close int root_fd = TAKE_FD (rootfs->root_fd);
  unsigned long propagation;

  if (protect_paths (spec, root_fd, err) < 0)
    return -1;
  if (spec->root.readonly)
    {
      /* Only the root mount itself: /proc, /dev and the rest keep theirs. */
      struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
      if (mount_setattr (root_fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
        return urun_set_error (err, errno, "make the rootfs read-only");
    }
  if ((no_pivot ? move_into (rootfs->path, err) : pivot_into (root_fd, err)) < 0)
    return -1;
  propagation = root_propagation (spec);
  if ((propagation == MS_SHARED || propagation == MS_UNBINDABLE)
      && mount (NULL, "/", NULL, MS_REC | propagation, NULL) < 0)
    return urun_set_error (err, errno, "make `/` %s",
                           propagation == MS_SHARED ? "shared" : "unbindable");
  return 0;
}
