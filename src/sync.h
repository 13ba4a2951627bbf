/* sync.h: the messages between urun (the parent) and the container process
 * it spawns, over one SOCK_SEQPACKET socketpair. Every stage of the setup is
 * one message here; nothing else crosses between the two. */
#ifndef URUN_SYNC_H
#define URUN_SYNC_H

#include <sys/types.h>

#include "error.h"

enum urun_sync_type
{
  URUN_SYNC_MAP_IDS = 1,  /* child -> parent: my user namespace needs maps */
  URUN_SYNC_IDS_MAPPED,   /* parent -> child: uid_map and gid_map written */
  URUN_SYNC_INIT_PID,     /* child -> parent: the container's pid 1 (value) */
  URUN_SYNC_CREATE_HOOKS, /* child -> parent: run prestart and createRuntime */
  URUN_SYNC_HOOKS_DONE,   /* parent -> child: done; value: the container's pid */
  URUN_SYNC_TERMINAL,     /* child -> parent: the pty master (an fd) */
  URUN_SYNC_SECCOMP_LISTENER, /* child -> parent: the notify listener (an fd) */
  URUN_SYNC_SECCOMP_DONE, /* parent -> child: handed to listenerPath */
  URUN_SYNC_READY,        /* child -> parent: set up, waiting to start */
  URUN_SYNC_START,        /* parent -> child: exec the process now (`run`) */
  URUN_SYNC_ERROR,        /* child -> parent: errnum + message, then _exit */
  /* One per overlay mount (overlay.c), in mount order, rootfs first: */
  URUN_SYNC_OVERLAY,         /* child -> parent: mounted by the kernel (0) or fuse (1) */
  URUN_SYNC_OVERLAY_FUSE,    /* child -> parent: its /dev/fuse (an fd) */
  URUN_SYNC_OVERLAY_STARTED, /* parent -> child: fuse-overlayfs runs on it */
  URUN_SYNC_OVERLAY_READY,   /* child -> parent: and it answers */
  URUN_SYNC_IN_CGROUP, /* parent -> child: in every cgroup (late_cgroupns) */
};

/* Send a message; VALUE is a pid for URUN_SYNC_INIT_PID, else 0. */
int urun_sync_send (int fd, enum urun_sync_type type, int value,
                    struct urun_error *err);

/* The same, carrying PASS_FD (SCM_RIGHTS). */
int urun_sync_send_fd (int fd, enum urun_sync_type type, int pass_fd,
                       struct urun_error *err);

/* Receive the message EXPECTED. A URUN_SYNC_ERROR from the child becomes
 * ERR (errnum and message as the child set them); EOF means the child died
 * before it could say anything. VALUE may be NULL. */
int urun_sync_expect (int fd, enum urun_sync_type expected, int *value,
                      struct urun_error *err);

/* The same for a message that carries an fd; *PASS_FD gets it. */
int urun_sync_expect_fd (int fd, enum urun_sync_type expected, int *pass_fd,
                         struct urun_error *err);

/* After URUN_SYNC_START: wait until the child's execve closed its end
 * (the socket is O_CLOEXEC), or take the error it sent instead. */
int urun_sync_wait_exec (int fd, struct urun_error *err);

/* In the child: report ERR to the parent and _exit(1). Never returns. */
__attribute__ ((noreturn)) void urun_sync_fail (int fd,
                                                const struct urun_error *err);

#endif
