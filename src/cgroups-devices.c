/* cgroups-devices.c: which device nodes the container may use — the rules
 * of linux.resources.devices, linux.devices and the defaults every
 * container needs; written to the v1 devices controller, or compiled into
 * a BPF_PROG_TYPE_CGROUP_DEVICE program for cgroup v2. Root only. */
#define _GNU_SOURCE
#include "cgroups-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "cleanup.h"
#include "log.h"
#include "utils.h"

/* What runc allows every container (libcontainer/specconv AllowedDevices):
 * mknod of anything, the standard nodes, ptys, and /dev/net/tun. */
static const struct cg_device_rule defaults[] = {
  { true, 'c', -1, -1, "m" },   { true, 'b', -1, -1, "m" },
  { true, 'c', 1, 3, "rwm" },   /* null */
  { true, 'c', 1, 8, "rwm" },   /* random */
  { true, 'c', 1, 7, "rwm" },   /* full */
  { true, 'c', 5, 0, "rwm" },   /* tty */
  { true, 'c', 1, 5, "rwm" },   /* zero */
  { true, 'c', 1, 9, "rwm" },   /* urandom */
  { true, 'c', 5, 1, "rwm" },   /* console */
  { true, 'c', 136, -1, "rwm" }, /* pts */
  { true, 'c', 5, 2, "rwm" },   /* ptmx */
  { true, 'c', 10, 200, "rwm" }, /* net/tun */
};

struct cg_device_rule *
cg_device_rules (const struct urun_linux *l, size_t *n)
{
  size_t n_defaults = sizeof defaults / sizeof defaults[0];
  struct cg_device_rule *out
      = xmalloc0 ((l->resources.n_devices + l->n_devices + n_defaults) * sizeof *out);

  *n = 0;
  for (size_t i = 0; i < l->resources.n_devices; i++)
    {
      const struct urun_device_rule *r = &l->resources.devices[i];
      struct cg_device_rule *o = &out[(*n)++];
      o->allow = r->allow;
      o->type = r->type ? r->type : 'a';
      o->major = r->major.set ? r->major.value : -1;
      o->minor = r->minor.set ? r->minor.value : -1;
      snprintf (o->access, sizeof o->access, "%s", r->access ? r->access : "rwm");
    }
  for (size_t i = 0; i < l->n_devices; i++)
    {
      const struct urun_device *d = &l->devices[i];
      if (d->type == 'p') /* fifos are not devices to the cgroup */
        continue;
      out[(*n)++] = (struct cg_device_rule){ true, d->type == 'b' ? 'b' : 'c', d->major, d->minor, "rwm" };
    }
  memcpy (out + *n, defaults, sizeof defaults);
  *n += n_defaults;
  return out;
}

static void
format_number (char *buf, size_t size, int64_t v)
{
  if (v < 0)
    snprintf (buf, size, "*");
  else
    snprintf (buf, size, "%" PRId64, v);
}

/* "a" denied first: a new cgroup inherits its parent's list, which for the
 * root is everything. cgroup-v1/devices.rst */
int
cg_v1_devices (const char *dir, const struct urun_linux *l,
               struct urun_error *err)
{
  cleanup_free struct cg_device_rule *rules = NULL;
  size_t n = 0;

  if (cg_write (dir, "devices.deny", "a", err) < 0)
    return -1;
  rules = cg_device_rules (l, &n);
  for (size_t i = 0; i < n; i++)
    {
      char major[24], minor[24];
      format_number (major, sizeof major, rules[i].major);
      format_number (minor, sizeof minor, rules[i].minor);
      if (rules[i].type == 'a'
              ? cg_write (dir, rules[i].allow ? "devices.allow" : "devices.deny", "a", err) < 0
              : cg_writef (dir, rules[i].allow ? "devices.allow" : "devices.deny", err,
                           "%c %s:%s %s", rules[i].type, major, minor, rules[i].access)
                    < 0)
        return -1;
    }
  return 0;
}

/* The BPF program: R1 points at struct bpf_cgroup_dev_ctx { u32
 * access_type (access << 16 | type); u32 major; u32 minor; }. It loads
 * type into R2, access into R3, major into R4, minor into R5, then tries
 * the rules last to first (the last matching rule wins, as when v1 applies
 * them in order) and returns 1 (allow) or 0. The context and the
 * BPF_DEVCG_* values are uapi, <linux/bpf.h>. */
#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(d, s, o) INSN (BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define ALU_IMM(op, d, i) INSN (BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define MOV_REG(d, s) INSN (BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define JNE_IMM(d, i) INSN (BPF_JMP | BPF_JNE | BPF_K, d, 0, 0, i)
#define EXIT INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define MAX_RULE_INSNS 8

static int
access_bits (const char *access)
{
  return (strchr (access, 'm') ? BPF_DEVCG_ACC_MKNOD : 0)
         | (strchr (access, 'r') ? BPF_DEVCG_ACC_READ : 0)
         | (strchr (access, 'w') ? BPF_DEVCG_ACC_WRITE : 0);
}

/* One rule: checks that jump past it when they fail, then the verdict.
 * *CATCH_ALL: the rule has no check, so nothing after it is reachable. */
static size_t
emit_rule (struct bpf_insn *p, const struct cg_device_rule *r, bool *catch_all)
{
  int bits = access_bits (r->access);
  size_t len = 0, first_jump;

  if (bits != 7) /* R6 = the requested access bits the rule lacks */
    {
      p[len++] = MOV_REG (BPF_REG_6, BPF_REG_3);
      p[len++] = ALU_IMM (BPF_AND, BPF_REG_6, ~bits & 7);
    }
  first_jump = len;
  if (r->type != 'a')
    p[len++] = JNE_IMM (BPF_REG_2, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
  if (bits != 7)
    p[len++] = JNE_IMM (BPF_REG_6, 0);
  if (r->major >= 0)
    p[len++] = JNE_IMM (BPF_REG_4, (int32_t) r->major);
  if (r->minor >= 0)
    p[len++] = JNE_IMM (BPF_REG_5, (int32_t) r->minor);
  *catch_all = len == first_jump && bits == 7;
  /* A taken jump goes to pc + off + 1: past the two verdict insns. */
  for (size_t i = first_jump; i < len; i++)
    p[i].off = (int16_t) (len - i + 1);
  p[len++] = ALU_IMM (BPF_MOV, BPF_REG_0, r->allow ? 1 : 0);
  p[len++] = EXIT;
  return len;
}

static struct bpf_insn *
build_program (const struct cg_device_rule *rules, size_t n, size_t *len)
{
  struct bpf_insn *p = xmalloc0 ((n * MAX_RULE_INSNS + 8) * sizeof *p);
  bool catch_all = false;

  *len = 0;
  p[(*len)++] = LDX_W (BPF_REG_2, BPF_REG_1, 0);
  p[(*len)++] = MOV_REG (BPF_REG_3, BPF_REG_2);
  p[(*len)++] = ALU_IMM (BPF_AND, BPF_REG_2, 0xffff);
  p[(*len)++] = ALU_IMM (BPF_RSH, BPF_REG_3, 16);
  p[(*len)++] = LDX_W (BPF_REG_4, BPF_REG_1, 4);
  p[(*len)++] = LDX_W (BPF_REG_5, BPF_REG_1, 8);
  /* The verifier refuses unreachable code: stop after a catch-all. */
  for (size_t i = n; i-- > 0 && !catch_all;)
    *len += emit_rule (p + *len, &rules[i], &catch_all);
  if (!catch_all)
    {
      p[(*len)++] = ALU_IMM (BPF_MOV, BPF_REG_0, 0);
      p[(*len)++] = EXIT;
    }
  return p;
}

static int
load_program (const struct bpf_insn *insns, size_t len, struct urun_error *err)
{
  static char log[65536];
  union bpf_attr attr;
  int fd;

  memset (&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t) (uintptr_t) insns;
  attr.insn_cnt = (uint32_t) len;
  attr.license = (uint64_t) (uintptr_t) "GPL";
  fd = (int) syscall (SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
  if (fd >= 0)
    return fd;
  if (errno == EINVAL || errno == EACCES)
    {
      /* Again with the verifier's log, for --debug. */
      int saved = errno;
      attr.log_level = 1;
      attr.log_buf = (uint64_t) (uintptr_t) log;
      attr.log_size = sizeof log;
      if (syscall (SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr) < 0)
        urun_debug ("device filter rejected by the BPF verifier:\n%s", log);
      errno = saved;
    }
  return urun_set_error (err, errno, "load the device filter (a BPF program of %zu instructions)", len);
}

/* cgroup v2 has no devices files: a BPF_PROG_TYPE_CGROUP_DEVICE program
 * decides (Linux 4.15+). BPF_F_ALLOW_MULTI keeps the programs of the
 * ancestors running too; the attachment lives as long as the cgroup. */
int
cg_v2_devices (const char *dir, const struct urun_linux *l,
               struct urun_error *err)
{
  cleanup_free struct cg_device_rule *rules = NULL;
  cleanup_free struct bpf_insn *insns = NULL;
  cleanup_close int prog = -1, dir_fd = -1;
  union bpf_attr attr;
  size_t n = 0, len = 0;

  rules = cg_device_rules (l, &n);
  insns = build_program (rules, n, &len);
  prog = load_program (insns, len, err);
  if (prog < 0)
    return -1;
  dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0)
    return urun_set_error (err, errno, "open cgroup `%s`", dir);
  memset (&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t) dir_fd;
  attr.attach_bpf_fd = (uint32_t) prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (syscall (SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof attr) < 0)
    return urun_set_error (err, errno, "attach the device filter to cgroup `%s`", dir);
  return 0;
}
