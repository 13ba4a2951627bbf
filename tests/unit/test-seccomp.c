/* test-seccomp.c: linux.seccomp compiled (src/seccomp.c) and installed in
 * forked children, the notify listener handed to an agent, and the
 * containers-common default profile. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "cleanup.h"
#include "seccomp.h"
#include "spec.h"
#include "tap.h"
#include "utils.h"

#define PODMAN_PROFILE "/usr/share/containers/seccomp.json"
#define V "{'ociVersion': '1.2.0', 'linux': {'seccomp': "
#define NO_DIR "/nonexistent-urun-test/dir"

/* JSON written with ' for " so that the documents below stay readable. */
static char *
dq (const char *s)
{
  char *copy = xstrdup (s);

  for (char *p = copy; *p; p++)
    if (*p == '\'')
      *p = '"';
  return copy;
}

/* Parse JSON (a whole config.json) and compile its linux.seccomp. */
static int
prepare_json (const char *json, struct urun_seccomp_program *prog,
              struct urun_error *err)
{
  cleanup_spec struct urun_spec *spec = urun_parse_spec (json, strlen (json), "config.json", err);

  if (spec == NULL)
    return -1;
  return urun_seccomp_prepare (&spec->linux_.seccomp, prog, err);
}

static int
prepare (const char *sq_seccomp, struct urun_seccomp_program *prog,
         struct urun_error *err)
{
  cleanup_free char *json = NULL;
  cleanup_free char *sq = xasprintf (V "%s}}", sq_seccomp);

  json = dq (sq);
  return prepare_json (json, prog, err);
}

static void
expect_ok (const char *sq_seccomp, unsigned int want_flags, const char *what)
{
  struct urun_seccomp_program prog = URUN_SECCOMP_PROGRAM_INIT;
  cleanup_error struct urun_error err = URUN_ERROR_INIT;
  int r = prepare (sq_seccomp, &prog, &err);

  if (r < 0)
    printf ("# %s\n", err.msg);
  tap_ok (r == 0 && prog.filter != NULL && prog.len > 0 && prog.flags == want_flags,
          "%s (flags %#x)", what, prog.flags);
  urun_seccomp_free (&prog);
}

static void
expect_error (const char *sq_seccomp, const char *expected)
{
  struct urun_seccomp_program prog = URUN_SECCOMP_PROGRAM_INIT;
  cleanup_error struct urun_error err = URUN_ERROR_INIT;
  int r = prepare (sq_seccomp, &prog, &err);
  bool same = err.msg != NULL && strcmp (err.msg, expected) == 0;

  if (!same)
    printf ("# expected: %s\n#      got: %s\n", expected, err.msg ? err.msg : "(no error)");
  tap_ok (r < 0 && same && prog.filter == NULL, "rejects: %s", expected);
}

/* Most documents below start with one of these. */
#define ALLOW "{'defaultAction': 'SCMP_ACT_ALLOW', "
#define DENY "{'defaultAction': 'SCMP_ACT_ERRNO', "
#define E "config.json: linux.seccomp."
#define NO_ERRNO " takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)"

static void
test_prepare_errors (void)
{
  expect_error (ALLOW "'syscalls': [{'names': ['read'], 'action': 'SCMP_ACT_LOG'},"
                " {'names': ['write'], 'action': 'SCMP_ACT_LOG'},"
                " {'names': ['open'], 'action': 'SCMP_ACT_LOG'},"
                " {'names': ['close', 'Bad-Name'], 'action': 'SCMP_ACT_ERRNO'}]}",
                E "syscalls[3].names[1]: malformed syscall name \"Bad-Name\"");
  expect_error (ALLOW "'flags': ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_FOO']}",
                E "flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_FOO\" (expected one of: "
                  "SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG, "
                  "SECCOMP_FILTER_FLAG_SPEC_ALLOW, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)");
  expect_error (ALLOW "'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_VAX']}",
                E "architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"");
  expect_error (ALLOW "'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_KILL',"
                " 'errnoRet': 1}]}",
                E "syscalls[0].errnoRet: SCMP_ACT_KILL" NO_ERRNO);
  expect_error (ALLOW "'defaultErrnoRet': 1}", E "defaultErrnoRet: SCMP_ACT_ALLOW" NO_ERRNO);
  expect_error (DENY "'defaultErrnoRet': 4096}",
                E "defaultErrnoRet: 4096 is out of range for SCMP_ACT_ERRNO (0 to 4095)");
  expect_error ("{'defaultAction': 'SCMP_ACT_NOTIFY'}",
                E "defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  expect_error (ALLOW "'syscalls': [{'names': ['mkdir', 'sendmsg'], 'action': 'SCMP_ACT_NOTIFY'}]}",
                E "syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for `sendmsg`: "
                  "urun passes the listener fd with it");
  expect_error (ALLOW "'listenerMetadata': 'x'}", E "listenerMetadata: set without listenerPath");
}

static void
test_prepare (void)
{
  expect_ok (ALLOW "'syscalls': [{'names': ['no_such_syscall_42', 'mkdir'],"
             " 'action': 'SCMP_ACT_ERRNO'}]}",
             0, "an unknown but well-formed syscall name is skipped");
  expect_ok (DENY "'syscalls': [{'names': ['no_such_syscall_42'], 'action': 'SCMP_ACT_ALLOW'}]}",
             0, "a profile whose only name is unknown still compiles");
  expect_ok (ALLOW "'syscalls': [{'names': ['personality'], 'action': 'SCMP_ACT_ERRNO', 'args': ["
             " {'index': 0, 'value': 1, 'op': 'SCMP_CMP_EQ'},"
             " {'index': 0, 'value': 2, 'op': 'SCMP_CMP_EQ'},"
             " {'index': 1, 'value': 3, 'op': 'SCMP_CMP_GT'}]}]}",
             0, "several comparisons of one argument become separate rules");
  expect_ok (DENY "'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32',"
             " 'SCMP_ARCH_AARCH64'], 'syscalls': ["
             " {'names': ['read'], 'action': 'SCMP_ACT_ERRNO'},"
             " {'names': ['write'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 5},"
             " {'names': ['getpid'], 'action': 'SCMP_ACT_KILL'},"
             " {'names': ['getppid'], 'action': 'SCMP_ACT_KILL_PROCESS'},"
             " {'names': ['getuid'], 'action': 'SCMP_ACT_KILL_THREAD'},"
             " {'names': ['getgid'], 'action': 'SCMP_ACT_TRAP'},"
             " {'names': ['geteuid'], 'action': 'SCMP_ACT_TRACE', 'errnoRet': 7},"
             " {'names': ['getegid'], 'action': 'SCMP_ACT_LOG'},"
             " {'names': ['open'], 'action': 'SCMP_ACT_ALLOW', 'args': ["
             "  {'index': 1, 'value': 3, 'valueTwo': 1, 'op': 'SCMP_CMP_MASKED_EQ'},"
             "  {'index': 2, 'value': 1, 'op': 'SCMP_CMP_NE'},"
             "  {'index': 0, 'value': 1, 'op': 'SCMP_CMP_LT'},"
             "  {'index': 3, 'value': 1, 'op': 'SCMP_CMP_LE'},"
             "  {'index': 4, 'value': 1, 'op': 'SCMP_CMP_GE'},"
             "  {'index': 5, 'value': 18446744073709551615, 'op': 'SCMP_CMP_GT'}]}]}",
             0, "every action, operator and several architectures");
  expect_ok (ALLOW "'flags': ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW',"
             " 'SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']}",
             SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW,
             "flags; WAIT_KILLABLE_RECV dropped without a listener");
  expect_ok (ALLOW "'flags': ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],"
             " 'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_NOTIFY'}]}",
             SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
             "SCMP_ACT_NOTIFY asks for a listener, WAIT_KILLABLE_RECV kept");
}

/* Run FN in a forked child under PROG (with no_new_privs, so that the test
 * also runs unprivileged). Returns the child's exit status, 128+signal. */
static int
run_filtered (const struct urun_seccomp_program *prog, int (*fn) (void))
{
  pid_t pid = fork ();
  int status = 0;

  if (pid == 0)
    {
      struct urun_error err = URUN_ERROR_INIT;
      int fd = -1;

      if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || urun_seccomp_install (prog, &fd, &err) < 0)
        _exit (100);
      /* Not _exit(): ASan's interceptor of it runs the sanitizer's
       * finalizer, whose syscalls a default-deny filter refuses. */
      syscall (SYS_exit_group, fn ());
      _exit (127); /* not reached */
    }
  if (pid < 0 || waitpid (pid, &status, 0) < 0)
    return -1;
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static int
run_profile (const char *sq_seccomp, int (*fn) (void))
{
  struct urun_seccomp_program prog = URUN_SECCOMP_PROGRAM_INIT;
  cleanup_error struct urun_error err = URUN_ERROR_INIT;
  int r;

  if (prepare (sq_seccomp, &prog, &err) < 0)
    {
      printf ("# %s\n", err.msg);
      return -1;
    }
  r = run_filtered (&prog, fn);
  urun_seccomp_free (&prog);
  return r;
}

static int
mkdir_errno (void)
{
  return mkdir (NO_DIR, 0755) < 0 ? errno : 0;
}

/* personality(0xffffffff) only queries the persona; 8 is PER_LINUX32,
 * which never reaches the kernel here. */
static int
personality_results (void)
{
  int query = syscall (SYS_personality, 0xffffffffUL) < 0 ? errno : 0;
  int eight = syscall (SYS_personality, 8UL) < 0 ? errno : 0;
  int other = syscall (SYS_getppid) < 0 ? errno : 0;

  return (query == 0 ? 0 : 1) | (eight == EPERM ? 0 : 2) | (other == EPERM ? 0 : 4);
}

static int
personality_masked (void)
{
  int query = syscall (SYS_personality, 0xffffffffUL) < 0 ? errno : 0;
  int masked = syscall (SYS_personality, 0x10008UL) < 0 ? errno : 0;

  return (query == 0 ? 0 : 1) | (masked == EPERM ? 0 : 2);
}

static int
drop_effective_caps (void)
{
  cap_t caps = cap_get_proc ();

  if (caps == NULL || cap_clear_flag (caps, CAP_EFFECTIVE) < 0 || cap_set_proc (caps) < 0)
    return 100;
  cap_free (caps);
  return 0;
}

#define MKDIR_ERRNO ALLOW "'syscalls': [{'names': ['mkdir', 'mkdirat'], 'action': 'SCMP_ACT_ERRNO'"

static void
test_install (void)
{
  int r;

  r = run_profile (MKDIR_ERRNO "}]}", mkdir_errno);
  tap_ok (r == EPERM, "mkdir fails with EPERM, the default errno (%d)", r);
  r = run_profile (MKDIR_ERRNO ", 'errnoRet': 44}]}", mkdir_errno);
  tap_ok (r == ECHRNG, "mkdir fails with errnoRet 44, ECHRNG (%d)", r);
  r = run_profile (DENY "'syscalls': [{'names': ['exit', 'exit_group'], 'action': 'SCMP_ACT_ALLOW'},"
                   " {'names': ['personality'], 'action': 'SCMP_ACT_ALLOW', 'args': ["
                   "  {'index': 0, 'value': 0, 'op': 'SCMP_CMP_EQ'},"
                   "  {'index': 0, 'value': 4294967295, 'op': 'SCMP_CMP_EQ'}]}]}",
                   personality_results);
  tap_ok (r == 0, "personality(0xffffffff) allowed, personality(8) and getppid get EPERM (%d)", r);
  r = run_profile (ALLOW "'syscalls': [{'names': ['personality'], 'action': 'SCMP_ACT_ERRNO',"
                   " 'args': [{'index': 0, 'value': 255, 'valueTwo': 8, 'op': 'SCMP_CMP_MASKED_EQ'}]}]}",
                   personality_masked);
  tap_ok (r == 0, "MASKED_EQ: (arg & value) == valueTwo (%d)", r);
}

/* In a child without no_new_privs: with DROP_CAPS, no CAP_SYS_ADMIN either.
 * Exit 0 when the install did what the kernel should: EACCES (explained)
 * without the capability, a working filter with it. */
static int
install_without_nnp (const struct urun_seccomp_program *prog, bool drop_caps)
{
  pid_t pid = fork ();
  int status = 0;

  if (pid == 0)
    {
      struct urun_error err = URUN_ERROR_INIT;
      int fd = -1;
      int r;

      if (drop_caps && drop_effective_caps () != 0)
        _exit (100);
      r = urun_seccomp_install (prog, &fd, &err);
      if (drop_caps)
        _exit (r < 0 && err.errnum == EACCES
                       && strcmp (err.msg, "seccomp: installing a filter needs "
                                           "noNewPrivileges or CAP_SYS_ADMIN")
                              == 0
                   ? 0
                   : 1);
      _exit (r == 0 && mkdir_errno () == EPERM ? 0 : 2);
    }
  if (pid < 0 || waitpid (pid, &status, 0) < 0)
    return -1;
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static void
test_install_privilege (void)
{
  struct urun_seccomp_program prog = URUN_SECCOMP_PROGRAM_INIT;
  cleanup_error struct urun_error err = URUN_ERROR_INIT;
  cap_flag_value_t has_admin = CAP_CLEAR;
  cap_t caps = cap_get_proc ();

  if (caps != NULL)
    cap_get_flag (caps, CAP_SYS_ADMIN, CAP_EFFECTIVE, &has_admin);
  cap_free (caps);
  if (prepare (MKDIR_ERRNO "}]}", &prog, &err) < 0)
    return tap_ok (0, "prepare: %s", err.msg);
  tap_ok (install_without_nnp (&prog, true) == 0,
          "without noNewPrivileges nor CAP_SYS_ADMIN: EACCES explained");
  if (has_admin == CAP_SET)
    tap_ok (install_without_nnp (&prog, false) == 0,
            "without noNewPrivileges, with CAP_SYS_ADMIN: installed");
  else
    printf ("ok %d - # SKIP no CAP_SYS_ADMIN to install without noNewPrivileges\n", ++tap_count);
  urun_seccomp_free (&prog);
}

/* The agent's side: accept one connection (waiting at most 10 s) and read
 * the JSON to EOF, with the fd that came along. */
static int
agent_receive (int srv, char *json, size_t size, int *fd)
{
  struct pollfd pfd = { .fd = srv, .events = POLLIN };
  cleanup_close int conn = -1;
  size_t len = 0;

  if (poll (&pfd, 1, 10000) != 1 || (conn = accept4 (srv, NULL, NULL, SOCK_CLOEXEC)) < 0)
    return -1;
  for (;;)
    {
      union
      {
        char buf[CMSG_SPACE (sizeof (int))];
        struct cmsghdr align;
      } control;
      struct iovec iov = { .iov_base = json + len, .iov_len = size - 1 - len };
      struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                           .msg_control = control.buf, .msg_controllen = sizeof control.buf };
      ssize_t n = recvmsg (conn, &mh, MSG_CMSG_CLOEXEC);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      for (struct cmsghdr *c = CMSG_FIRSTHDR (&mh); c; c = CMSG_NXTHDR (&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && *fd < 0)
          memcpy (fd, CMSG_DATA (c), sizeof (int));
      len += (size_t) n;
      if (len == size - 1)
        break;
    }
  json[len] = '\0';
  return 0;
}

/* Answer one notification with EXDEV; returns the syscall number seen. */
static int
agent_answer (int fd)
{
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;

  memset (&req, 0, sizeof req);
  if (ioctl (fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
    return -1;
  memset (&resp, 0, sizeof resp);
  resp.id = req.id;
  resp.error = -EXDEV;
  if (ioctl (fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0)
    return -1;
  return req.data.nr;
}

/* The container's side: install, let a child call mkdir (which waits for
 * the agent), hand the listener to the agent, exit with the child's status. */
__attribute__ ((noreturn)) static void
notify_container (const struct urun_seccomp_program *prog, const char *path)
{
  struct urun_error err = URUN_ERROR_INIT;
  char state[128];
  int fd = -1, status = 0;
  pid_t child;

  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || urun_seccomp_install (prog, &fd, &err) < 0
      || fd < 0)
    _exit (100);
  child = fork ();
  if (child == 0)
    _exit (mkdir_errno () == EXDEV ? 0 : 1);
  snprintf (state, sizeof state,
            "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":%d}",
            (int) getpid ());
  if (urun_seccomp_send_listener (path, "meta \"q\"\n", fd, state, getpid (), &err) < 0)
    _exit (101);
  close (fd);
  if (waitpid (child, &status, 0) < 0 || !WIFEXITED (status))
    _exit (102);
  _exit (WEXITSTATUS (status));
}

static int
listen_at (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int srv = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  snprintf (addr.sun_path, sizeof addr.sun_path, "%s", path);
  if (srv >= 0 && (bind (srv, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (srv, 1) < 0))
    {
      close (srv);
      return -1;
    }
  return srv;
}

static void
test_notify (void)
{
  struct urun_seccomp_program prog = URUN_SECCOMP_PROGRAM_INIT;
  cleanup_error struct urun_error err = URUN_ERROR_INIT;
  cleanup_close int srv = -1;
  cleanup_close int notify_fd = -1;
  cleanup_free char *path = NULL;
  cleanup_free char *expected = NULL;
  char dir[] = "/tmp/urun-test-seccomp-XXXXXX";
  char json[1024];
  int status = 0, r, nr;
  pid_t pid;

  if (prepare (ALLOW "'listenerPath': '/unused', 'flags': ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],"
               " 'syscalls': [{'names': ['mkdir', 'mkdirat'], 'action': 'SCMP_ACT_NOTIFY'}]}",
               &prog, &err)
          < 0
      || mkdtemp (dir) == NULL)
    return tap_ok (0, "notify: set up: %s", err.msg ? err.msg : strerror (errno));
  path = xasprintf ("%s/agent.sock", dir);
  srv = listen_at (path);
  pid = srv < 0 ? -1 : fork ();
  if (pid == 0)
    notify_container (&prog, path);
  r = pid < 0 ? -1 : agent_receive (srv, json, sizeof json, &notify_fd);
  expected = xasprintf ("{\"ociVersion\":\"1.2.0\",\"fds\":[\"seccompFd\"],\"pid\":%d,"
                        "\"metadata\":\"meta \\\"q\\\"\\u000a\",\"state\":{\"ociVersion\":\"1.2.0\","
                        "\"id\":\"c1\",\"status\":\"creating\",\"pid\":%d}}", (int) pid, (int) pid);
  tap_ok (r == 0 && strcmp (json, expected) == 0, "notify: the agent gets the container process state");
  if (r == 0 && strcmp (json, expected) != 0)
    printf ("# got: %s\n", json);
  tap_ok (notify_fd >= 0, "notify: ... and the listener fd in SCM_RIGHTS");
  nr = notify_fd >= 0 ? agent_answer (notify_fd) : -1;
  tap_ok (nr == __NR_mkdir || nr == __NR_mkdirat,
          "notify: the agent sees the container's mkdir (nr %d)", nr);
  if (pid > 0)
    waitpid (pid, &status, 0);
  tap_ok (pid > 0 && WIFEXITED (status) && WEXITSTATUS (status) == 0,
          "notify: mkdir in the container gets the agent's EXDEV (exit %d)", WEXITSTATUS (status));
  unlink (path);
  rmdir (dir);
  urun_seccomp_free (&prog);
}

#if defined(__x86_64__)
#define GO_ARCH "amd64"
#define SCMP_NATIVE "SCMP_ARCH_X86_64"
#elif defined(__aarch64__)
#define GO_ARCH "arm64"
#define SCMP_NATIVE "SCMP_ARCH_AARCH64"
#else
#define GO_ARCH NULL
#define SCMP_NATIVE NULL
#endif

/* podman's default capabilities (containers.conf default_capabilities). */
static const char *const default_caps[] = {
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE",
  "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT",
};

static yajl_val
field (yajl_val obj, const char *key)
{
  const char *path[] = { key, NULL };

  return obj ? yajl_tree_get (obj, path, yajl_t_any) : NULL;
}

static size_t
array_len (yajl_val v)
{
  return YAJL_IS_ARRAY (v) ? v->u.array.len : 0;
}

static bool
in_array (yajl_val arr, const char *s)
{
  for (size_t i = 0; i < array_len (arr); i++)
    if (YAJL_IS_STRING (arr->u.array.values[i]) && strcmp (arr->u.array.values[i]->u.string, s) == 0)
      return true;
  return false;
}

static bool
is_default_cap (yajl_val cap)
{
  for (size_t i = 0; i < sizeof default_caps / sizeof default_caps[0]; i++)
    if (YAJL_IS_STRING (cap) && strcmp (cap->u.string, default_caps[i]) == 0)
      return true;
  return false;
}

/* What containers/common does to turn its profile into linux.seccomp:
 * includes.arches must name ours and includes.caps all be granted;
 * excludes.arches and excludes.caps must not match. */
static bool
entry_applies (yajl_val entry)
{
  yajl_val inc = field (entry, "includes"), exc = field (entry, "excludes");
  yajl_val caps = field (inc, "caps");

  if (array_len (field (inc, "arches")) > 0 && !in_array (field (inc, "arches"), GO_ARCH))
    return false;
  if (in_array (field (exc, "arches"), GO_ARCH))
    return false;
  for (size_t i = 0; i < array_len (caps); i++)
    if (!is_default_cap (caps->u.array.values[i]))
      return false;
  caps = field (exc, "caps");
  for (size_t i = 0; i < array_len (caps); i++)
    if (is_default_cap (caps->u.array.values[i]))
      return false;
  return true;
}

static void
gen_str (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

static void
gen_value (yajl_gen g, yajl_val v)
{
  if (YAJL_IS_STRING (v))
    gen_str (g, v->u.string);
  else if (YAJL_IS_NUMBER (v)) /* the number's text, so that uint64 survives */
    yajl_gen_number (g, v->u.number.r, strlen (v->u.number.r));
  else if (YAJL_IS_OBJECT (v))
    {
      yajl_gen_map_open (g);
      for (size_t i = 0; i < v->u.object.len; i++)
        {
          gen_str (g, v->u.object.keys[i]);
          gen_value (g, v->u.object.values[i]);
        }
      yajl_gen_map_close (g);
    }
  else if (YAJL_IS_ARRAY (v))
    {
      yajl_gen_array_open (g);
      for (size_t i = 0; i < v->u.array.len; i++)
        gen_value (g, v->u.array.values[i]);
      yajl_gen_array_close (g);
    }
  else
    YAJL_IS_NULL (v) ? yajl_gen_null (g) : yajl_gen_bool (g, YAJL_IS_TRUE (v));
}

static void
gen_member (yajl_gen g, yajl_val obj, const char *key)
{
  yajl_val v = field (obj, key);

  if (v != NULL && !YAJL_IS_NULL (v))
    {
      gen_str (g, key);
      gen_value (g, v);
    }
}

static void
gen_seccomp (yajl_gen g, yajl_val root)
{
  yajl_val map = field (root, "archMap"), syscalls = field (root, "syscalls");

  yajl_gen_map_open (g);
  gen_member (g, root, "defaultAction");
  gen_member (g, root, "defaultErrnoRet");
  gen_str (g, "architectures");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < array_len (map); i++)
    {
      yajl_val a = map->u.array.values[i];
      yajl_val name = field (a, "architecture");

      if (!YAJL_IS_STRING (name) || strcmp (name->u.string, SCMP_NATIVE) != 0)
        continue;
      gen_value (g, field (a, "architecture"));
      for (size_t j = 0; j < array_len (field (a, "subArchitectures")); j++)
        gen_value (g, field (a, "subArchitectures")->u.array.values[j]);
    }
  yajl_gen_array_close (g);
  gen_str (g, "syscalls");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < array_len (syscalls); i++)
    if (entry_applies (syscalls->u.array.values[i]))
      {
        yajl_gen_map_open (g);
        gen_member (g, syscalls->u.array.values[i], "names");
        gen_member (g, syscalls->u.array.values[i], "action");
        gen_member (g, syscalls->u.array.values[i], "errnoRet");
        gen_member (g, syscalls->u.array.values[i], "args");
        yajl_gen_map_close (g);
      }
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
}

/* The containers-common profile as the config.json podman would write. */
static char *
podman_config (const char *profile)
{
  char errbuf[256];
  yajl_val root = yajl_tree_parse (profile, errbuf, sizeof errbuf);
  yajl_gen g;
  const unsigned char *buf;
  size_t len;
  char *out;

  if (root == NULL)
    return NULL;
  g = yajl_gen_alloc (NULL);
  yajl_gen_map_open (g);
  gen_str (g, "ociVersion");
  gen_str (g, "1.2.0");
  gen_str (g, "linux");
  yajl_gen_map_open (g);
  gen_str (g, "seccomp");
  gen_seccomp (g, root);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  out = xstrdup ((const char *) buf);
  yajl_gen_free (g);
  yajl_tree_free (root);
  return out;
}

static int
exec_true (void)
{
  char *argv[] = { "/bin/true", NULL };

  execv (argv[0], argv);
  return 127;
}

static int
profile_denials (void)
{
  int kexec = syscall (SYS_kexec_file_load, -1, -1, 0UL, NULL, 0UL) < 0 ? errno : 0;
  int audit = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT) < 0 ? errno : 0;
  int persona = syscall (SYS_personality, 0x0040000UL) < 0 ? errno : 0;
  int query = syscall (SYS_personality, 0xffffffffUL) < 0 ? errno : 0;

  return (kexec == EPERM ? 0 : 1) | (audit == EINVAL ? 0 : 2) | (persona == ENOSYS ? 0 : 4)
         | (query == 0 ? 0 : 8);
}

static void
tap_skip (const char *why)
{
  printf ("ok %d - # SKIP %s\n", ++tap_count, why);
}

static void
test_podman_profile (void)
{
  struct urun_seccomp_program prog = URUN_SECCOMP_PROGRAM_INIT;
  cleanup_error struct urun_error err = URUN_ERROR_INIT;
  cleanup_free char *profile = NULL;
  cleanup_free char *config = NULL;
  size_t len = 0;
  int r;

  if (GO_ARCH == NULL)
    return tap_skip ("podman profile: no architecture mapping for this machine");
  if (urun_read_file_at (AT_FDCWD, PODMAN_PROFILE, &profile, &len, &err) < 0)
    return tap_skip (PODMAN_PROFILE " missing (apt-get install containers-common)");
  config = podman_config (profile);
  r = config ? prepare_json (config, &prog, &err) : -1;
  if (r < 0)
    printf ("# %s\n", err.msg ? err.msg : "cannot convert the profile");
  tap_ok (r == 0 && prog.flags == 0, "podman profile compiles (%u BPF instructions)", prog.len);
  tap_ok (r == 0 && run_filtered (&prog, exec_true) == 0, "podman profile: /bin/true runs under it");
  r = r == 0 ? run_filtered (&prog, profile_denials) : -1;
  tap_ok (r == 0, "podman profile: kexec_file_load EPERM, audit socket EINVAL, "
                  "personality(ADDR_NO_RANDOMIZE) ENOSYS (%d)", r);
  urun_seccomp_free (&prog);
}

int
main (void)
{
  if (prctl (PR_GET_SECCOMP, 0, 0, 0, 0) < 0)
    tap_skip_all ("the kernel has no seccomp");
  alarm (60); /* a lost notification must not hang meson */
  test_prepare_errors ();
  test_prepare ();
  test_install ();
  test_install_privilege ();
  test_notify ();
  test_podman_profile ();
  return tap_done ();
}
