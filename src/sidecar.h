/* sidecar.h: the processes urun leaves beside a container (the notify relay,
 * urun-slirp) — recorded in the container's state directory by pid and start
 * time, found again later as a pidfd, and stopped. */
#ifndef URUN_SIDECAR_H
#define URUN_SIDECAR_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* Write "PID STARTTIME" to NAME in DIR_FD (0600). */
int urun_sidecar_record (int dir_fd, const char *name, pid_t pid,
                         struct urun_error *err);

/* A pidfd of the process recorded in NAME, checked to be that process and
 * not a reused pid. -1 with errno ENOENT when nothing is recorded, ESRCH
 * when it is gone, EINVAL when the record is unreadable. */
int urun_sidecar_open (int dir_fd, const char *name);

/* Send FIRST (0: none) and give the process GRACE_MS to exit, then SIGKILL
 * it and wait as long again; reap it when it is our child. */
void urun_sidecar_stop (int pidfd, int first, int grace_ms);

#endif
