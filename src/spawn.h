/* spawn.h: starting a process in a container and driving it to READY —
 * shared by create/run (a new container) and exec (a process in a running
 * one) — and waiting for it in the foreground. */
#ifndef URUN_SPAWN_H
#define URUN_SPAWN_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cgroups.h"
#include "container.h"
#include "error.h"
#include "spec.h"
#include "terminal.h"

/* What a launch that fails half-way must undo: the process and (for a new
 * container) the state directory. Disarmed (id = NULL, pid = 0) once it
 * stands. */
struct urun_launch
{
  int root_fd;
  int dir_fd;
  const char *id;
  pid_t pid;
  int console_socket; /* --console-socket, connected before anything exists */
  int pty_master;     /* `run` without a console socket proxies it */
  struct urun_cgroup cgroup; /* a new container's; removed with the state dir */
};

#define URUN_LAUNCH_INIT                                                      \
  { .root_fd = -1, .dir_fd = -1, .console_socket = -1, .pty_master = -1 }

void urun_launch_undo (struct urun_launch *l);
#define cleanup_launch __attribute__ ((cleanup (urun_launch_undo)))

/* Everything known before any process exists. */
struct urun_bundle
{
  char *path;   /* absolute bundle directory */
  char *rootfs; /* absolute rootfs */
  char *config; /* absolute config.json */
  struct urun_spec *spec;
};

void urun_bundle_free (struct urun_bundle *b);
#define cleanup_bundle __attribute__ ((cleanup (urun_bundle_free)))

/* With process.terminal: connect --console-socket now, before anything
 * exists; only a FOREGROUND run may go without one (it uses the caller's
 * terminal). */
int urun_open_console_socket (const struct urun_spec *spec,
                              const struct urun_create_opts *opts,
                              bool foreground, struct urun_launch *l,
                              struct urun_error *err);

/* Clone the process and take it to READY, answering its requests (ID maps,
 * hooks, the pty). FIFO_FD: exec.fifo's reader for `create`, -1 otherwise.
 * Returns our end of the sync socket; l->pid is the process. */
int urun_spawn (const struct urun_bundle *b, const struct urun_create_opts *opts,
                int fifo_fd, struct urun_launch *l, struct urun_error *err);

/* A new container's state.json (L->id set, in L->dir_fd): the bundle, L's
 * pid and cgroup. CREATING: while create runs, with this process as the
 * creator; create writes it before the cgroup exists, once it does and
 * once the pid is known, so that `delete` finds all a create killed
 * half-way left behind. */
int urun_launch_write_state (const struct urun_bundle *b,
                             const struct urun_launch *l, bool creating,
                             struct urun_error *err);

/* Written atomically, as runc does: conmon reads it once we exit. */
int urun_write_pid_file (const char *path, pid_t pid, struct urun_error *err);

/* The signals a foreground process gets forwarded (and SIGCHLD). */
void urun_forwarded_signals (sigset_t *set);

/* Forward signals (and, with a pty, copy the caller's terminal both ways)
 * until PID exits; returns its exit code (128+N for signal N). */
int urun_wait_forwarding (pid_t pid, const sigset_t *set,
                          struct urun_tty_proxy *proxy);

#endif
