/* overlay.c: overlay mounts — the kernel's overlayfs inside the container's
 * user namespace (Linux 5.11+), fuse-overlayfs when the kernel refuses, and
 * the rootfs overlay with a throw-away tmpfs upper layer. The spec's checks
 * (in urun) and the mounts (in the container process); urun starts the fuse
 * daemons in overlay-fuse.c. */
#define _GNU_SOURCE
#include "overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "overlay-internal.h"
#include "sync.h"
#include "utils.h"

enum overlay_mode
{
  MODE_AUTO,
  MODE_KERNEL,
  MODE_FUSE,
};

const char *const urun_overlay_dir_keys[3] = { "lowerdir", "upperdir", "workdir" };

/* Overlays whose lower layer belongs to an ID the user namespace does not
 * map: decided by urun before the clone (the container process inherits
 * it), used in the container process. */
static struct
{
  bool rootfs;
  const struct urun_mount **mounts;
  size_t n_mounts;
} unmapped_lower;

static int
get_mode (enum overlay_mode *mode, struct urun_error *err)
{
  const char *v = getenv (URUN_OVERLAY_ENV);

  *mode = MODE_AUTO;
  if (v == NULL || *v == '\0' || strcmp (v, "auto") == 0)
    return 0;
  if (strcmp (v, "kernel") == 0)
    *mode = MODE_KERNEL;
  else if (strcmp (v, "fuse") == 0)
    *mode = MODE_FUSE;
  else
    return urun_set_error (err, 0, "$%s: expected `auto`, `kernel` or `fuse`, not `%s`",
                           URUN_OVERLAY_ENV, v);
  return 0;
}

bool
urun_overlay_is_mount (const struct urun_mount *m)
{
  if (m->type == NULL || strcmp (m->type, "overlay") != 0)
    return false;
  for (size_t i = 0; i < m->n_options; i++)
    if (strcmp (m->options[i], "bind") == 0 || strcmp (m->options[i], "rbind") == 0)
      return false;
  return true;
}

bool
urun_overlay_wants_rootfs (const struct urun_spec *spec)
{
  const char *v = urun_spec_annotation (spec, URUN_ROOTFS_OVERLAY_ANNOTATION);

  return v && strcmp (v, "tmpfs") == 0;
}

bool
urun_overlay_in_own_mount_ns (const struct urun_spec *spec)
{
  const struct urun_namespace *mnt = urun_spec_namespace (spec, URUN_NS_MOUNT);

  return mnt && mnt->path == NULL;
}

const char *
urun_overlay_option (const char *option, const char *key)
{
  size_t len = strlen (key);

  return strncmp (option, key, len) == 0 && option[len] == '=' ? option + len + 1 : NULL;
}

bool
urun_overlay_find_fuse (char *buf, size_t size)
{
  const char *override = getenv (URUN_FUSE_OVERLAYFS_ENV);
  const char *path = getenv ("PATH");
  cleanup_free char *dirs = NULL;
  char *save = NULL;

  if (override && *override)
    {
      snprintf (buf, size, "%s", override);
      return urun_is_executable (buf);
    }
  dirs = xstrdup (path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
  for (char *d = strtok_r (dirs, ":", &save); d; d = strtok_r (NULL, ":", &save))
    {
      snprintf (buf, size, "%s/fuse-overlayfs", d);
      if (*d == '/' && urun_is_executable (buf))
        return true;
    }
  *buf = '\0';
  return false;
}

/* ---------------------------------------------------------------------------
 * Before anything exists: the spec */

/* KEY's directories (lowerdir: a `:` list) made absolute from BUNDLE and
 * checked to exist; the option is rewritten in place. */
static int
prepare_dirs (struct urun_mount *m, size_t i, size_t k, const char *key,
              const char *bundle, struct urun_error *err)
{
  cleanup_free char *list = xstrdup (urun_overlay_option (m->options[k], key));
  char *text = NULL, *save = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&text, &len);

  if (f == NULL)
    abort ();
  fprintf (f, "%s=", key);
  for (char *d = strtok_r (list, ":", &save); d; d = strtok_r (NULL, ":", &save))
    {
      cleanup_free char *dir = *d == '/' ? xstrdup (d) : xasprintf ("%s/%s", bundle, d);
      struct stat st;
      int errnum = stat (dir, &st) < 0 ? errno : S_ISDIR (st.st_mode) ? 0 : ENOTDIR;

      if (errnum)
        {
          fclose (f);
          free (text);
          return urun_set_error (err, errnum, "config.json: mounts[%zu] (`overlay` on `%s`): %s `%s`",
                                 i, m->destination, key, dir);
        }
      fprintf (f, "%s%s", ftell (f) > (long) strlen (key) + 1 ? ":" : "", dir);
    }
  fclose (f);
  free (m->options[k]);
  m->options[k] = text;
  return 0;
}

static bool
is_host_id_mapped (const struct urun_id_mapping *map, size_t n, uint32_t id)
{
  for (size_t i = 0; i < n; i++)
    if (id >= map[i].host_id && (uint64_t) id < (uint64_t) map[i].host_id + map[i].size)
      return true;
  return false;
}

/* Does the new user namespace map the owner of PATH (a `:` list: of any of
 * them)? Without one, nothing is unmapped. */
static bool
is_owner_unmapped (const struct urun_spec *spec, const char *list)
{
  const struct urun_namespace *user = urun_spec_namespace (spec, URUN_NS_USER);
  const struct urun_linux *l = &spec->linux_;
  cleanup_free char *dirs = xstrdup (list);
  char *save = NULL;

  if (user == NULL || user->path != NULL || l->n_uid_mappings == 0)
    return false;
  for (char *d = strtok_r (dirs, ":", &save); d; d = strtok_r (NULL, ":", &save))
    {
      struct stat st;
      if (stat (d, &st) == 0
          && (!is_host_id_mapped (l->uid_mappings, l->n_uid_mappings, st.st_uid)
              || !is_host_id_mapped (l->gid_mappings, l->n_gid_mappings, st.st_gid)))
        return true;
    }
  return false;
}

static void
note_unmapped_lower (const struct urun_spec *spec, const struct urun_mount *m)
{
  for (size_t k = 0; k < m->n_options; k++)
    {
      const char *lower = urun_overlay_option (m->options[k], "lowerdir");
      if (lower && is_owner_unmapped (spec, lower))
        {
          unmapped_lower.mounts = xrealloc (unmapped_lower.mounts,
                                            (unmapped_lower.n_mounts + 1) * sizeof (struct urun_mount *));
          unmapped_lower.mounts[unmapped_lower.n_mounts++] = m;
          return;
        }
    }
}

static bool
has_unmapped_lower (const struct urun_mount *m)
{
  if (m == NULL)
    return unmapped_lower.rootfs;
  for (size_t i = 0; i < unmapped_lower.n_mounts; i++)
    if (unmapped_lower.mounts[i] == m)
      return true;
  return false;
}

static int
prepare_mount (struct urun_mount *m, size_t i, const char *bundle,
               struct urun_error *err)
{
  bool has[3] = { false, false, false };

  for (size_t k = 0; k < m->n_options; k++)
    for (size_t j = 0; j < 3; j++)
      if (urun_overlay_option (m->options[k], urun_overlay_dir_keys[j]))
        {
          has[j] = true;
          if (prepare_dirs (m, i, k, urun_overlay_dir_keys[j], bundle, err) < 0)
            return -1;
        }
  if (!has[0])
    return urun_set_error (err, 0, "config.json: mounts[%zu] (`overlay` on `%s`): options: `lowerdir=` is missing",
                           i, m->destination);
  if (has[1] != has[2])
    return urun_set_error (err, 0, "config.json: mounts[%zu] (`overlay` on `%s`): options: `%s=` needs `%s=` (on the same filesystem)",
                           i, m->destination, has[1] ? "upperdir" : "workdir", has[1] ? "workdir" : "upperdir");
  return 0;
}

int
urun_overlay_prepare_spec (struct urun_spec *spec, const char *bundle,
                           const char *rootfs, struct urun_error *err)
{
  const char *v = urun_spec_annotation (spec, URUN_ROOTFS_OVERLAY_ANNOTATION);
  enum overlay_mode mode;

  if (get_mode (&mode, err) < 0)
    return -1;
  if (v && strcmp (v, "tmpfs") != 0)
    return urun_set_error (err, 0, "config.json: annotations.%s: expected `tmpfs`, not `%s`",
                           URUN_ROOTFS_OVERLAY_ANNOTATION, v);
  unmapped_lower.rootfs = urun_overlay_wants_rootfs (spec) && is_owner_unmapped (spec, rootfs);
  for (size_t i = 0; i < spec->n_mounts; i++)
    if (urun_overlay_is_mount (&spec->mounts[i]))
      {
        if (prepare_mount (&spec->mounts[i], i, bundle, err) < 0)
          return -1;
        note_unmapped_lower (spec, &spec->mounts[i]);
      }
  return 0;
}

/* ---------------------------------------------------------------------------
 * In the container process */

/* The initial user namespace maps every ID onto itself. user_namespaces(7) */
static bool
in_initial_user_namespace (void)
{
  struct urun_error ignored = URUN_ERROR_INIT;
  cleanup_free char *map = NULL;
  unsigned first = 1, host = 1, count = 0;
  size_t len = 0;

  if (urun_read_file_at (AT_FDCWD, "/proc/self/uid_map", &map, &len, &ignored) < 0)
    {
      urun_clear_error (&ignored);
      return false;
    }
  return sscanf (map, "%u %u %u", &first, &host, &count) == 3 && first == 0 && host == 0
         && count == UINT32_MAX;
}

/* Outside the initial user namespace overlayfs cannot write its trusted.*
 * xattrs and runs degraded (no opaque directories, the kernel log says
 * "try mounting with 'userxattr'"); userxattr (Linux 5.11) uses user.*
 * instead. Documentation/filesystems/overlayfs.rst */
static int
kernel_overlay (const char *const *params, size_t n, uint64_t attr_set,
                struct urun_error *err)
{
  cleanup_free const char **all = xmalloc0 ((n + 2) * sizeof (char *));
  struct urun_mount_options o = { .attr_set = attr_set, .fs_params = all };
  bool has_userxattr = false;

  for (size_t i = 0; i < n; i++)
    {
      all[o.n_fs_params++] = params[i];
      has_userxattr = has_userxattr || strcmp (params[i], "userxattr") == 0;
    }
  if (!has_userxattr && !in_initial_user_namespace ())
    all[o.n_fs_params++] = "userxattr";
  return urun_make_fs_mount ("overlay", "overlay", &o, err);
}

/* Missing directories fail fuse-overlayfs too: only the kernel's other
 * refusals (EPERM before Linux 5.11, EINVAL for an upper layer it cannot
 * use in a user namespace, ENODEV without overlayfs) go to it. */
static char *
fallback_reason (struct urun_error *err, enum overlay_mode mode,
                 const char *what)
{
  char *reason;

  if (mode == MODE_KERNEL || err->errnum == ENOENT || err->errnum == ENOTDIR)
    return NULL;
  reason = urun_format_error (err);
  urun_clear_error (err);
  urun_debug ("overlay on `%s`: the kernel refused (%s); trying fuse-overlayfs", what, reason);
  return reason;
}

static int
no_fuse_overlayfs (const char *tried, const char *why, struct urun_error *err)
{
  if (*tried)
    return urun_set_error (err, ENOENT, "`%s` (from $%s) is not an executable file",
                           tried, URUN_FUSE_OVERLAYFS_ENV);
  if (why)
    return urun_set_error (err, 0, "the kernel refused overlayfs (%s) and `fuse-overlayfs` is not installed (Debian package `fuse-overlayfs`)",
                           why);
  return urun_set_error (err, 0, "`fuse-overlayfs` not found ($%s=fuse; Debian package `fuse-overlayfs`)",
                         URUN_OVERLAY_ENV);
}

/* A fuse filesystem on DEV, an open /dev/fuse: the kernel ties the
 * connection to the opener's user namespace, which must be the mounter's
 * (fuse_fill_super). allow_other: the container's users are not the
 * mounter; default_permissions: the kernel checks modes. fuse(4) */
static int
make_fuse_mount (int dev, uint64_t attr_set, struct urun_error *err)
{
  cleanup_free char *fd = xasprintf ("fd=%d", dev);
  cleanup_free char *uid = xasprintf ("user_id=%d", (int) geteuid ());
  cleanup_free char *gid = xasprintf ("group_id=%d", (int) getegid ());
  const char *params[] = { fd, "rootmode=40000", uid, gid, "allow_other",
                           "default_permissions", "subtype=fuse-overlayfs", NULL };
  struct urun_mount_options o = { .attr_set = attr_set, .fs_params = params,
                                  .n_fs_params = sizeof params / sizeof params[0] - 1 };

  return urun_make_fs_mount ("fuse", "fuse-overlayfs", &o, err);
}

/* The overlay through fuse-overlayfs: the mount is made here, and urun
 * starts the daemon on our /dev/fuse fd outside the container. */
static int
fuse_overlay (const struct urun_rootfs *rootfs, uint64_t attr_set, const char *why,
              struct urun_error *err)
{
  cleanup_close int dev = -1;
  cleanup_close int mnt = -1;
  char tool[PATH_MAX];
  struct statfs sfs;

  if (!urun_overlay_find_fuse (tool, sizeof tool))
    return no_fuse_overlayfs (tool, why, err);
  dev = open ("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (dev < 0)
    return urun_set_error (err, errno, "open `/dev/fuse` for fuse-overlayfs%s%s%s",
                           why ? " (the kernel refused overlayfs: " : "", why ? why : "", why ? ")" : "");
  mnt = make_fuse_mount (dev, attr_set, err);
  if (mnt < 0)
    return -1;
  if (urun_sync_send (rootfs->sync_fd, URUN_SYNC_OVERLAY, 1, err) < 0
      || urun_sync_send_fd (rootfs->sync_fd, URUN_SYNC_OVERLAY_FUSE, dev, err) < 0)
    return -1;
  close (TAKE_FD (dev));
  if (urun_sync_expect (rootfs->sync_fd, URUN_SYNC_OVERLAY_STARTED, NULL, err) < 0)
    return -1;
  /* The first request waits for the daemon's answer to FUSE_INIT. A daemon
   * that died took the last /dev/fuse fd with it, which aborts the
   * connection: ENOTCONN. fuse(4) */
  if (fstatfs (mnt, &sfs) < 0)
    return urun_set_error (err, errno, "fuse-overlayfs did not start");
  if (urun_sync_send (rootfs->sync_fd, URUN_SYNC_OVERLAY_READY, 0, err) < 0)
    return -1;
  return TAKE_FD (mnt);
}

/* The kernel's overlayfs copies a file up with its owner, and cannot give
 * it one the user namespace does not map: the first write to a root-owned
 * image fails with EOVERFLOW. fuse-overlayfs copies it up as the
 * container's root. With such a lower layer, it goes first when it can. */
static bool
fuse_goes_first (const struct urun_mount *m, enum overlay_mode mode,
                 const char *what)
{
  char tool[PATH_MAX];

  if (mode != MODE_AUTO)
    return mode == MODE_FUSE;
  if (!has_unmapped_lower (m))
    return false;
  if (!urun_overlay_find_fuse (tool, sizeof tool) || access ("/dev/fuse", R_OK | W_OK) < 0)
    {
      urun_debug ("overlay on `%s`: the lower layer belongs to an ID the user namespace does not map, "
                  "and without fuse-overlayfs its files cannot be copied up", what);
      return false;
    }
  urun_debug ("overlay on `%s`: the lower layer belongs to an ID the user namespace does not map: "
              "fuse-overlayfs, which can copy its files up", what);
  return true;
}

int
urun_overlay_make_mount (const struct urun_mount *m,
                         const struct urun_rootfs *rootfs,
                         const struct urun_mount_options *o,
                         struct urun_error *err)
{
  cleanup_free char *why = NULL;
  enum overlay_mode mode;
  int fd;

  if (get_mode (&mode, err) < 0)
    return -1;
  if (!fuse_goes_first (m, mode, m->destination))
    {
      fd = kernel_overlay (o->fs_params, o->n_fs_params, o->attr_set, err);
      if (fd >= 0 && urun_sync_send (rootfs->sync_fd, URUN_SYNC_OVERLAY, 0, err) < 0)
        {
          close (fd);
          return -1;
        }
      if (fd >= 0)
        return fd;
      why = fallback_reason (err, mode, m->destination);
      if (why == NULL)
        return -1;
    }
  return fuse_overlay (rootfs, o->attr_set, why, err);
}

/* A tmpfs with upper/ (the rootfs's mode and owner) and work/, attached
 * over the rootfs so that the overlay's layers are all in our mount
 * namespace (overlayfs clones them privately, and before Linux 6.15 only
 * from there). LOWER is the rootfs underneath. */
static int
attach_upper_tmpfs (int lower, const char *path, struct urun_error *err)
{
  const char *params[] = { "mode=0700", NULL };
  struct urun_mount_options t = { .fs_params = params, .n_fs_params = 1 };
  cleanup_close int tmp = urun_make_fs_mount ("tmpfs", "tmpfs", &t, err);
  struct stat st;

  if (tmp < 0)
    return -1;
  if (fstat (lower, &st) < 0)
    return urun_set_error (err, errno, "stat rootfs `%s`", path);
  if (mkdirat (tmp, "upper", 0700) < 0 || mkdirat (tmp, "work", 0700) < 0)
    return urun_set_error (err, errno, "create the upper layer on tmpfs");
  if (fchownat (tmp, "upper", st.st_uid, st.st_gid, 0) < 0)
    urun_debug ("rootfs overlay: keeping the upper layer root's owner: %s", strerror (errno));
  if (fchmodat (tmp, "upper", st.st_mode & 07777, 0) < 0)
    return urun_set_error (err, errno, "set the mode of the upper layer");
  if (urun_move_mount (tmp, lower, path, err) < 0)
    return -1;
  return TAKE_FD (tmp);
}

static int
kernel_rootfs_overlay (const struct urun_rootfs *rootfs, struct urun_error *err)
{
  cleanup_close int lower = open (rootfs->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int tmp = -1, ovl = -1;
  cleanup_free char *lowerdir = NULL, *upperdir = NULL, *workdir = NULL;

  if (lower < 0)
    return urun_set_error (err, errno, "open rootfs `%s`", rootfs->path);
  tmp = attach_upper_tmpfs (lower, rootfs->path, err);
  if (tmp < 0)
    return -1;
  lowerdir = xasprintf ("lowerdir=/proc/self/fd/%d", lower);
  upperdir = xasprintf ("upperdir=/proc/self/fd/%d/upper", tmp);
  workdir = xasprintf ("workdir=/proc/self/fd/%d/work", tmp);
  ovl = kernel_overlay ((const char *[]){ lowerdir, upperdir, workdir }, 3, 0, err);
  if (ovl >= 0 && urun_move_mount (ovl, tmp, rootfs->path, err) == 0)
    return 0;
  /* Leave the rootfs as it was for fuse-overlayfs. */
  if (umount2 (rootfs->path, MNT_DETACH) < 0)
    urun_debug ("rootfs overlay: detach the tmpfs: %s", strerror (errno));
  return -1;
}

int
urun_overlay_rootfs (const struct urun_spec *spec,
                     const struct urun_rootfs *rootfs, struct urun_error *err)
{
  cleanup_free char *why = NULL;
  cleanup_close int mnt = -1;
  cleanup_close int target = -1;
  enum overlay_mode mode;

  if (!urun_overlay_wants_rootfs (spec))
    return 0;
  if (get_mode (&mode, err) < 0)
    return -1;
  if (!fuse_goes_first (NULL, mode, "/"))
    {
      if (kernel_rootfs_overlay (rootfs, err) == 0)
        return urun_sync_send (rootfs->sync_fd, URUN_SYNC_OVERLAY, 0, err);
      why = fallback_reason (err, mode, "/");
      if (why == NULL)
        return urun_wrap_error (err, "rootfs overlay");
    }
  mnt = fuse_overlay (rootfs, 0, why, err);
  if (mnt < 0)
    return urun_wrap_error (err, "rootfs overlay");
  target = open (rootfs->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (target < 0)
    return urun_set_error (err, errno, "rootfs overlay: open `%s`", rootfs->path);
  return urun_move_mount (mnt, target, rootfs->path, err);
}
