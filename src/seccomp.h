/* seccomp.h: linux.seccomp — the spec compiled to BPF with libseccomp, the
 * filter installed with seccomp(2), and the notify listener handed to the
 * seccomp agent at listenerPath. */
#ifndef URUN_SECCOMP_H
#define URUN_SECCOMP_H

#include <sys/types.h>

#include "error.h"
#include "spec.h"

struct sock_filter;

/* A compiled filter: what struct sock_fprog points at, plus the
 * SECCOMP_FILTER_FLAG_* bits for seccomp(2) (NEW_LISTENER included when a
 * rule notifies). All zero (URUN_SECCOMP_PROGRAM_INIT) means "no filter". */
struct urun_seccomp_program
{
  struct sock_filter *filter;
  unsigned short len; /* instructions, at most BPF_MAXINSNS */
  unsigned int flags;
};

#define URUN_SECCOMP_PROGRAM_INIT { NULL, 0, 0 }

/* Compile S into PROG. Spec mistakes are reported with their JSON path
 * ("config.json: linux.seccomp.syscalls[3].names[1]: ..."); syscall names
 * unknown to this libseccomp are skipped (logged with --debug). Refused:
 * SCMP_ACT_NOTIFY as the default action or for `sendmsg` (the listener fd
 * could never reach the agent), an errno on actions without one.
 * Runs in: urun, before the container process is spawned, so that a bad
 * profile fails `create` early and the child only has to install it (the
 * program is plain memory and survives fork/clone). */
int urun_seccomp_prepare (const struct urun_seccomp *s,
                          struct urun_seccomp_program *prog,
                          struct urun_error *err);

/* Install PROG on the calling thread with seccomp(SECCOMP_SET_MODE_FILTER).
 * *LISTENER_FD gets the notify fd (O_CLOEXEC) when PROG uses SCMP_ACT_NOTIFY,
 * else -1. A zero PROG installs nothing.
 *
 * Runs in: the container process, single-threaded (no TSYNC). The caller
 * must guarantee, as runc's standard_init_linux.go does:
 *  - noNewPrivileges false: install while still holding CAP_SYS_ADMIN in the
 *    container's user namespace, i.e. before the switch to the process user
 *    and before capabilities are dropped (seccomp(2), EACCES otherwise);
 *  - noNewPrivileges true: install after prctl(PR_SET_NO_NEW_PRIVS), as late
 *    as possible;
 *  - in both cases before URUN_SYNC_READY: a listener fd must reach urun
 *    while it still waits for the child, and every syscall after the
 *    install (sending the fd, READY, the start wait, execve) goes through
 *    the filter. Send the listener fd up right after the install, before
 *    anything else, then close it. */
int urun_seccomp_install (const struct urun_seccomp_program *prog,
                          int *listener_fd, struct urun_error *err);

void urun_seccomp_free (struct urun_seccomp_program *prog);

/* Connect to the AF_UNIX SOCK_STREAM socket LISTENER_PATH and send the OCI
 * container process state {"ociVersion", "fds": ["seccompFd"], "pid",
 * "metadata", "state"} with LISTENER_FD in SCM_RIGHTS, then close the
 * connection. STATE_JSON is the state object (status "creating"), inserted
 * as is; METADATA may be NULL. LISTENER_FD stays the caller's.
 * Runs in: urun (the parent), on the host side of every namespace. */
int urun_seccomp_send_listener (const char *listener_path, const char *metadata,
                                int listener_fd, const char *state_json,
                                pid_t pid, struct urun_error *err);

#endif
