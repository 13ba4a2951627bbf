/* init.h: what the container process does between clone and execve. */
#ifndef URUN_INIT_H
#define URUN_INIT_H

#include <stdbool.h>

#include "mounts.h"
#include "spec.h"

struct urun_init_args
{
  const struct urun_spec *spec;
  const char *id;
  char *state_json; /* for createContainer and startContainer hooks */
  const struct urun_seccomp_program *seccomp; /* prepared by urun, or NULL */
  struct urun_rootfs rootfs;
  int sync_fd;      /* the child's end of the sync socketpair */
  int fifo_fd;      /* exec.fifo opened O_RDONLY|O_NONBLOCK (create), or -1 (run) */
  int pty_slave;    /* process.terminal: the pty, until it becomes stdio */
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;
  bool staged;      /* namespaces joined by path: setns/unshare, then fork pid 1 */
  unsigned long new_ns_flags; /* CLONE_NEW* to create */
  /* Wait until urun has put us in our cgroup v1 directories or systemd in
   * its scope (URUN_SYNC_IN_CGROUP) before a new cgroup namespace (rooted
   * where the process is) or any fork. */
  bool late_cgroupns;
};

/* The container process, from clone to execve, in order:
 * namespaces (staged: join, unshare, fork pid 1) -> ID maps -> hostname ->
 * rootfs and mounts -> prestart, createRuntime (by urun), createContainer
 * hooks -> terminal -> sysctl -> protected paths, pivot_root -> limits,
 * identity, capabilities, cwd -> READY -> wait for start ->
 * startContainer hooks -> execve.
 * Any failure goes to the parent over SYNC_FD and the process exits.
 * Runs in: the child urun cloned (fast path: already in its namespaces). */
__attribute__ ((noreturn)) void urun_init_container (struct urun_init_args *a);

#endif
