/* process.h: the container's process — limits, identity, cwd, exec. */
#ifndef URUN_PROCESS_H
#define URUN_PROCESS_H

#include <stddef.h>

#include "error.h"
#include "spec.h"

/* oomScoreAdj, through the /proc urun started with: before the process
 * joins any mount namespace, whose /proc the container may have mounted
 * over (the CVE-2025-52881 class); a fork (the staged path's pid 1)
 * inherits it. proc(5)
 * Runs in: the container process, right after clone. */
int urun_process_set_oom_score (const struct urun_process *p,
                                struct urun_error *err);

/* rlimits, ioPriority, scheduler, execCPUAffinity.initial, personality:
 * what is set before the rootfs.
 * Runs in: the container process, before pivot_root. */
int urun_process_set_limits (const struct urun_spec *spec,
                             struct urun_error *err);

struct urun_seccomp_program;

/* What urun_process_prepare takes and gives back. */
struct urun_process_setup
{
  int preserve_fds;
  const int *keep; /* fds of urun's own to keep (sync socket, exec.fifo) */
  size_t n_keep;
  const struct urun_seccomp_program *seccomp; /* NULL: no filter */
  int listener_fd; /* out: the filter's notify listener, or -1 */
  char *exec_path; /* out: the file to execve */
  char **env;      /* out: process.env, plus HOME from /etc/passwd */
};

/* Close every fd but stdio, the preserved ones and KEEP; switch to the
 * process user (keeping the capabilities the spec grants); install the
 * seccomp filter; enter cwd (refusing one outside the rootfs); find the
 * executable in the container's PATH.
 * The filter goes in as late as it can: right after no_new_privs when the
 * process sets it, else before the switch to the process user, while
 * CAP_SYS_ADMIN still allows it (seccomp(2); runc's order).
 * Runs in: the container process, after pivot_root. */
int urun_process_prepare (const struct urun_process *p,
                          struct urun_process_setup *s,
                          struct urun_error *err);

/* sched_setaffinity to the CPU LIST ("0-3,7"); WHAT names it in errors. */
int urun_process_set_affinity (const char *list, const char *what,
                               struct urun_error *err);

/* execve; returns only on failure. */
int urun_process_exec (const struct urun_process *p, const char *exec_path,
                       char **env, struct urun_error *err);

#endif
