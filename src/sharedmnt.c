/* sharedmnt.c: a container in a mount namespace urun did not make (see
 * sharedmnt.h): checks at create, the root opened by urun, chroot(2) in
 * the container process. */
#define _GNU_SOURCE
#include "sharedmnt.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "overlay.h"
#include "rootpath.h"

/* A path the spec wants hidden or read-only must not be there to see: with
 * no mount namespace nothing can be mounted over it. */
static int
check_absent (int root_fd, char **paths, size_t n, const char *what,
              struct urun_error *err)
{
  for (size_t i = 0; i < n; i++)
    {
      cleanup_close int fd = urun_openat_in_root (root_fd, paths[i], O_PATH | O_NOFOLLOW);

      if (fd >= 0 || errno != ENOENT)
        return urun_set_error (err, 0,
                               "config.json: linux.%s[%zu]: `%s` is in the rootfs, and without a mount namespace of its own "
                               "urun cannot mount over it (add {\"type\": \"mount\"} to linux.namespaces)",
                               what, i, paths[i]);
    }
  return 0;
}

int
urun_sharedmnt_check (const struct urun_spec *spec, const char *rootfs,
                      struct urun_error *err)
{
  static const char fix[] = "needs a mount namespace of its own (add {\"type\": \"mount\"} to linux.namespaces): "
                            "urun never mounts in the host's";
  const struct urun_linux *l = &spec->linux_;
  cleanup_close int root_fd = -1;

  if (spec->root.readonly)
    return urun_set_error (err, 0, "config.json: root.readonly %s", fix);
  if (l->rootfs_propagation)
    return urun_set_error (err, 0, "config.json: linux.rootfsPropagation %s", fix);
  if (urun_spec_annotation (spec, URUN_ROOTFS_OVERLAY_ANNOTATION) != NULL)
    return urun_set_error (err, 0, "config.json: annotations.%s %s", URUN_ROOTFS_OVERLAY_ANNOTATION, fix);
  root_fd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    return urun_set_error (err, errno, "config.json: root.path: rootfs `%s`", rootfs);
  if (check_absent (root_fd, l->masked_paths, l->n_masked_paths, "maskedPaths", err) < 0
      || check_absent (root_fd, l->readonly_paths, l->n_readonly_paths, "readonlyPaths", err) < 0)
    return -1;
  /* What is not made only leaves the container less: say so, once. */
  if (spec->n_mounts > 0 || l->n_devices > 0)
    urun_warn ("no mount namespace: the container shares the host's, where urun mounts nothing; "
               "%zu mounts and %zu linux.devices not made, the rootfs entered with chroot",
               spec->n_mounts, l->n_devices);
  return 0;
}

int
urun_sharedmnt_open_root (const struct urun_spec *spec, const char *rootfs,
                          int *fd, struct urun_error *err)
{
  const struct urun_namespace *mnt = urun_spec_namespace (spec, URUN_NS_MOUNT);

  *fd = -1;
  if (mnt != NULL && mnt->path == NULL)
    return 0;
  *fd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*fd < 0)
    return urun_set_error (err, errno, "open the container's root `%s`", rootfs);
  return 0;
}

int
urun_sharedmnt_enter_root (int root_fd, const char *what,
                           struct urun_error *err)
{
  struct stat want, now;

  if (fstat (root_fd, &want) < 0 || stat ("/", &now) < 0)
    return urun_set_error (err, errno, "stat the container's root `%s`", what);
  if (want.st_dev == now.st_dev && want.st_ino == now.st_ino)
    return chdir ("/") < 0 ? urun_set_error (err, errno, "chdir to `/`") : 0;
  /* The root of a chroot is no wall for a process that keeps
   * CAP_SYS_CHROOT (chroot(2), NOTES); a mount namespace of its own is. */
  if (fchdir (root_fd) < 0 || chroot (".") < 0)
    return urun_set_error (err, errno, "chroot into `%s`", what);
  return chdir ("/") < 0 ? urun_set_error (err, errno, "chdir to `/`") : 0;
}
