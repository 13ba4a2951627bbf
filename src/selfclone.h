/* selfclone.h: run urun from a copy of itself that a container cannot write,
 * before it enters any container namespace (the CVE-2019-5736 class). */
#ifndef URUN_SELFCLONE_H
#define URUN_SELFCLONE_H

#include <stdbool.h>

#include "error.h"

/* Make sure this process runs from a binary the container cannot write:
 * returns 0 when it already does (a sealed memfd, a read-only mount, or the
 * clone this function re-executed), once it moved in place or left that to
 * the container's process (urun_selfclone_finish), re-executes ARGV from a
 * fresh clone otherwise (and does not return), or returns < 0 with ERR set.
 * ARGV is the whole command line, global options included: a clone runs it
 * again unchanged.
 * Order, in place (selfmove.h; no re-exec, in urun with CAP_SYS_ADMIN,
 * else in the container's process): remap, every mapping of the binary and
 * the exe link re-made from a detached read-only clone of its mount, no
 * copy; anon, the code copied into anonymous memory and the exe link to an
 * empty sealed memfd. Without PR_SET_MM_MAP, a re-exec from: a detached
 * read-only clone of the mount (mount API; legacy bind + MNT_DETACH on
 * kernels without it) where we may mount, else a sealed memfd, else an
 * unlinked O_TMPFILE copy when memfds are not executable.
 * Test-only: URUN_SELFCLONE=remap|anon|mount|legacy|memfd|tmpfile starts
 * that chain at the named step (auto, the default, checks for existing
 * protection first); URUN_SELFCLONE=off turns the protection off. */
int urun_ensure_cloned_binary (int argc, char **argv, struct urun_error *err);

/* In a child, once it holds CAP_SYS_ADMIN in its user namespace (created or
 * joined; the ID mapping need not be written yet) and before it joins
 * anything a container's processes can see: the remap kind, if urun left it
 * to this process. It clones the binary's mount in the current mount
 * namespace, or, with MAY_LEAVE_MOUNT_NS (the caller enters another one
 * afterwards), in a new one. On failure it leaves the anon kind to
 * urun_selfclone_finish. */
void urun_selfclone_try_remap (bool may_leave_mount_ns);

/* Then, once the user namespace's IDs are mapped (the anon kind's exe link
 * may be a file this process creates): whatever protection is left. */
int urun_selfclone_finish (struct urun_error *err);

#endif
