/* utils.h: small helpers shared by every module — allocation, files, numbers. */
#ifndef URUN_UTILS_H
#define URUN_UTILS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* Allocation that aborts on out-of-memory, as crun and bubblewrap do: a
 * runtime that cannot allocate 100 bytes cannot clean up either. */
void *xmalloc0 (size_t size);
void *xrealloc (void *p, size_t size);
char *xstrdup (const char *s);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Read a whole file (at most 16 MiB) into a NUL-terminated buffer. */
int urun_read_file_at (int dirfd, const char *path, char **out, size_t *len,
                       struct urun_error *err);

/* Write all of BUF to FD, retrying on EINTR and short writes. */
int urun_write_all (int fd, const void *buf, size_t len);

/* open(DIRFD, PATH, O_WRONLY) and write STR: for /proc and /sys files. */
int urun_write_file_at (int dirfd, const char *path, const char *str,
                        struct urun_error *err);

/* "123" -> 123; false on junk, sign or overflow. */
bool urun_parse_u64 (const char *s, uint64_t *out);

/* The start time of PID in clock ticks since boot (/proc/PID/stat field 22),
 * which tells a live process from a reused PID; 0 when PID is gone. */
unsigned long long urun_pid_start_time (pid_t pid);

/* Are we without root's powers over the host: not uid 0, or uid 0 of a user
 * namespace other than the initial one (rootless podman runs its OCI runtime
 * as root of its own user namespace)? */
bool urun_is_rootless (void);

/* Does PATH exist as an executable regular file? */
bool urun_is_executable (const char *path);

/* Write STR to FD, an open procfs file (PATH names it in messages), after
 * checking it is procfs: a rootfs can put a plain file or a symlink where
 * /proc should be (the CVE-2025-52881 class). FD < 0 reports open's errno. */
int urun_write_procfs (int fd, const char *path, const char *str,
                       struct urun_error *err);

/* Test-only, for tests/integration/faults.bats: with URUN_TEST_PAUSE_AT=STAGE
 * in the environment, the process waits on reaching STAGE, named
 * `urun-paused` (comm), until SIGCONT or 60 s, so that a test can SIGKILL
 * urun there. Stages: "userns" and "mounts" (container process, after that
 * setup step), "exec" (container process, right before execve), "hooks"
 * (urun, before prestart/createRuntime). */
void urun_test_pause_at (const char *stage);

/* The path FD was opened at, from its /proc/self/fd link. */
char *urun_fd_path (int fd, struct urun_error *err);

/* Append the formatted text to the string *S (NULL: empty), after SEP when
 * *S is not empty. */
void urun_strappend (char **s, const char *sep, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* The current time as RFC 3339 in UTC with nanoseconds (state.json's
 * "created"). */
char *urun_now_rfc3339 (void);

#endif
