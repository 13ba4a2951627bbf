/* process.h: the container's process — limits, identity, cwd, exec. */
#ifndef URUN_PROCESS_H
#define URUN_PROCESS_H

#include <stddef.h>

#include "error.h"
#include "spec.h"

/* rlimits, oomScoreAdj, personality: what is set through the host's view
 * (/proc/self of the host procfs).
 * Runs in: the container process, before pivot_root. */
int urun_process_set_limits (const struct urun_spec *spec,
                             struct urun_error *err);

/* Close every fd but stdio, the PRESERVE_FDS after them and KEEP; switch to
 * the process user (keeping the capabilities the spec grants); enter cwd
 * (refusing one outside the rootfs); find the executable in the
 * container's PATH. *EXEC_PATH gets the file to execve, *ENV the
 * environment (process.env, plus HOME from /etc/passwd when it has none).
 * Runs in: the container process, after pivot_root. */
int urun_process_prepare (const struct urun_process *p, int preserve_fds,
                          const int *keep, size_t n_keep, char **exec_path,
                          char ***env, struct urun_error *err);

/* execve; returns only on failure. */
int urun_process_exec (const struct urun_process *p, const char *exec_path,
                       char **env, struct urun_error *err);

#endif
