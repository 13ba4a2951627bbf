/* mount-options.h: OCI mount options ("ro", "rbind", "mode=755", ...) split
 * into what the mount API takes: mount attributes, propagation, and
 * filesystem parameters for fsconfig(2). */
#ifndef URUN_MOUNT_OPTIONS_H
#define URUN_MOUNT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct urun_mount_options
{
  bool is_bind;
  bool is_recursive;    /* rbind */
  uint64_t attr_set;    /* MOUNT_ATTR_* */
  uint64_t attr_clr;
  unsigned long propagation; /* MS_PRIVATE, MS_SHARED, ... or 0 */
  bool propagation_recursive;
  const char **fs_params; /* "mode=755", "newinstance", ... NULL-terminated */
  size_t n_fs_params;
};

/* Split OPTIONS; the result borrows the strings of OPTIONS. */
int urun_parse_mount_options (char *const *options, size_t n,
                              struct urun_mount_options *out,
                              struct urun_error *err);

void urun_free_mount_options (struct urun_mount_options *opts);

#endif
