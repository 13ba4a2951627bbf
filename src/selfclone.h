/* selfclone.h: run urun from a copy of itself that a container cannot write,
 * before it enters any container namespace (the CVE-2019-5736 class). */
#ifndef URUN_SELFCLONE_H
#define URUN_SELFCLONE_H

#include "error.h"

/* Make sure this process runs from a binary the container cannot write:
 * returns 0 when it already does (a sealed memfd, a read-only mount, or the
 * clone this function re-executed), re-executes ARGV from a fresh clone
 * otherwise (and does not return), or returns < 0 with ERR set.
 * ARGV is the whole command line, global options included: the clone runs it
 * again unchanged.
 * Order: a detached read-only clone of the mount (mount API; legacy bind +
 * MNT_DETACH on kernels without it) where we may mount, else a sealed memfd,
 * else an unlinked O_TMPFILE copy when memfds are not executable.
 * Test-only: URUN_SELFCLONE=mount|legacy|memfd|tmpfile starts that chain at
 * the named step (auto, the default, checks for existing protection first);
 * URUN_SELFCLONE=off turns the protection off. */
int urun_ensure_cloned_binary (int argc, char **argv, struct urun_error *err);

#endif
