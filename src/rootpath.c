/* rootpath.c: openat2(RESOLVE_IN_ROOT) lookups and creation inside the rootfs. */
#define _GNU_SOURCE
#include "rootpath.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "utils.h"

int
urun_openat_in_root (int root_fd, const char *path, int flags)
{
  struct open_how how = {
    .flags = (unsigned) (flags | O_CLOEXEC),
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };

  while (*path == '/')
    path++;
  if (*path == '\0')
    path = ".";
  return (int) syscall (SYS_openat2, root_fd, path, &how, sizeof how);
}

/* Create NAME in the directory PARENT_FD; an existing entry is fine. */
static int
create_entry (int parent_fd, const char *name, bool is_dir)
{
  int fd;

  if (is_dir)
    return mkdirat (parent_fd, name, 0755) < 0 && errno != EEXIST ? -1 : 0;
  /* O_EXCL|O_NOFOLLOW: never open through a symlink planted here. */
  fd = openat (parent_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    return errno == EEXIST ? 0 : -1;
  close (fd);
  return 0;
}

int
urun_make_in_root (int root_fd, const char *path, bool is_dir,
                   struct urun_error *err)
{
  cleanup_free char *copy = xstrdup (path);
  cleanup_close int parent_fd = -1;
  int fd;

  fd = urun_openat_in_root (root_fd, path, O_PATH);
  if (fd >= 0 || errno != ENOENT)
    return fd >= 0 ? fd : urun_set_error (err, errno, "open `%s` in the rootfs", path);

  /* Walk down, creating what is missing. Every prefix is resolved again
   * from the root, so a symlink met on the way still cannot lead out. */
  for (char *p = copy;;)
    {
      char *slash = strchr (p + 1, '/');
      bool last = slash == NULL;
      cleanup_close int next = -1;
      char *name;

      if (!last)
        *slash = '\0';
      name = strrchr (copy, '/');
      name = name ? name + 1 : copy;
      next = urun_openat_in_root (root_fd, copy, O_PATH);
      if (next < 0 && errno == ENOENT && *name)
        {
          int dir_fd = parent_fd >= 0 ? parent_fd : root_fd;
          if (create_entry (dir_fd, name, last ? is_dir : true) < 0)
            return urun_set_error (err, errno, "create `%s` in the rootfs", copy);
          next = urun_openat_in_root (root_fd, copy, O_PATH);
        }
      if (next < 0)
        return urun_set_error (err, errno, "open `%s` in the rootfs", copy);
      if (last)
        return TAKE_FD (next);
      *slash = '/';
      p = slash;
      if (parent_fd >= 0)
        close (parent_fd);
      parent_fd = TAKE_FD (next);
    }
}
