/* cgroups-resources.c: linux.resources in the container's cgroup — which
 * hierarchy takes each group of limits, the cgroup v2 files, and the
 * checks the spec parser leaves to us. The v1 files are cgroups-v1.c's. */
#define _GNU_SOURCE
#include "cgroups-systemd.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "utils.h"

#define SPEC_UNLIMITED "-1 (unlimited) or a non-negative 64-bit integer"

int
cg_write (const char *dir, const char *file, const char *value,
          struct urun_error *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);

  if (fd < 0)
    return urun_set_error (err, errno, "open `%s`", path);
  /* One write: cgroup files parse each write(2) on its own. */
  if (write (fd, value, strlen (value)) < 0)
    return urun_set_error (err, errno, "write `%s` to `%s`", value, path);
  return 0;
}

int
cg_writef (const char *dir, const char *file, struct urun_error *err,
           const char *fmt, ...)
{
  cleanup_free char *value = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&value, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return cg_write (dir, file, value, err);
}

int
cg_read (const char *dir, const char *file, char **out, struct urun_error *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  size_t len = 0;

  if (urun_read_file_at (AT_FDCWD, path, out, &len, err) < 0)
    return -1;
  while (len > 0 && (*out)[len - 1] == '\n')
    (*out)[--len] = '\0';
  return 0;
}

static bool
memory_asked (const struct urun_resources *r)
{
  return r->memory.limit.set || r->memory.reservation.set || r->memory.swap.set
         || r->memory.kernel.set || r->memory.kernel_tcp.set
         || r->memory.swappiness.set || r->memory.has_disable_oom_killer;
}

static bool
cpu_asked (const struct urun_resources *r)
{
  return r->cpu.shares.set || r->cpu.quota.set || r->cpu.period.set
         || r->cpu.burst.set || r->cpu.realtime_runtime.set
         || r->cpu.realtime_period.set || r->cpu.idle.set;
}

static bool
cpuset_asked (const struct urun_resources *r)
{
  return r->cpu.cpus || r->cpu.mems;
}

static bool
pids_asked (const struct urun_resources *r)
{
  return r->pids_limit.set;
}

static bool
io_asked (const struct urun_resources *r)
{
  const typeof (r->block_io) *b = &r->block_io;

  return b->weight.set || b->leaf_weight.set || b->n_weight_devices
         || b->n_throttle_read_bps || b->n_throttle_write_bps
         || b->n_throttle_read_iops || b->n_throttle_write_iops;
}

static bool
hugetlb_asked (const struct urun_resources *r)
{
  return r->n_hugepage_limits > 0;
}

bool
cg_resources_requested (const struct urun_resources *r)
{
  return memory_asked (r) || cpu_asked (r) || cpuset_asked (r) || pids_asked (r)
         || io_asked (r) || hugetlb_asked (r) || r->n_unified > 0
         || r->network.class_id.set || r->network.n_priorities > 0;
}

/* -1 (or any negative) is "max" in cgroup v2 files. */
static int
write_limit (const char *dir, const char *file, int64_t v,
             struct urun_error *err)
{
  if (v < 0)
    return cg_write (dir, file, "max", err);
  return cg_writef (dir, file, err, "%" PRId64, v);
}

/* memory.max of DIR as a number, -1 for "max". */
static int64_t
current_limit (const char *dir, const char *file)
{
  struct urun_error ignored = URUN_ERROR_INIT;
  cleanup_free char *v = NULL;
  uint64_t n;

  if (cg_read (dir, file, &v, &ignored) < 0)
    urun_clear_error (&ignored);
  return v && urun_parse_u64 (v, &n) ? (int64_t) n : -1;
}

/* OCI's swap is memory+swap (the v1 memsw file); v2's memory.swap.max is
 * swap alone. The same conversion as runc. */
static int
v2_swap (const char *dir, const struct urun_resources *r, struct urun_error *err)
{
  int64_t swap = r->memory.swap.value;
  int64_t limit = r->memory.limit.set ? r->memory.limit.value : current_limit (dir, "memory.max");

  if (swap < 0)
    return cg_write (dir, "memory.swap.max", "max", err);
  if (limit < 0)
    return urun_set_error (err, 0, "memory.swap: a swap limit needs a memory limit");
  if (swap < limit)
    return urun_set_error (err, 0, "memory.swap: memory+swap (%" PRId64 ") is below the memory limit (%" PRId64 ")",
                           swap, limit);
  return cg_writef (dir, "memory.swap.max", err, "%" PRId64, swap - limit);
}

static int
v2_memory (const char *dir, const struct urun_resources *r,
           struct urun_error *err)
{
  if (r->memory.limit.set && write_limit (dir, "memory.max", r->memory.limit.value, err) < 0)
    return -1;
  if (r->memory.swap.set && v2_swap (dir, r, err) < 0)
    return -1;
  if (r->memory.reservation.set
      && write_limit (dir, "memory.low", r->memory.reservation.value, err) < 0)
    return -1;
  if (r->memory.kernel.set || r->memory.kernel_tcp.set)
    urun_warn ("linux.resources.memory: kernel and kernelTCP have no cgroup v2 counterpart, ignored");
  if (r->memory.swappiness.set || r->memory.has_disable_oom_killer)
    urun_warn ("linux.resources.memory: swappiness and disableOOMKiller have no cgroup v2 counterpart, ignored");
  return 0;
}

/* cpu.max is "QUOTA PERIOD"; a part not given keeps its current value. */
static int
v2_cpu_max (const char *dir, const struct urun_resources *r,
            struct urun_error *err)
{
  struct urun_error ignored = URUN_ERROR_INIT;
  cleanup_free char *cur = NULL;
  char quota[32] = "max";
  unsigned long long period = 100000;

  if (cg_read (dir, "cpu.max", &cur, &ignored) == 0)
    sscanf (cur, "%31s %llu", quota, &period);
  urun_clear_error (&ignored);
  if (r->cpu.quota.set && r->cpu.quota.value > 0)
    snprintf (quota, sizeof quota, "%" PRId64, r->cpu.quota.value);
  else if (r->cpu.quota.set)
    strcpy (quota, "max");
  if (r->cpu.period.set)
    period = r->cpu.period.value;
  return cg_writef (dir, "cpu.max", err, "%s %llu", quota, period);
}

static int
v2_cpu (const char *dir, const struct urun_resources *r, struct urun_error *err)
{
  if (r->cpu.realtime_runtime.set || r->cpu.realtime_period.set)
    return urun_set_error (err, 0, "cpu: realtimeRuntime and realtimePeriod need cgroup v1");
  /* shares 2..262144 onto weight 1..10000, as runc and crun. */
  if (r->cpu.shares.set && r->cpu.shares.value > 0)
    {
      uint64_t shares = r->cpu.shares.value < 2 ? 2 : r->cpu.shares.value > 262144 ? 262144 : r->cpu.shares.value;
      if (cg_writef (dir, "cpu.weight", err, "%" PRIu64, 1 + ((shares - 2) * 9999) / 262142) < 0)
        return -1;
    }
  if ((r->cpu.quota.set || r->cpu.period.set) && v2_cpu_max (dir, r, err) < 0)
    return -1;
  if (r->cpu.burst.set && cg_writef (dir, "cpu.max.burst", err, "%" PRId64, r->cpu.burst.value) < 0)
    return -1;
  if (r->cpu.idle.set && cg_writef (dir, "cpu.idle", err, "%" PRId64, r->cpu.idle.value) < 0)
    return -1;
  return 0;
}

/* Same files in v1 and v2. */
static int
cpuset (const char *dir, const struct urun_resources *r, struct urun_error *err)
{
  if (r->cpu.cpus && cg_write (dir, "cpuset.cpus", r->cpu.cpus, err) < 0)
    return -1;
  if (r->cpu.mems && cg_write (dir, "cpuset.mems", r->cpu.mems, err) < 0)
    return -1;
  return 0;
}

/* Same file in v1 and v2; 0 leaves it alone (runc). */
static int
pids (const char *dir, const struct urun_resources *r, struct urun_error *err)
{
  if (r->pids_limit.value == 0)
    return 0;
  return write_limit (dir, "pids.max", r->pids_limit.value, err);
}

/* blkio weight 10..1000 onto io.weight 1..10000; io.bfq.weight takes the
 * old range as is (Linux 5.4+ bfq), so it is tried first, as runc does. */
static int
v2_io_weight (const char *dir, const char *device, uint64_t weight,
              struct urun_error *err)
{
  cleanup_free char *bfq = xasprintf ("%s/io.bfq.weight", dir);

  if (access (bfq, F_OK) == 0)
    return cg_writef (dir, "io.bfq.weight", err, "%s%" PRIu64, device, weight);
  weight = weight < 10 ? 10 : weight;
  return cg_writef (dir, "io.weight", err, "%s%" PRIu64, device,
                    1 + (weight - 10) * 9999 / 990);
}

static int
v2_io_max (const char *dir, const struct urun_throttle_device *d, size_t n,
           const char *key, struct urun_error *err)
{
  for (size_t i = 0; i < n; i++)
    if (cg_writef (dir, "io.max", err, "%" PRId64 ":%" PRId64 " %s=%" PRIu64,
                   d[i].major, d[i].minor, key, d[i].rate)
        < 0)
      return -1;
  return 0;
}

static int
v2_io (const char *dir, const struct urun_resources *r, struct urun_error *err)
{
  const typeof (r->block_io) *b = &r->block_io;

  if (b->weight.set && v2_io_weight (dir, "", b->weight.value, err) < 0)
    return -1;
  for (size_t i = 0; i < b->n_weight_devices; i++)
    {
      char dev[64];
      snprintf (dev, sizeof dev, "%" PRId64 ":%" PRId64 " ", b->weight_devices[i].major,
                b->weight_devices[i].minor);
      if (b->weight_devices[i].weight.set
          && v2_io_weight (dir, dev, b->weight_devices[i].weight.value, err) < 0)
        return -1;
    }
  if (v2_io_max (dir, b->throttle_read_bps, b->n_throttle_read_bps, "rbps", err) < 0
      || v2_io_max (dir, b->throttle_write_bps, b->n_throttle_write_bps, "wbps", err) < 0
      || v2_io_max (dir, b->throttle_read_iops, b->n_throttle_read_iops, "riops", err) < 0
      || v2_io_max (dir, b->throttle_write_iops, b->n_throttle_write_iops, "wiops", err) < 0)
    return -1;
  return 0;
}

static int
v2_hugetlb (const char *dir, const struct urun_resources *r,
            struct urun_error *err)
{
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    {
      cleanup_free char *file = xasprintf ("hugetlb.%s.max", r->hugepage_limits[i].page_size);
      if (cg_writef (dir, file, err, "%" PRIu64, r->hugepage_limits[i].limit) < 0)
        return -1;
    }
  return 0;
}

/* A group of limits: its v1 controller and its cgroup v2 one. */
struct group
{
  const char *json; /* under linux.resources, for messages */
  const char *v1;
  const char *v2;
  bool (*asked) (const struct urun_resources *r);
  int (*apply_v1) (const char *dir, const struct urun_resources *r, struct urun_error *err);
  int (*apply_v2) (const char *dir, const struct urun_resources *r, struct urun_error *err);
};

static const struct group groups[] = {
  { "memory", "memory", "memory", memory_asked, cg_v1_memory, v2_memory },
  { "cpu", "cpu", "cpu", cpu_asked, cg_v1_cpu, v2_cpu },
  { "cpu", "cpuset", "cpuset", cpuset_asked, cpuset, cpuset },
  { "pids", "pids", "pids", pids_asked, pids, pids },
  { "blockIO", "blkio", "io", io_asked, cg_v1_blkio, v2_io },
  { "hugepageLimits", "hugetlb", "hugetlb", hugetlb_asked, cg_v1_hugetlb, v2_hugetlb },
};

/* A controller's files exist in a v2 cgroup only when its parent's
 * cgroup.subtree_control enables it. cgroup-v2.rst "Enabling and
 * Disabling" */
static int
check_enabled (const char *dir, const char *controller, struct urun_error *err)
{
  cleanup_free char *list = NULL;

  if (cg_read (dir, "cgroup.controllers", &list, err) < 0)
    return -1;
  if (!cg_list_has (list, controller))
    return urun_set_error (err, 0, "the `%s` controller is not enabled in cgroup `%s` "
                                   "(its parent's cgroup.subtree_control has %s%s%s)",
                           controller, dir, *list ? "only `" : "none", list, *list ? "`" : "");
  return 0;
}

/* The v1 controller when the container has one, else cgroup v2 (a hybrid
 * host has hugetlb there, say). */
static int
apply_group (const struct urun_cgroup *cg, const struct group *g,
             const struct urun_resources *r, struct urun_error *err)
{
  const char *dir = cg->mode == URUN_CGROUP_V1 ? cg_dir_of (cg, g->v1) : NULL;

  if (dir != NULL)
    return g->apply_v1 (dir, r, err);
  dir = cg_dir_of (cg, CG_UNIFIED);
  if (dir == NULL)
    return urun_set_error (err, 0, "no `%s` controller on this host", g->v1);
  if (check_enabled (dir, g->v2, err) < 0)
    return -1;
  return g->apply_v2 (dir, r, err);
}

static int
apply_unified (const struct urun_cgroup *cg, const struct urun_resources *r,
               struct urun_error *err)
{
  const char *dir = cg_dir_of (cg, CG_UNIFIED);

  if (r->n_unified == 0)
    return 0;
  if (dir == NULL)
    return urun_set_error (err, 0, "linux.resources.unified: the container has no cgroup v2");
  for (size_t i = 0; i < r->n_unified; i++)
    if (cg_write (dir, r->unified[i].key, r->unified[i].value, err) < 0)
      return urun_wrap_error (err, "linux.resources.unified");
  return 0;
}

static int
apply_devices (const struct urun_cgroup *cg, const struct urun_linux *l,
               struct urun_error *err)
{
  const char *v1 = cg_dir_of (cg, "devices"), *v2 = cg_dir_of (cg, CG_UNIFIED);

  if (l == NULL || l->resources.n_devices == 0)
    return 0;
  if (v1 != NULL)
    return cg_v1_devices (v1, l, err);
  if (v2 != NULL)
    return cg_v2_devices (v2, l, err);
  return 0;
}

/* Enable CONTROLLER in ANCESTOR's cgroup.subtree_control when it has it
 * and lets us. A cgroup with processes of its own refuses (EBUSY, "no
 * internal processes", cgroup-v2.rst), as does one not delegated to us;
 * the limits then fail with a message naming the controller. */
static void
enable_in (const char *ancestor, const char *controller)
{
  struct urun_error err = URUN_ERROR_INIT;
  cleanup_free char *available = NULL, *enabled = NULL, *msg = NULL;

  if (cg_read (ancestor, "cgroup.controllers", &available, &err) == 0
      && cg_list_has (available, controller)
      && cg_read (ancestor, "cgroup.subtree_control", &enabled, &err) == 0
      && !cg_list_has (enabled, controller)
      && cg_writef (ancestor, "cgroup.subtree_control", &err, "+%s", controller) == 0)
    urun_debug ("cgroup: enabled `%s` in `%s`", controller, ancestor);
  if (err.msg && (msg = urun_format_error (&err)) != NULL)
    urun_debug ("cgroup: cannot enable `%s` in `%s`: %s", controller, ancestor, msg);
  urun_clear_error (&err);
}

/* Every ancestor of DIR inside its cgroup2 mount, from the top. */
static void
enable_controllers (const char *dir, const struct urun_resources *r)
{
  cleanup_free char *path = xstrdup (dir);
  bool inside = false;

  for (char *p = path + 1; (p = strchr (p, '/')) != NULL; p++)
    {
      struct statfs fs;
      *p = '\0';
      inside = inside || (statfs (path, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC);
      for (size_t i = 0; inside && i < sizeof groups / sizeof groups[0]; i++)
        if (groups[i].asked (r))
          enable_in (path, groups[i].v2);
      for (size_t i = 0; inside && i < r->n_unified; i++)
        {
          cleanup_free char *c = strndup (r->unified[i].key, strcspn (r->unified[i].key, "."));
          if (strcmp (c, "cgroup") != 0)
            enable_in (path, c);
        }
      *p = '/';
    }
}

int
cg_apply_resources (const struct urun_cgroup *cg,
                    const struct urun_resources *r,
                    const struct urun_linux *devices, struct urun_error *err)
{
  if (cg_dir_of (cg, CG_UNIFIED) != NULL)
    enable_controllers (cg_dir_of (cg, CG_UNIFIED), r);
  for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
    if (groups[i].asked (r) && apply_group (cg, &groups[i], r, err) < 0)
      return urun_wrap_error (err, "linux.resources.%s", groups[i].json);
  if ((r->network.class_id.set || r->network.n_priorities) && cg_v1_network (cg, r, err) < 0)
    return urun_wrap_error (err, "linux.resources.network");
  if (apply_unified (cg, r, err) < 0)
    return -1;
  if (apply_devices (cg, devices, err) < 0)
    return urun_wrap_error (err, "linux.resources.devices");
  return 0;
}

int
urun_cgroup_update (const struct urun_cgroup *cg,
                    const struct urun_resources *r, struct urun_error *err)
{
  if (cg->mode == URUN_CGROUP_NONE)
    return urun_set_error (err, 0, "the container runs without a cgroup: %s",
                           cg->none_reason ? cg->none_reason : "none was created");
  if (cg_check_resources (r, "linux.resources", err) < 0)
    return -1;
  if (cg->systemd.unit != NULL)
    return cg_systemd_update (cg, r, err);
  return cg_apply_resources (cg, r, NULL, err);
}

static int
check_devices_numbers (const char *where, const char *key, size_t i,
                       int64_t major, int64_t minor, struct urun_error *err)
{
  if (major < 0 || minor < 0)
    return urun_set_error (err, 0, "%s.blockIO.%s[%zu]: major and minor must not be negative",
                           where, key, i);
  return 0;
}

static int
check_block_io (const typeof (((struct urun_resources *) 0)->block_io) *b,
                const char *where, struct urun_error *err)
{
  static const char *const keys[] = { "throttleReadBpsDevice", "throttleWriteBpsDevice",
                                      "throttleReadIOPSDevice", "throttleWriteIOPSDevice" };
  const struct urun_throttle_device *lists[] = { b->throttle_read_bps, b->throttle_write_bps,
                                                 b->throttle_read_iops, b->throttle_write_iops };
  size_t counts[] = { b->n_throttle_read_bps, b->n_throttle_write_bps,
                      b->n_throttle_read_iops, b->n_throttle_write_iops };

  for (size_t i = 0; i < b->n_weight_devices; i++)
    if (check_devices_numbers (where, "weightDevice", i, b->weight_devices[i].major,
                               b->weight_devices[i].minor, err) < 0)
      return -1;
  for (size_t k = 0; k < 4; k++)
    for (size_t i = 0; i < counts[k]; i++)
      if (check_devices_numbers (where, keys[k], i, lists[k][i].major, lists[k][i].minor, err) < 0)
        return -1;
  return 0;
}

/* "2MB", "1GB": the name part of hugetlb.<size>.max. */
static bool
is_page_size (const char *s)
{
  size_t digits = strspn (s, "0123456789");

  return digits > 0 && strchr ("KMGT", s[digits]) && s[digits] != '\0'
         && strcmp (s + digits + 1, "B") == 0;
}

int
cg_check_resources (const struct urun_resources *r, const char *where,
                    struct urun_error *err)
{
  if (r->cpu.realtime_runtime.set && r->cpu.realtime_runtime.value < -1)
    return urun_set_error (err, 0, "%s.cpu.realtimeRuntime: expected %s", where, SPEC_UNLIMITED);
  if (r->cpu.idle.set && r->cpu.idle.value != 0 && r->cpu.idle.value != 1)
    return urun_set_error (err, 0, "%s.cpu.idle: expected 0 or 1", where);
  if (r->memory.swap.set && r->memory.limit.set && r->memory.swap.value >= 0
      && r->memory.limit.value >= 0 && r->memory.swap.value < r->memory.limit.value)
    return urun_set_error (err, 0, "%s.memory.swap: memory+swap must be at least memory.limit", where);
  if (check_block_io (&r->block_io, where, err) < 0)
    return -1;
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    if (!is_page_size (r->hugepage_limits[i].page_size))
      return urun_set_error (err, 0, "%s.hugepageLimits[%zu].pageSize: expected a size like `2MB`, not `%s`",
                             where, i, r->hugepage_limits[i].page_size);
  for (size_t i = 0; i < r->n_unified; i++)
    {
      const char *k = r->unified[i].key;
      if (*k == '\0' || *k == '.' || strchr (k, '/') != NULL)
        return urun_set_error (err, 0, "%s.unified: `%s` is not a cgroup file name", where, k);
    }
  return 0;
}
