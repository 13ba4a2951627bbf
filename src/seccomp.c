/* seccomp.c: linux.seccomp — the profile compiled with libseccomp into a BPF
 * program in memory, installed with seccomp(2) by the container process, and
 * its notify listener handed to the seccomp agent. */
#define _GNU_SOURCE
#include "seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "utils.h"

/* Headers older than Linux 5.19 lack it; the kernel checks it anyway. */
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

#define SPEC_PATH "config.json: linux.seccomp"
#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))
#define MAX_SYSCALL_ARGS 6

URUN_DEFINE_CLEANUP (scmp, scmp_filter_ctx, if (*p) seccomp_release (*p))
#define cleanup_scmp __attribute__ ((cleanup (scmp_release)))

/* What one profile compiles into, besides the libseccomp context. */
struct compiler
{
  const struct urun_seccomp *s;
  scmp_filter_ctx ctx;
  uint32_t default_action;
  unsigned int flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
  size_t n_rules;
};

static const struct
{
  const char *name;
  uint32_t action;
  bool takes_errno;
} actions[] = {
  { "SCMP_ACT_KILL", SCMP_ACT_KILL, false },
  { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false },
  { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false },
  { "SCMP_ACT_TRAP", SCMP_ACT_TRAP, false },
  { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO (0), true },
  { "SCMP_ACT_TRACE", SCMP_ACT_TRACE (0), true },
  { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false },
  { "SCMP_ACT_LOG", SCMP_ACT_LOG, false },
  { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false },
};

static const struct
{
  const char *name;
  enum scmp_compare op;
} operators[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE },       { "SCMP_CMP_LT", SCMP_CMP_LT },
  { "SCMP_CMP_LE", SCMP_CMP_LE },       { "SCMP_CMP_EQ", SCMP_CMP_EQ },
  { "SCMP_CMP_GE", SCMP_CMP_GE },       { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* The flags of the runtime spec. libseccomp applies its attributes only in
 * seccomp_load(), never in the exported BPF, so each flag is also kept as
 * the seccomp(2) bit; setting the attribute checks kernel support. */
static const struct
{
  const char *name;
  enum scmp_filter_attr attr; /* _SCMP_FLTATR_MIN: none */
  unsigned int bit;
} flag_names[] = {
  /* The container process is single-threaded when it installs: nothing to
   * synchronise (and TSYNC with NEW_LISTENER needs TSYNC_ESRCH, 5.7). */
  { "SECCOMP_FILTER_FLAG_TSYNC", _SCMP_FLTATR_MIN, 0 },
  { "SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG, SECCOMP_FILTER_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB,
    SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  /* No libseccomp attribute before 2.6 (SCMP_FLTATR_CTL_WAITKILL). */
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", _SCMP_FLTATR_MIN,
    SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

/* The action NAME with its errno: EPERM when the spec gives none, as runc.
 * WHERE is "" for the default action or ".syscalls[N]". */
static int
get_action (const char *name, bool has_errno, uint32_t errno_ret,
            const char *where, bool is_default, uint32_t *out,
            struct urun_error *err)
{
  const char *key = is_default ? "defaultErrnoRet" : "errnoRet";
  uint32_t max;

  for (size_t i = 0; i < N_ELEMENTS (actions); i++)
    {
      if (strcmp (name, actions[i].name) != 0)
        continue;
      /* The runtime spec: "When the action doesn't support an errno, the
       * runtime MUST print and error and fail." */
      if (has_errno && !actions[i].takes_errno)
        return urun_set_error (err, 0,
                               SPEC_PATH "%s.%s: %s takes no errno "
                                         "(only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)",
                               where, key, name);
      /* SECCOMP_RET_DATA is 16 bits, and the kernel turns an errno above
       * MAX_ERRNO (4095) into 4095. seccomp(2) */
      max = actions[i].action == SCMP_ACT_ERRNO (0) ? 4095 : 0xffff;
      if (has_errno && errno_ret > max)
        return urun_set_error (err, 0, SPEC_PATH "%s.%s: %u is out of range for %s (0 to %u)",
                               where, key, errno_ret, name, max);
      *out = actions[i].action;
      if (actions[i].takes_errno)
        *out |= has_errno ? errno_ret : EPERM;
      return 0;
    }
  return urun_set_error (err, 0, SPEC_PATH "%s.%s: unknown action \"%s\"", where,
                         is_default ? "defaultAction" : "action", name);
}

/* SCMP_ARCH_X86_64 -> libseccomp's "x86_64"; 0 when unknown. */
static uint32_t
resolve_arch (const char *name)
{
  char lower[32];
  size_t i;

  if (strncmp (name, "SCMP_ARCH_", 10) != 0 || strlen (name + 10) >= sizeof lower)
    return 0;
  for (i = 0; name[10 + i]; i++)
    {
      char ch = name[10 + i];
      lower[i] = (char) (ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    }
  lower[i] = '\0';
  return seccomp_arch_resolve_name (lower);
}

/* The native architecture is in every new filter already: EEXIST is fine. */
static int
add_architectures (struct compiler *c, struct urun_error *err)
{
  for (size_t i = 0; i < c->s->n_architectures; i++)
    {
      const char *name = c->s->architectures[i];
      uint32_t arch = resolve_arch (name);
      int r;

      if (arch == 0)
        return urun_set_error (err, 0, SPEC_PATH ".architectures[%zu]: unknown architecture \"%s\"",
                               i, name);
      r = seccomp_arch_add (c->ctx, arch);
      if (r < 0 && r != -EEXIST)
        return urun_set_error (err, -r, SPEC_PATH ".architectures[%zu]: add architecture \"%s\"",
                               i, name);
    }
  return 0;
}

static int
set_flags (struct compiler *c, struct urun_error *err)
{
  for (size_t i = 0; i < c->s->n_flags; i++)
    {
      const char *name = c->s->flags[i];
      size_t k = 0;
      int r;

      while (k < N_ELEMENTS (flag_names) && strcmp (name, flag_names[k].name) != 0)
        k++;
      if (k == N_ELEMENTS (flag_names))
        return urun_set_error (err, 0,
                               SPEC_PATH ".flags[%zu]: unknown flag \"%s\" (expected one of: "
                                         "SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG, "
                                         "SECCOMP_FILTER_FLAG_SPEC_ALLOW, "
                                         "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)",
                               i, name);
      /* -EOPNOTSUPP: LOG needs Linux 4.14, SPEC_ALLOW 4.17. seccomp(2) */
      if (flag_names[k].attr != _SCMP_FLTATR_MIN
          && (r = seccomp_attr_set (c->ctx, flag_names[k].attr, 1)) < 0)
        return urun_set_error (err, -r, SPEC_PATH ".flags[%zu]: set %s", i, name);
      c->flags |= flag_names[k].bit;
    }
  return 0;
}

static bool
is_wellformed_name (const char *name)
{
  if (*name == '\0')
    return false;
  for (; *name; name++)
    if (!((*name >= 'a' && *name <= 'z') || (*name >= '0' && *name <= '9') || *name == '_'))
      return false;
  return true;
}

static int
get_condition (const struct urun_seccomp_arg *a, struct scmp_arg_cmp *out)
{
  for (size_t i = 0; i < N_ELEMENTS (operators); i++)
    if (a->index < MAX_SYSCALL_ARGS && strcmp (a->op, operators[i].name) == 0)
      {
        /* MASKED_EQ: (arg & value) == valueTwo, so datum_a is the mask. */
        *out = (struct scmp_arg_cmp){ .arg = a->index,
                                      .op = operators[i].op,
                                      .datum_a = a->value,
                                      .datum_b = a->value_two };
        return 0;
      }
  return -1;
}

/* libseccomp refuses two comparisons of the same argument in one rule
 * (EINVAL), so, as runc and crun do, a syscall entry that compares one
 * argument twice becomes one rule per comparison: they are ORed, not
 * ANDed. */
static bool
has_repeated_index (const struct urun_seccomp_syscall *sc)
{
  unsigned int seen = 0;

  for (size_t i = 0; i < sc->n_args; i++)
    {
      unsigned int bit = 1u << (sc->args[i].index % 32);
      if (seen & bit)
        return true;
      seen |= bit;
    }
  return false;
}

/* Add the rule(s) of syscalls[I] for syscall NR (names[J]). */
static int
add_rules (struct compiler *c, size_t i, size_t j, int nr, uint32_t action,
           struct urun_error *err)
{
  const struct urun_seccomp_syscall *sc = &c->s->syscalls[i];
  struct scmp_arg_cmp cmp[MAX_SYSCALL_ARGS];
  bool one_each = has_repeated_index (sc);
  size_t n = 0;
  int r = 0;

  for (size_t k = 0; k < sc->n_args; k++)
    {
      if (get_condition (&sc->args[k], &cmp[n]) < 0)
        return urun_set_error (err, 0, SPEC_PATH ".syscalls[%zu].args[%zu]: invalid comparison",
                               i, k);
      if (one_each)
        {
          r = seccomp_rule_add_array (c->ctx, action, nr, 1, cmp);
          if (r < 0)
            break;
          c->n_rules++;
        }
      else
        n++;
    }
  if (!one_each && r == 0)
    {
      r = seccomp_rule_add_array (c->ctx, action, nr, (unsigned int) n, cmp);
      c->n_rules += r == 0;
    }
  if (r < 0)
    return urun_set_error (err, -r, SPEC_PATH ".syscalls[%zu].names[%zu]: add rule for `%s`%s",
                           i, j, sc->names[j],
                           r == -EEXIST ? " (it conflicts with an earlier rule)" : "");
  return 0;
}

/* urun's container process hands a listener fd to urun with sendmsg(2)
 * right after the install: notifying on it would wait for an agent that
 * can never get the fd (runc refuses `write` for the same reason). */
static int
check_notify_name (const char *name, size_t i, size_t j, struct urun_error *err)
{
  if (strcmp (name, "sendmsg") == 0)
    return urun_set_error (err, 0,
                           SPEC_PATH ".syscalls[%zu].names[%zu]: SCMP_ACT_NOTIFY cannot be "
                                     "used for `sendmsg`: urun passes the listener fd with it",
                           i, j);
  return 0;
}

static int
add_syscall (struct compiler *c, size_t i, struct urun_error *err)
{
  const struct urun_seccomp_syscall *sc = &c->s->syscalls[i];
  char where[48];
  uint32_t action = 0;

  snprintf (where, sizeof where, ".syscalls[%zu]", i);
  if (get_action (sc->action, sc->has_errno_ret, sc->errno_ret, where, false, &action, err)
      < 0)
    return -1;
  for (size_t j = 0; j < sc->n_names; j++)
    {
      const char *name = sc->names[j];
      int nr;

      if (!is_wellformed_name (name))
        return urun_set_error (err, 0,
                               SPEC_PATH ".syscalls[%zu].names[%zu]: malformed syscall name \"%s\"",
                               i, j, name);
      if (action == SCMP_ACT_NOTIFY && check_notify_name (name, i, j, err) < 0)
        return -1;
      /* libseccomp refuses a rule that repeats the default action (EACCES). */
      if (action == c->default_action)
        continue;
      /* A name libseccomp does not know is most likely a syscall newer
       * than it (other architectures' names resolve): runc and crun skip
       * it too, and the default action applies. */
      nr = seccomp_syscall_resolve_name (name);
      if (nr == __NR_SCMP_ERROR)
        {
          urun_debug ("seccomp: unknown syscall `%s`, skipped", name);
          continue;
        }
      if (action == SCMP_ACT_NOTIFY)
        c->flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
      if (add_rules (c, i, j, nr, action, err) < 0)
        return -1;
    }
  return 0;
}

static int
check_default_action (const struct urun_seccomp *s, struct compiler *c,
                      struct urun_error *err)
{
  if (get_action (s->default_action, s->has_default_errno_ret, s->default_errno_ret, "",
                  true, &c->default_action, err)
      < 0)
    return -1;
  /* Every syscall would wait for an agent, the one handing it the
   * listener fd too (runc refuses it as well). */
  if (c->default_action == SCMP_ACT_NOTIFY)
    return urun_set_error (err, 0,
                           SPEC_PATH ".defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  if (s->listener_metadata && s->listener_path == NULL)
    return urun_set_error (err, 0, SPEC_PATH ".listenerMetadata: set without listenerPath");
  return 0;
}

/* WAIT_KILLABLE_RECV (Linux 5.19) only changes how a notifying syscall
 * waits; the kernel refuses it without NEW_LISTENER (EINVAL). */
static void
finish_flags (struct compiler *c)
{
  if ((c->flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
      && !(c->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER))
    {
      urun_debug ("seccomp: no SCMP_ACT_NOTIFY rule, "
                  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ignored");
      c->flags &= ~(unsigned int) SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    }
}

static int
read_all_at (int fd, void *buf, size_t len)
{
  size_t done = 0;

  while (done < len)
    {
      ssize_t n = pread (fd, (char *) buf + done, len - done, (off_t) done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return n < 0 ? -1 : (errno = EIO, -1);
      done += (size_t) n;
    }
  return 0;
}

/* libseccomp 2.5 exports only to an fd (seccomp_export_bpf_mem is 2.6): a
 * memfd (Linux 3.17) takes a program of any size, where a pipe would block
 * past 64 KiB with nobody reading. */
static int
export_bpf (scmp_filter_ctx ctx, struct urun_seccomp_program *prog,
            struct urun_error *err)
{
  cleanup_close int fd = memfd_create ("urun-seccomp-bpf", MFD_CLOEXEC);
  cleanup_free struct sock_filter *insns = NULL;
  struct stat st;
  size_t size, n;
  int r;

  if (fd < 0)
    return urun_set_error (err, errno, "seccomp: create a memfd for the BPF program");
  r = seccomp_export_bpf (ctx, fd);
  if (r < 0)
    return urun_set_error (err, -r, "seccomp: export the filter as BPF");
  if (fstat (fd, &st) < 0)
    return urun_set_error (err, errno, "seccomp: stat the BPF program");
  size = (size_t) st.st_size;
  n = size / sizeof (struct sock_filter);
  if (n == 0 || size % sizeof (struct sock_filter) != 0)
    return urun_set_error (err, EIO, "seccomp: libseccomp exported %zu bytes, not a BPF program",
                           size);
  /* The kernel refuses longer programs with EINVAL. seccomp(2) */
  if (n > BPF_MAXINSNS)
    return urun_set_error (err, E2BIG,
                           "seccomp: the filter has %zu BPF instructions, the kernel takes "
                           "at most %d",
                           n, BPF_MAXINSNS);
  insns = xmalloc0 (size);
  if (read_all_at (fd, insns, size) < 0)
    return urun_set_error (err, errno, "seccomp: read the BPF program back");
  prog->filter = TAKE_PTR (insns);
  prog->len = (unsigned short) n;
  return 0;
}

static int
compile (struct compiler *c, struct urun_error *err)
{
  int r;

  /* urun sets no_new_privs itself, from process.noNewPrivileges. */
  r = seccomp_attr_set (c->ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (r < 0)
    return urun_set_error (err, -r, "seccomp: clear the no_new_privs attribute");
  if (add_architectures (c, err) < 0 || set_flags (c, err) < 0)
    return -1;
  for (size_t i = 0; i < c->s->n_syscalls; i++)
    if (add_syscall (c, i, err) < 0)
      return -1;
  finish_flags (c);
  /* A binary tree of syscalls instead of a linear list, as runc does for
   * long profiles; libseccomp <= 2.5.4 miscompiles it with no rules. */
  if (c->n_rules > 32 && seccomp_attr_set (c->ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0)
    urun_debug ("seccomp: binary tree optimization not available");
  return 0;
}

int
urun_seccomp_prepare (const struct urun_seccomp *s,
                      struct urun_seccomp_program *prog,
                      struct urun_error *err)
{
  cleanup_scmp scmp_filter_ctx ctx = NULL;
  struct compiler c = { .s = s };

  memset (prog, 0, sizeof *prog);
  if (check_default_action (s, &c, err) < 0)
    return -1;
  /* NULL when libseccomp or the kernel does not know the action
   * (KILL_PROCESS and LOG need Linux 4.14). */
  ctx = seccomp_init (c.default_action);
  if (ctx == NULL)
    return urun_set_error (err, EINVAL, SPEC_PATH ".defaultAction: \"%s\" is not supported here",
                           s->default_action);
  c.ctx = ctx;
  if (compile (&c, err) < 0 || export_bpf (ctx, prog, err) < 0)
    return -1;
  prog->flags = c.flags;
  return 0;
}

static int
install_error (unsigned int flags, struct urun_error *err)
{
  switch (errno)
    {
    case EACCES:
      return urun_set_error (err, errno,
                             "seccomp: installing a filter needs noNewPrivileges or CAP_SYS_ADMIN");
    case EBUSY:
      /* One listener per filter chain: urun itself runs under a filter
       * with one (a nested container). seccomp(2) */
      return urun_set_error (err, errno, "install seccomp filter: an inherited filter already "
                                         "has a notify listener");
    case EINVAL:
      return urun_set_error (err, errno,
                             "install seccomp filter with flags %#x (LOG needs Linux 4.14, "
                             "SPEC_ALLOW 4.17, NEW_LISTENER 5.0, WAIT_KILLABLE_RECV 5.19)",
                             flags);
    case ENOMEM:
      /* All filters of a thread together hold at most 32768 instructions
       * (MAX_INSNS_PER_PATH). seccomp(2) */
      return urun_set_error (err, errno,
                             "install seccomp filter: too many filters installed already");
    default:
      return urun_set_error (err, errno, "install seccomp filter");
    }
}

/* seccomp(2) rather than seccomp_load(): the program is precompiled, and
 * seccomp(2) takes the flags libseccomp 2.5 cannot express. */
int
urun_seccomp_install (const struct urun_seccomp_program *prog,
                      int *listener_fd, struct urun_error *err)
{
  struct sock_fprog fprog = { .len = prog->len, .filter = prog->filter };
  long r;

  *listener_fd = -1;
  if (prog->filter == NULL)
    return 0;
  r = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, prog->flags, &fprog);
  if (r < 0)
    return install_error (prog->flags, err);
  if (prog->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)
    *listener_fd = (int) r;
  return 0;
}

void
urun_seccomp_free (struct urun_seccomp_program *prog)
{
  free (prog->filter);
  prog->filter = NULL;
  prog->len = 0;
  prog->flags = 0;
}

/* A JSON string: quotes, backslashes and control characters escaped, every
 * other byte (UTF-8) as is. */
static void
put_json_string (FILE *f, const char *s)
{
  fputc ('"', f);
  for (; *s; s++)
    {
      unsigned char ch = (unsigned char) *s;
      if (ch == '"' || ch == '\\')
        fprintf (f, "\\%c", ch);
      else if (ch < 0x20)
        fprintf (f, "\\u%04x", ch);
      else
        fputc (ch, f);
    }
  fputc ('"', f);
}

/* The container process state of the runtime spec (config-linux.md). */
static char *
process_state_json (const char *metadata, const char *state_json, pid_t pid,
                    size_t *len)
{
  char *buf = NULL;
  FILE *f = open_memstream (&buf, len);

  if (f == NULL)
    return NULL;
  fprintf (f, "{\"ociVersion\":\"1.2.0\",\"fds\":[\"seccompFd\"],\"pid\":%d",
           (int) pid);
  if (metadata != NULL)
    {
      fputs (",\"metadata\":", f);
      put_json_string (f, metadata);
    }
  fprintf (f, ",\"state\":%s}", state_json);
  if (fclose (f) != 0)
    {
      free (buf);
      return NULL;
    }
  return buf;
}

/* The fd rides on the first sendmsg(2); a stream socket may take the rest
 * in further calls, which the runtime spec allows (fds only in the first). */
static int
send_with_fd (int sock, int fd, const char *data, size_t len)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov;
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                       .msg_control = control.buf, .msg_controllen = sizeof control.buf };
  struct cmsghdr *cmsg;
  size_t done = 0;

  memset (&control, 0, sizeof control);
  cmsg = CMSG_FIRSTHDR (&mh);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cmsg), &fd, sizeof fd);
  while (done < len)
    {
      ssize_t n;

      iov = (struct iovec){ .iov_base = (char *) data + done, .iov_len = len - done };
      n = sendmsg (sock, &mh, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      done += (size_t) n;
      mh.msg_control = NULL;
      mh.msg_controllen = 0;
    }
  return 0;
}

int
urun_seccomp_send_listener (const char *listener_path, const char *metadata,
                            int listener_fd, const char *state_json,
                            pid_t pid, struct urun_error *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int sock = -1;
  cleanup_free char *json = NULL;
  size_t len = 0;

  if (strlen (listener_path) >= sizeof addr.sun_path)
    return urun_set_error (err, ENAMETOOLONG, "seccomp agent socket `%s`: longer than %zu bytes",
                           listener_path, sizeof addr.sun_path - 1);
  memcpy (addr.sun_path, listener_path, strlen (listener_path) + 1);
  json = process_state_json (metadata, state_json, pid, &len);
  if (json == NULL)
    return urun_set_error (err, ENOMEM, "format the container process state");
  sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return urun_set_error (err, errno, "create a socket for the seccomp agent");
  if (connect (sock, (struct sockaddr *) &addr, sizeof addr) < 0)
    return urun_set_error (err, errno, "connect to the seccomp agent at `%s`", listener_path);
  if (send_with_fd (sock, listener_fd, json, len) < 0)
    return urun_set_error (err, errno, "send the seccomp listener fd to `%s`", listener_path);
  return 0;
}
