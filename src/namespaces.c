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

static int
join_one (const struct urun_namespace *ns, struct urun_error *err)
{
  cleanup_close int fd = open (ns->path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return urun_set_error (err, errno, "open %s namespace `%s`",
                           urun_ns_type_name (ns->type), ns->path);
  /* The nstype argument makes the kernel check the file is that kind. */
  if (setns (fd, clone_flags[ns->type]) < 0)
    return urun_set_error (err, errno, "join %s namespace `%s`",
                           urun_ns_type_name (ns->type), ns->path);
  return 0;
}

int
urun_ns_join (const struct urun_spec *spec, bool user_only,
              struct urun_error *err)
{
  for (size_t i = 0; i < spec->linux_.n_namespaces; i++)
    {
      const struct urun_namespace *ns = &spec->linux_.namespaces[i];
      if (ns->path == NULL || (ns->type == URUN_NS_USER) != user_only)
        continue;
      if (join_one (ns, err) < 0)
        return -1;
    }
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

  if (pid < 0)
    return urun_set_error (err, errno, "clone a process into new namespaces");
  return (pid_t) pid;
}
