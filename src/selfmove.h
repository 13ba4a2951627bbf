/* selfmove.h: make a running process's mappings of its binary lead
 * elsewhere, then its exe link, without a re-exec (the in-place kinds of
 * selfclone.h). */
#ifndef URUN_SELFMOVE_H
#define URUN_SELFMOVE_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* The kernel has PR_SET_MM_MAP (CONFIG_CHECKPOINT_RESTORE). */
bool urun_selfmove_supported (void);

/* The running binary as /proc/self/maps names it: device, inode and path
 * (overlayfs shows the upper path but the lower inode). */
struct urun_selfmove_binary
{
  dev_t dev;
  ino_t ino;
  char path[PATH_MAX];
};

/* Fill B from EXE_FD, /proc/self/exe opened (O_PATH will do), and the
 * link's target (an empty path when the binary was deleted). */
int urun_selfmove_binary_of (int exe_fd, struct urun_selfmove_binary *b, struct urun_error *err);

/* In urun, before any fork: copy the mappings of the
 * binary B that the loader wrote (data, RELRO: a new mapping would lose
 * their pages) into anonymous memory at the same address, and remember the
 * others and the mm fields for urun_selfmove_finish. No privilege needed.
 * Single-threaded callers only. */
int urun_selfmove_prepare (const struct urun_selfmove_binary *b, struct urun_error *err);

/* After urun_selfmove_prepare, in this process or a fork of it: map the
 * remembered mappings again from CLONE_FD (the same file opened through
 * another mount: the same pages, nothing copied) or, with CLONE_FD -1, as
 * anonymous copies; then point /proc/self/exe at EXE_LINK_FD (an executable
 * regular file). Needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE in the
 * current user namespace (EPERM). On failure the mappings moved so far stay
 * moved (same bytes). */
int urun_selfmove_finish (int clone_fd, int exe_link_fd, struct urun_error *err);

#endif
