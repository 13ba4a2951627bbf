/* process.c: the container's process — limits, identity, cwd, exec. */
#define _GNU_SOURCE
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sched.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "seccomp.h"
#include "utils.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int
set_rlimits (const struct urun_process *p, struct urun_error *err)
{
  for (size_t i = 0; i < p->n_rlimits; i++)
    {
      struct rlimit rl = { .rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard };
      if (setrlimit (p->rlimits[i].resource, &rl) < 0)
        return urun_set_error (err, errno, "process.rlimits[%zu]: set limit", i);
    }
  return 0;
}

/* ioprio_set(2) has no glibc wrapper: IOPRIO_PRIO_VALUE is class << 13. */
static int
set_io_priority (const struct urun_io_priority *io, struct urun_error *err)
{
  if (!io->set)
    return 0;
  if (syscall (SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, (io->class << 13) | io->priority) < 0)
    return urun_set_error (err, errno, "process.ioPriority");
  return 0;
}

/* sched_setattr(2), no glibc wrapper; its struct as of Linux 4.13. */
struct sched_attr_v1
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
};

static int
set_scheduler (const struct urun_scheduler *s, struct urun_error *err)
{
  struct sched_attr_v1 attr = {
    .size = sizeof attr, .sched_policy = (uint32_t) s->policy, .sched_flags = s->flags,
    .sched_nice = s->nice, .sched_priority = (uint32_t) s->priority,
    .sched_runtime = s->runtime, .sched_deadline = s->deadline, .sched_period = s->period,
  };

  if (!s->set)
    return 0;
  if (syscall (SYS_sched_setattr, 0, &attr, 0) < 0)
    return urun_set_error (err, errno, "process.scheduler");
  return 0;
}

/* "0-3,7" -> the set; false on junk. */
static bool
parse_cpu_list (const char *list, cpu_set_t *set)
{
  cleanup_free char *copy = xstrdup (list);
  char *saveptr = NULL;

  CPU_ZERO (set);
  for (char *r = strtok_r (copy, ",", &saveptr); r; r = strtok_r (NULL, ",", &saveptr))
    {
      char *dash = strchr (r, '-');
      uint64_t lo, hi;
      if (dash)
        *dash = '\0';
      if (!urun_parse_u64 (r, &lo) || (dash && !urun_parse_u64 (dash + 1, &hi)))
        return false;
      if (!dash)
        hi = lo;
      if (hi < lo || hi >= CPU_SETSIZE)
        return false;
      for (uint64_t cpu = lo; cpu <= hi; cpu++)
        CPU_SET (cpu, set);
    }
  return true;
}

int
urun_process_set_affinity (const char *list, const char *what,
                           struct urun_error *err)
{
  cpu_set_t set;

  if (list == NULL)
    return 0;
  if (!parse_cpu_list (list, &set))
    return urun_set_error (err, 0, "%s: invalid CPU list `%s`", what, list);
  if (sched_setaffinity (0, sizeof set, &set) < 0)
    return urun_set_error (err, errno, "%s: set CPU affinity `%s`", what, list);
  return 0;
}

int
urun_process_set_oom_score (const struct urun_process *p,
                            struct urun_error *err)
{
  char value[32];
  cleanup_close int fd = -1;

  if (!p->oom_score_adj.set)
    return 0;
  fd = open ("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  snprintf (value, sizeof value, "%lld", (long long) p->oom_score_adj.value);
  if (urun_write_procfs (fd, "/proc/self/oom_score_adj", value, err) < 0)
    return urun_wrap_error (err, "process.oomScoreAdj");
  return 0;
}

int
urun_process_set_limits (const struct urun_spec *spec, struct urun_error *err)
{
  const struct urun_process *p = &spec->process;

  if (set_rlimits (p, err) < 0 || set_io_priority (&p->io_priority, err) < 0
      || set_scheduler (&p->scheduler, err) < 0
      || urun_process_set_affinity (p->exec_cpu_affinity_initial,
                                    "process.execCPUAffinity.initial", err) < 0)
    return -1;
  if (spec->linux_.has_personality
      && personality (spec->linux_.personality_domain) < 0)
    return urun_set_error (err, errno, "linux.personality: set domain");
  return 0;
}

static int
compare_ints (const void *a, const void *b)
{
  return *(const int *) a - *(const int *) b;
}

/* The container must not start with a host fd open. close_range(2), 5.9+ */
static int
close_fds_except (int first, const int *keep, size_t n_keep,
                  struct urun_error *err)
{
  int sorted[8];
  unsigned from = (unsigned) first;

  if (n_keep > sizeof sorted / sizeof sorted[0])
    return urun_set_error (err, E2BIG, "too many fds to keep");
  memcpy (sorted, keep, n_keep * sizeof (int));
  qsort (sorted, n_keep, sizeof (int), compare_ints);
  for (size_t i = 0; i < n_keep; i++)
    {
      if (sorted[i] < 0 || (unsigned) sorted[i] < from)
        continue;
      if ((unsigned) sorted[i] > from && close_range (from, sorted[i] - 1, 0) < 0)
        return urun_set_error (err, errno, "close inherited fds");
      from = sorted[i] + 1;
    }
  if (close_range (from, ~0U, 0) < 0)
    return urun_set_error (err, errno, "close inherited fds");
  return 0;
}

/* Preserved fds (--preserve-fds, LISTEN_FDS) must survive execve. */
static int
keep_preserved_fds (int preserve_fds, struct urun_error *err)
{
  for (int fd = 3; fd < 3 + preserve_fds; fd++)
    {
      int flags = fcntl (fd, F_GETFD);
      if (flags >= 0 && fcntl (fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
        return urun_set_error (err, errno, "keep preserved fd %d open", fd);
    }
  return 0;
}

static int
set_groups (const struct urun_user *u, struct urun_error *err)
{
  if (setgroups (u->n_additional_gids, u->additional_gids) == 0)
    return 0;
  /* A user namespace with a single-ID map has setgroups denied
   * (user_namespaces(7)); without extra groups to set, that is fine. */
  if (errno == EPERM && u->n_additional_gids == 0)
    return 0;
  if (errno == EPERM)
    return urun_set_error (err, EPERM,
                           "process.user.additionalGids: setgroups is denied in this user namespace (only one ID is mapped)");
  return urun_set_error (err, errno, "process.user.additionalGids: setgroups");
}

/* Switch to the process user. PR_SET_KEEPCAPS keeps the permitted set
 * across a uid change away from 0; capabilities(7). */
static int
set_identity (const struct urun_process *p, struct urun_error *err)
{
  const struct urun_user *u = &p->user;

  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return urun_set_error (err, errno, "prctl PR_SET_KEEPCAPS");
  if (set_groups (u, err) < 0)
    return -1;
  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return urun_set_error (err, errno == EINVAL ? 0 : errno,
                           errno == EINVAL ? "process.user.gid %u is not mapped in the user namespace"
                                           : "process.user.gid %u: setresgid",
                           (unsigned) u->gid);
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return urun_set_error (err, errno == EINVAL ? 0 : errno,
                           errno == EINVAL ? "process.user.uid %u is not mapped in the user namespace"
                                           : "process.user.uid %u: setresuid",
                           (unsigned) u->uid);
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return urun_set_error (err, errno, "prctl PR_SET_KEEPCAPS");
  return 0;
}

/* chdir, then (CHECK) make sure the result is inside the root: a cwd
 * reached through a leaked host fd ("/proc/self/fd/N") is outside it, and
 * getcwd(3) then fails with ENOENT (glibc 2.27+; the kernel's
 * "(unreachable)"). This is the CVE-2024-21626 class. */
static int
enter_cwd (const char *cwd, bool check, struct urun_error *err)
{
  char buf[PATH_MAX];

  if (chdir (cwd) < 0)
    return urun_set_error (err, errno, "process.cwd `%s`", cwd);
  if (check && (getcwd (buf, sizeof buf) == NULL || buf[0] != '/'))
    return urun_set_error (err, 0, "process.cwd `%s` is outside the container", cwd);
  return 0;
}

static const char *
env_path (char *const *env)
{
  for (; env && *env; env++)
    if (strncmp (*env, "PATH=", 5) == 0)
      return *env + 5;
  return DEFAULT_PATH;
}

/* execvpe(3) would search the caller's PATH, not the container's. */
static int
find_executable (const struct urun_process *p, char **out,
                 struct urun_error *err)
{
  const char *name = p->args[0];
  cleanup_free char *dirs = NULL;
  char *saveptr = NULL;

  if (strchr (name, '/'))
    {
      /* access(2) grants X_OK on a directory; execve(2) then fails with EACCES. */
      int e = access (name, X_OK) < 0 ? errno : urun_is_executable (name) ? 0 : EACCES;

      if (e != 0)
        {
          urun_set_error (err, e, "process.args[0] `%s`", name);
          err->exit_status = e == ENOENT ? 127 : 126;
          return -1;
        }
      *out = xstrdup (name);
      return 0;
    }
  dirs = xstrdup (env_path (p->env));
  for (char *d = strtok_r (dirs, ":", &saveptr); d; d = strtok_r (NULL, ":", &saveptr))
    {
      cleanup_free char *candidate = xasprintf ("%s/%s", *d ? d : ".", name);
      if (urun_is_executable (candidate))
        {
          *out = TAKE_PTR (candidate);
          return 0;
        }
    }
  urun_set_error (err, ENOENT, "process.args[0]: executable file `%s` not found in $PATH", name);
  err->exit_status = 127;
  return -1;
}

/* HOME of UID from the container's /etc/passwd, parsed by hand: getpwuid
 * could load NSS modules from the container's filesystem. */
static char *
home_of (uid_t uid)
{
  struct urun_error err = URUN_ERROR_INIT;
  cleanup_free char *passwd = NULL;
  char *saveptr = NULL;

  if (urun_read_file_at (AT_FDCWD, "/etc/passwd", &passwd, NULL, &err) < 0)
    {
      urun_clear_error (&err);
      return xstrdup ("/");
    }
  for (char *line = strtok_r (passwd, "\n", &saveptr); line; line = strtok_r (NULL, "\n", &saveptr))
    {
      /* name:password:uid:gid:gecos:home:shell */
      char *fields[7] = { 0 };
      size_t n = 0;
      uint64_t id;

      for (char *f = line; n < 7; n++)
        {
          fields[n] = f;
          f = strchr (f, ':');
          if (f == NULL)
            break;
          *f++ = '\0';
        }
      if (n >= 5 && urun_parse_u64 (fields[2], &id) && id == uid && *fields[5])
        return xstrdup (fields[5]);
    }
  return xstrdup ("/");
}

/* runc and crun set HOME from /etc/passwd when the spec's env has none. */
static char **
env_with_home (const struct urun_process *p)
{
  size_t n = p->n_env;
  char **env = xmalloc0 ((n + 2) * sizeof (char *));
  cleanup_free char *home = NULL;
  bool has_home = false;

  for (size_t i = 0; i < n; i++)
    {
      env[i] = p->env[i];
      has_home = has_home || strncmp (p->env[i], "HOME=", 5) == 0;
    }
  if (has_home)
    return env;
  home = home_of (p->user.uid);
  env[n] = xasprintf ("HOME=%s", home);
  return env;
}

static int
install_seccomp (struct urun_process_setup *s, struct urun_error *err)
{
  if (s->seccomp == NULL)
    return 0;
  if (urun_seccomp_install (s->seccomp, &s->listener_fd, err) < 0)
    return urun_wrap_error (err, "linux.seccomp");
  return 0;
}

int
urun_process_prepare (const struct urun_process *p,
                      struct urun_process_setup *s, struct urun_error *err)
{
  const char *cwd = p->cwd ? p->cwd : "/";
  bool is_cwd_checked;

  s->listener_fd = -1;
  if (close_fds_except (3 + s->preserve_fds, s->keep, s->n_keep, err) < 0
      || keep_preserved_fds (s->preserve_fds, err) < 0)
    return -1;
  if (urun_caps_limit_bounding (&p->capabilities, err) < 0)
    return -1;
  /* A filter that goes in this early may deny getcwd(2) (runtime-tools'
   * linux_seccomp does): check the cwd before it, and below only enter it
   * again as the process's user. */
  is_cwd_checked = !p->no_new_privileges && s->seccomp != NULL;
  if (is_cwd_checked && enter_cwd (cwd, true, err) < 0)
    return -1;
  if (!p->no_new_privileges && install_seccomp (s, err) < 0)
    return -1;
  if (set_identity (p, err) < 0 || urun_caps_apply (&p->capabilities, err) < 0)
    return -1;
  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return urun_set_error (err, errno, "process.noNewPrivileges");
  umask (p->user.has_umask ? p->user.umask : 022);
  if (enter_cwd (cwd, !is_cwd_checked, err) < 0)
    return -1;
  s->env = env_with_home (p);
  if (find_executable (p, &s->exec_path, err) < 0)
    return -1;
  return p->no_new_privileges ? install_seccomp (s, err) : 0;
}

int
urun_process_exec (const struct urun_process *p, const char *exec_path,
                   char **env, struct urun_error *err)
{
  sigset_t none;

  /* The caller's blocked signals must not leak into the container. */
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  execve (exec_path, p->args, env);
  return urun_set_error (err, errno, "exec `%s`", exec_path);
}
