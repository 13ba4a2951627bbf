/* seccomp.c: --enable-seccomp — an allow-list of the system calls the
   running loop makes (libslirp, glibc's malloc, epoll, the API socket).
   slirp4netns blocks a list of dangerous calls and allows the rest; we
   invert that: unknown calls fail with EPERM (so a glibc or libslirp path
   we did not foresee degrades instead of dying), and the calls that could
   only serve an escape kill the process.  Arguments are checked where that
   narrows a broad call: socket() only for IPv4/IPv6, openat() only for
   reading (libslirp re-reads /etc/resolv.conf), ioctl() only FIONREAD. */
#define _GNU_SOURCE
#include "seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const allowed[] = {
  /* I/O on the tap, host sockets, the API socket */
  "read", "write", "readv", "writev", "close", "lseek", "fcntl",
  "recvfrom", "sendto", "recvmsg", "sendmsg", "recvmmsg", "sendmmsg",
  "connect", "bind", "listen", "accept", "accept4", "shutdown",
  "getsockname", "getpeername", "getsockopt", "setsockopt",
  "epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl", "poll", "ppoll",
  /* resolv.conf checks (get_dns_addr_cached stats it every second) */
  "stat", "fstat", "lstat", "newfstatat", "statx", "access", "faccessat",
  "faccessat2", "readlink", "readlinkat",
  /* memory, time, signals, exit */
  "brk", "mmap", "munmap", "mremap", "madvise", "mprotect",
  "clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep",
  "clock_nanosleep", "rt_sigreturn", "rt_sigprocmask", "sigaltstack",
  "restart_syscall", "exit", "exit_group", "futex", "getrandom",
  "getpid", "gettid", "getuid", "geteuid", "getgid", "getegid", "uname",
  "sched_yield", "tgkill",
  /* the API socket's file, at exit (fails inside the sandbox) */
  "unlink",
  /* spliced forwards (splice.c) */
  "splice", "pipe2",
};

/* The namespace child's loop (nssocket.c), with socket() below. */
static const char *const nssocket_allowed[] = {
  "recvmsg", "sendmsg", "close", "exit", "exit_group", "rt_sigreturn",
  "restart_syscall",
  /* free() of libseccomp's context, after the filter is loaded */
  "brk", "munmap", "madvise",
};

/* Calls with no use but to break out or to attack the host. */
static const char *const fatal[] = {
  "execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev",
  "mount", "umount2", "pivot_root", "chroot", "setns", "unshare",
  "fsopen", "fsmount", "fsconfig", "fspick", "move_mount", "open_tree",
  "mount_setattr", "init_module", "finit_module", "delete_module",
  "kexec_load", "kexec_file_load", "reboot", "bpf", "perf_event_open",
  "open_by_handle_at", "name_to_handle_at", "keyctl", "add_key",
  "request_key", "userfaultfd", "pidfd_getfd", "swapon", "swapoff", "acct",
};

/* SECCOMP_RET_KILL_PROCESS needs Linux 4.14; older kernels kill the thread,
   which in this single-threaded process is the same. */
static uint32_t
kill_action (void)
{
  uint32_t action = SECCOMP_RET_KILL_PROCESS;

  if (syscall (SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0)
    return SCMP_ACT_KILL_PROCESS;
  return SCMP_ACT_KILL;
}

/* Names libseccomp does not know on this architecture are skipped. */
static int
add_rules (scmp_filter_ctx ctx, const char *const *names, size_t n,
           uint32_t action, struct urun_error *err)
{
  for (size_t i = 0; i < n; i++)
    {
      int nr = seccomp_syscall_resolve_name (names[i]);
      int rc;

      if (nr == __NR_SCMP_ERROR)
        continue;
      rc = seccomp_rule_add (ctx, action, nr, 0);
      if (rc < 0 && rc != -EEXIST)
        return urun_set_error (err, -rc, "add seccomp rule for `%s`",
                               names[i]);
    }
  return 0;
}

/* socket() for IPv4 and IPv6 only. */
static int
add_socket_rules (scmp_filter_ctx ctx)
{
  int rc = 0;

  /* SCMP_A0 (op, a) builds a compound literal without datum_b, which clang's
     -Wmissing-field-initializers refuses: give it, unused by SCMP_CMP_EQ. */
  rc |= seccomp_rule_add (ctx, SCMP_ACT_ALLOW, SCMP_SYS (socket), 1,
                          SCMP_A0 (SCMP_CMP_EQ, AF_INET, 0));
  rc |= seccomp_rule_add (ctx, SCMP_ACT_ALLOW, SCMP_SYS (socket), 1,
                          SCMP_A0 (SCMP_CMP_EQ, AF_INET6, 0));
  return rc;
}

static int
add_argument_rules (scmp_filter_ctx ctx, struct urun_error *err)
{
  const scmp_datum_t writes = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;
  int rc = add_socket_rules (ctx);

  rc |= seccomp_rule_add (ctx, SCMP_ACT_ALLOW, SCMP_SYS (openat), 1,
                          SCMP_A2 (SCMP_CMP_MASKED_EQ, writes, 0));
  rc |= seccomp_rule_add (ctx, SCMP_ACT_ALLOW, SCMP_SYS (ioctl), 1,
                          SCMP_A1 (SCMP_CMP_EQ, FIONREAD, 0));
  if (rc != 0)
    return urun_set_error (err, EINVAL, "add seccomp argument rules");
  return 0;
}

static int
load (scmp_filter_ctx ctx, int rc, struct urun_error *err)
{
  if (rc == 0 && (rc = seccomp_load (ctx)) < 0)
    urun_set_error (err, -rc, "load seccomp filter");
  seccomp_release (ctx);
  return rc < 0 ? -1 : 0;
}

int
urun_install_seccomp (struct urun_error *err)
{
  scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ERRNO (EPERM));
  int rc;

  if (ctx == NULL)
    return urun_set_error (err, ENOMEM, "create seccomp filter");
  rc = add_rules (ctx, allowed, sizeof allowed / sizeof *allowed,
                  SCMP_ACT_ALLOW, err);
  if (rc == 0)
    rc = add_rules (ctx, fatal, sizeof fatal / sizeof *fatal, kill_action (),
                    err);
  if (rc == 0)
    rc = add_argument_rules (ctx, err);
  return load (ctx, rc, err);
}

/* Anything else kills: this loop has nothing to degrade to. */
int
urun_install_nssocket_seccomp (struct urun_error *err)
{
  scmp_filter_ctx ctx = seccomp_init (kill_action ());
  int rc;

  if (ctx == NULL)
    return urun_set_error (err, ENOMEM, "create seccomp filter");
  rc = add_rules (ctx, nssocket_allowed,
                  sizeof nssocket_allowed / sizeof *nssocket_allowed,
                  SCMP_ACT_ALLOW, err);
  if (rc == 0 && add_socket_rules (ctx) != 0)
    rc = urun_set_error (err, EINVAL, "add seccomp argument rules");
  return load (ctx, rc, err);
}
