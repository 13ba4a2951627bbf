/* rootpath.h: resolving paths inside the container's rootfs without ever
 * leaving it, whatever symlinks or ".." the rootfs holds. */
#ifndef URUN_ROOTPATH_H
#define URUN_ROOTPATH_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* Open PATH inside ROOT_FD as if ROOT_FD were "/": absolute symlinks and
 * ".." stop at the root (openat2 RESOLVE_IN_ROOT, Linux 5.6+), and magic
 * links such as /proc/self/fd/N are refused. FLAGS are open(2) flags
 * (O_CLOEXEC is added). Fails with errno set and no error object: callers
 * decide whether ENOENT matters. */
int urun_openat_in_root (int root_fd, const char *path, int flags);

/* Open PATH inside ROOT_FD as an O_PATH fd, creating it when missing: its
 * parents as directories (0755), the last component as a directory or, when
 * IS_DIR is false, as an empty file (0644) to bind a file onto. */
int urun_make_in_root (int root_fd, const char *path, bool is_dir,
                       struct urun_error *err);

#endif
