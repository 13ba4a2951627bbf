/* devices.c: /dev nodes — mknod as root, bind mounts from the host rootless. */
#define _GNU_SOURCE
#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "mounts.h"
#include "rootpath.h"
#include "utils.h"

static const struct urun_device default_devices[] = {
  { .path = "/dev/null", .type = 'c', .major = 1, .minor = 3 },
  { .path = "/dev/zero", .type = 'c', .major = 1, .minor = 5 },
  { .path = "/dev/full", .type = 'c', .major = 1, .minor = 7 },
  { .path = "/dev/random", .type = 'c', .major = 1, .minor = 8 },
  { .path = "/dev/urandom", .type = 'c', .major = 1, .minor = 9 },
  { .path = "/dev/tty", .type = 'c', .major = 5, .minor = 0 },
};

static const struct
{
  const char *target;
  const char *name;
} dev_symlinks[] = {
  { "/proc/self/fd", "fd" },      { "/proc/self/fd/0", "stdin" },
  { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
  { "pts/ptmx", "ptmx" },
};

static mode_t
device_mode (const struct urun_device *d)
{
  mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;

  return type | (d->has_file_mode ? (d->file_mode & 07777) : 0666);
}

/* Split "/dev/foo/bar" into the parent, created in the rootfs, and "bar". */
static int
open_parent (int root_fd, const char *path, const char **name,
             struct urun_error *err)
{
  cleanup_free char *parent = xstrdup (path);
  char *slash = strrchr (parent, '/');

  *name = strrchr (path, '/') + 1;
  if (slash == parent)
    return urun_set_error (err, 0, "device path `%s` is not under a directory", path);
  *slash = '\0';
  return urun_make_in_root (root_fd, parent, true, err);
}

static int
make_node (int root_fd, const struct urun_device *d, struct urun_error *err)
{
  const char *name;
  cleanup_close int dir_fd = -1;
  cleanup_close int parent_fd = open_parent (root_fd, d->path, &name, err);

  if (parent_fd < 0)
    return -1;
  /* mknodat needs a real directory fd, not O_PATH. */
  dir_fd = openat (parent_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0)
    return urun_set_error (err, errno, "open parent of `%s`", d->path);
  if (unlinkat (dir_fd, name, 0) < 0 && errno != ENOENT)
    return urun_set_error (err, errno, "replace `%s`", d->path);
  if (mknodat (dir_fd, name, device_mode (d), makedev (d->major, d->minor)) < 0)
    return urun_set_error (err, errno, "mknod `%s`", d->path);
  /* mknod applies the umask; the spec's mode is meant literally. */
  if (fchmodat (dir_fd, name, device_mode (d) & 07777, 0) < 0)
    return urun_set_error (err, errno, "chmod `%s`", d->path);
  if ((d->has_uid || d->has_gid)
      && fchownat (dir_fd, name, d->has_uid ? d->uid : (uid_t) -1,
                   d->has_gid ? d->gid : (gid_t) -1, AT_SYMLINK_NOFOLLOW) < 0)
    return urun_set_error (err, errno, "chown `%s`", d->path);
  return 0;
}

/* Bind the host's node of the same path; it must be the device asked for. */
static int
bind_node (int root_fd, const struct urun_device *d, struct urun_error *err)
{
  cleanup_close int tree_fd = -1;
  cleanup_close int target_fd = -1;
  struct stat st;

  if (stat (d->path, &st) < 0)
    return urun_set_error (err, errno, "host device `%s` to bind into the container", d->path);
  if ((st.st_mode & S_IFMT) != (device_mode (d) & S_IFMT)
      || st.st_rdev != makedev (d->major, d->minor))
    return urun_set_error (err, 0, "host `%s` is not device %c %lld:%lld", d->path,
                           d->type, (long long) d->major, (long long) d->minor);
  tree_fd = open_tree (AT_FDCWD, d->path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree_fd < 0)
    return urun_set_error (err, errno, "bind host device `%s`", d->path);
  target_fd = urun_make_in_root (root_fd, d->path, false, err);
  if (target_fd < 0)
    return -1;
  return urun_move_mount (tree_fd, target_fd, d->path, err);
}

static bool
listed_in_spec (const struct urun_spec *spec, const char *path)
{
  for (size_t i = 0; i < spec->linux_.n_devices; i++)
    if (strcmp (spec->linux_.devices[i].path, path) == 0)
      return true;
  return false;
}

static int
create_device (int root_fd, const struct urun_device *d, bool can_mknod,
               struct urun_error *err)
{
  return can_mknod ? make_node (root_fd, d, err) : bind_node (root_fd, d, err);
}

static int
create_symlinks (int root_fd, struct urun_error *err)
{
  cleanup_close int dev_fd = urun_make_in_root (root_fd, "/dev", true, err);
  cleanup_close int dir_fd = -1;

  if (dev_fd < 0)
    return -1;
  dir_fd = openat (dev_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0)
    return urun_set_error (err, errno, "open `/dev` in the rootfs");
  for (size_t i = 0; i < sizeof dev_symlinks / sizeof dev_symlinks[0]; i++)
    if (symlinkat (dev_symlinks[i].target, dir_fd, dev_symlinks[i].name) < 0
        && errno != EEXIST)
      return urun_set_error (err, errno, "create symlink `/dev/%s`", dev_symlinks[i].name);
  return 0;
}

int
urun_create_devices (const struct urun_spec *spec, int root_fd, bool can_mknod,
                     struct urun_error *err)
{
  for (size_t i = 0; i < sizeof default_devices / sizeof default_devices[0]; i++)
    if (!listed_in_spec (spec, default_devices[i].path)
        && create_device (root_fd, &default_devices[i], can_mknod, err) < 0)
      return urun_wrap_error (err, "create default device");
  for (size_t i = 0; i < spec->linux_.n_devices; i++)
    if (create_device (root_fd, &spec->linux_.devices[i], can_mknod, err) < 0)
      return urun_wrap_error (err, "linux.devices[%zu]", i);
  return create_symlinks (root_fd, err);
}
