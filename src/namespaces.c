/* namespaces.c: namespace flags, setns by path, clone3. */
#define _GNU_SOURCE
#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

static const int clone_flags[URUN_NS_COUNT] = {
  [URUN_NS_USER] = CLONE_NEWUSER,     [URUN_NS_MOUNT] = CLONE_NEWNS,
  [URUN_NS_PID] = CLONE_NEWPID,       [URUN_NS_NETWORK] = CLONE_NEWNET,
  [URUN_NS_IPC] = CLONE_NEWIPC,       [URUN_NS_UTS] = CLONE_NEWUTS,
  [URUN_NS_CGROUP] = CLONE_NEWCGROUP, [URUN_NS_TIME] = CLONE_NEWTIME,
};

int
urun_ns_clone_flag (enum urun_ns_type type)
{
  return clone_flags[type];
}

unsigned long
urun_ns_new_flags (const struct urun_spec *spec)
{
  unsigned long flags = 0;

  for (size_t i = 0; i < spec->linux_.n_namespaces; i++)
    if (spec->linux_.namespaces[i].path == NULL)
      flags |= clone_flags[spec->linux_.namespaces[i].type];
  return flags;
}

bool
urun_ns_has_joins (const struct urun_spec *spec)
{
  for (size_t i = 0; i < spec->linux_.n_namespaces; i++)
    if (spec->linux_.namespaces[i].path != NULL)
      return true;
  return false;
}

void
urun_ns_close_joins (struct urun_ns_joins *j)
{
  for (int t = 0; t < URUN_NS_COUNT; t++)
    if (j->fds[t] >= 0)
      close (j->fds[t]);
}

int
urun_ns_open_joins (const struct urun_spec *spec, struct urun_ns_joins *j, struct urun_error *err)
{
  for (int t = 0; t < URUN_NS_COUNT; t++)
    j->fds[t] = -1;
  for (size_t i = 0; i < spec->linux_.n_namespaces; i++)
    {
      const struct urun_namespace *ns = &spec->linux_.namespaces[i];
      if (ns->path == NULL)
        continue;
      j->fds[ns->type] = open (ns->path, O_RDONLY | O_CLOEXEC);
      if (j->fds[ns->type] < 0)
        return urun_set_error (err, errno, "open %s namespace `%s`",
                               urun_ns_type_name (ns->type), ns->path);
    }
  return 0;
}

static int
join_one (const struct urun_spec *spec, const struct urun_ns_joins *j, enum urun_ns_type type,
          struct urun_error *err)
{
  /* The nstype argument makes the kernel check the file is that kind. */
  if (j->fds[type] >= 0 && setns (j->fds[type], clone_flags[type]) < 0)
    return urun_set_error (err, errno, "join %s namespace `%s`", urun_ns_type_name (type),
                           urun_spec_namespace (spec, type)->path);
  return 0;
}

int
urun_ns_join_user (const struct urun_spec *spec, const struct urun_ns_joins *j,
                   struct urun_error *err)
{
  return join_one (spec, j, URUN_NS_USER, err);
}

int
urun_ns_join_others (const struct urun_spec *spec, const struct urun_ns_joins *j,
                     struct urun_error *err)
{
  static const enum urun_ns_type order[] = {
    URUN_NS_PID, URUN_NS_NETWORK, URUN_NS_IPC, URUN_NS_UTS,
    URUN_NS_CGROUP, URUN_NS_TIME, URUN_NS_MOUNT,
  };

  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
    if (join_one (spec, j, order[i], err) < 0)
      return -1;
  return 0;
}

/* struct clone_args of <linux/sched.h>, which clashes with <sched.h>. */
struct clone3_args
{
  uint64_t flags;
  uint64_t pidfd;
  uint64_t child_tid;
  uint64_t parent_tid;
  uint64_t exit_signal;
  uint64_t stack;
  uint64_t stack_size;
  uint64_t tls;
  uint64_t set_tid;
  uint64_t set_tid_size;
  uint64_t cgroup;
};

pid_t
urun_clone (unsigned long flags, struct urun_error *err)
{
  struct clone3_args args = { .flags = flags, .exit_signal = SIGCHLD };
  long pid = syscall (SYS_clone3, &args, sizeof args);

  /* No clone3 (Linux < 5.3, valgrind, some seccomp profiles): clone(2)
   * with no stack forks the same way; its x86-64 argument order is flags,
   * stack, parent_tid, child_tid, tls. */
  if (pid < 0 && errno == ENOSYS)
    pid = syscall (SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0)
    return urun_set_error (err, errno, "clone a process into new namespaces");
  return (pid_t) pid;
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* CLONE_INTO_CGROUP (Linux 5.7+): the child starts in the cgroup v2
 * directory CGROUP_FD, before it runs or forks; a clone3 of 5.3-5.6
 * refuses the larger argument with E2BIG. clone(2) */
pid_t
urun_clone_into (unsigned long flags, int cgroup_fd, struct urun_error *err)
{
  struct clone3_args args = { .flags = flags | CLONE_INTO_CGROUP,
                              .exit_signal = SIGCHLD,
                              .cgroup = (uint64_t) cgroup_fd };
  long pid = syscall (SYS_clone3, &args, sizeof args);

  if (pid < 0)
    return urun_set_error (err, errno, "clone a process into its cgroup and new namespaces");
  return (pid_t) pid;
}
