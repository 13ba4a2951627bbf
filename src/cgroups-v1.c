/* cgroups-v1.c: the files of the cgroup v1 controllers (root on a v1 or
 * hybrid host) — memory, cpu, cpuset set-up, blkio, hugetlb, net_cls and
 * net_prio, and the freezer. Documentation/admin-guide/cgroup-v1/ */
#define _GNU_SOURCE
#include "cgroups-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "utils.h"

static int
write_i64 (const char *dir, const char *file, int64_t v, struct urun_error *err)
{
  return cg_writef (dir, file, err, "%" PRId64, v < 0 ? (int64_t) -1 : v);
}

static bool
has_file (const char *dir, const char *file)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);

  return access (path, F_OK) == 0;
}

/* memory.memsw.limit_in_bytes (memory+swap, OCI's swap) may never be below
 * memory.limit_in_bytes: EINVAL. Raising both needs memsw first, lowering
 * both the limit first. memory.rst "Memory+Swap" */
static int
memory_and_swap (const char *dir, const struct urun_resources *r,
                 struct urun_error *err)
{
  const char *memsw = "memory.memsw.limit_in_bytes";
  const char *limit = "memory.limit_in_bytes";

  if (r->memory.swap.set && !has_file (dir, memsw))
    {
      urun_warn ("linux.resources.memory.swap: no swap accounting on this host (swapaccount=0), ignored");
      return r->memory.limit.set ? write_i64 (dir, limit, r->memory.limit.value, err) : 0;
    }
  if (!r->memory.swap.set)
    return write_i64 (dir, limit, r->memory.limit.value, err);
  if (!r->memory.limit.set)
    return write_i64 (dir, memsw, r->memory.swap.value, err);
  if (write_i64 (dir, memsw, r->memory.swap.value, err) == 0)
    return write_i64 (dir, limit, r->memory.limit.value, err);
  if (err->errnum != EINVAL)
    return -1;
  urun_clear_error (err);
  if (write_i64 (dir, limit, r->memory.limit.value, err) < 0)
    return -1;
  return write_i64 (dir, memsw, r->memory.swap.value, err);
}

int
cg_v1_memory (const char *dir, const struct urun_resources *r,
              struct urun_error *err)
{
  if ((r->memory.limit.set || r->memory.swap.set) && memory_and_swap (dir, r, err) < 0)
    return -1;
  if (r->memory.reservation.set
      && write_i64 (dir, "memory.soft_limit_in_bytes", r->memory.reservation.value, err) < 0)
    return -1;
  /* kmem limits are deprecated since Linux 5.4 and refused since 6.1. */
  if (r->memory.kernel.set)
    urun_warn ("linux.resources.memory.kernel: kernel memory limits are not supported, ignored");
  if (r->memory.kernel_tcp.set
      && write_i64 (dir, "memory.kmem.tcp.limit_in_bytes", r->memory.kernel_tcp.value, err) < 0)
    return -1;
  if (r->memory.swappiness.set
      && cg_writef (dir, "memory.swappiness", err, "%" PRIu64, r->memory.swappiness.value) < 0)
    return -1;
  if (r->memory.has_disable_oom_killer
      && cg_write (dir, "memory.oom_control", r->memory.disable_oom_killer ? "1" : "0", err) < 0)
    return -1;
  return 0;
}

int
cg_v1_cpu (const char *dir, const struct urun_resources *r,
           struct urun_error *err)
{
  if (r->cpu.shares.set && r->cpu.shares.value > 0
      && cg_writef (dir, "cpu.shares", err, "%" PRIu64, r->cpu.shares.value) < 0)
    return -1;
  if (r->cpu.period.set && r->cpu.period.value > 0
      && cg_writef (dir, "cpu.cfs_period_us", err, "%" PRIu64, r->cpu.period.value) < 0)
    return -1;
  if (r->cpu.quota.set && write_i64 (dir, "cpu.cfs_quota_us", r->cpu.quota.value, err) < 0)
    return -1;
  if (r->cpu.burst.set && write_i64 (dir, "cpu.cfs_burst_us", r->cpu.burst.value, err) < 0)
    return -1;
  /* The period first: the runtime must fit in it. sched-rt-group.rst */
  if (r->cpu.realtime_period.set
      && cg_writef (dir, "cpu.rt_period_us", err, "%" PRIu64, r->cpu.realtime_period.value) < 0)
    return -1;
  if (r->cpu.realtime_runtime.set
      && write_i64 (dir, "cpu.rt_runtime_us", r->cpu.realtime_runtime.value, err) < 0)
    return -1;
  if (r->cpu.idle.set && write_i64 (dir, "cpu.idle", r->cpu.idle.value, err) < 0)
    return -1;
  return 0;
}

static int
write_throttle (const char *dir, const char *file,
                const struct urun_throttle_device *d, size_t n,
                struct urun_error *err)
{
  for (size_t i = 0; i < n; i++)
    if (cg_writef (dir, file, err, "%" PRId64 ":%" PRId64 " %" PRIu64, d[i].major,
                   d[i].minor, d[i].rate)
        < 0)
      return -1;
  return 0;
}

/* blkio.weight exists with CFQ only; BFQ (Linux 5.0+) has blkio.bfq.weight. */
int
cg_v1_blkio (const char *dir, const struct urun_resources *r,
             struct urun_error *err)
{
  const typeof (r->block_io) *b = &r->block_io;
  bool bfq = !has_file (dir, "blkio.weight") && has_file (dir, "blkio.bfq.weight");

  if (b->weight.set
      && cg_writef (dir, bfq ? "blkio.bfq.weight" : "blkio.weight", err, "%" PRIu64, b->weight.value) < 0)
    return -1;
  if (b->leaf_weight.set
      && cg_writef (dir, "blkio.leaf_weight", err, "%" PRIu64, b->leaf_weight.value) < 0)
    return -1;
  for (size_t i = 0; i < b->n_weight_devices; i++)
    if (b->weight_devices[i].weight.set
        && cg_writef (dir, bfq ? "blkio.bfq.weight_device" : "blkio.weight_device", err,
                      "%" PRId64 ":%" PRId64 " %" PRIu64, b->weight_devices[i].major,
                      b->weight_devices[i].minor, b->weight_devices[i].weight.value)
               < 0)
      return -1;
  if (write_throttle (dir, "blkio.throttle.read_bps_device", b->throttle_read_bps, b->n_throttle_read_bps, err) < 0
      || write_throttle (dir, "blkio.throttle.write_bps_device", b->throttle_write_bps, b->n_throttle_write_bps, err) < 0
      || write_throttle (dir, "blkio.throttle.read_iops_device", b->throttle_read_iops, b->n_throttle_read_iops, err) < 0
      || write_throttle (dir, "blkio.throttle.write_iops_device", b->throttle_write_iops, b->n_throttle_write_iops, err) < 0)
    return -1;
  return 0;
}

int
cg_v1_hugetlb (const char *dir, const struct urun_resources *r,
               struct urun_error *err)
{
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    {
      cleanup_free char *file = xasprintf ("hugetlb.%s.limit_in_bytes", r->hugepage_limits[i].page_size);
      if (cg_writef (dir, file, err, "%" PRIu64, r->hugepage_limits[i].limit) < 0)
        return -1;
    }
  return 0;
}

/* net_cls and net_prio exist in v1 only; cgroup v2 leaves this to BPF. */
int
cg_v1_network (const struct urun_cgroup *cg, const struct urun_resources *r,
               struct urun_error *err)
{
  const char *cls = cg_dir_of (cg, "net_cls"), *prio = cg_dir_of (cg, "net_prio");

  if (cg->mode != URUN_CGROUP_V1)
    {
      urun_warn ("linux.resources.network: no net_cls or net_prio controller, ignored");
      return 0;
    }
  /* On v1 a missing controller is a host without it mounted: "runtimes
   * MUST generate an error when ... unsupported values are encountered"
   * (runtime-spec config.md), as for the other controllers. */
  if (r->network.class_id.set && cls == NULL)
    return urun_set_error (err, 0, "no `net_cls` controller on this host");
  if (r->network.n_priorities && prio == NULL)
    return urun_set_error (err, 0, "no `net_prio` controller on this host");
  if (r->network.class_id.set
      && cg_writef (cls, "net_cls.classid", err, "%" PRIu64, r->network.class_id.value) < 0)
    return -1;
  for (size_t i = 0; i < r->network.n_priorities; i++)
    if (cg_writef (prio, "net_prio.ifpriomap", err, "%s %u", r->network.priorities[i].name,
                   r->network.priorities[i].priority)
        < 0)
      return -1;
  return 0;
}

int
cg_v1_init_cpuset (const char *dir, struct urun_error *err)
{
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
  cleanup_free char *parent = xstrdup (dir);

  *strrchr (parent, '/') = '\0';
  for (size_t i = 0; i < 2; i++)
    {
      cleanup_free char *mine = NULL, *theirs = NULL;
      if (cg_read (dir, files[i], &mine, err) < 0)
        return -1;
      if (*mine != '\0')
        continue;
      if (cg_read (parent, files[i], &theirs, err) < 0 || cg_write (dir, files[i], theirs, err) < 0)
        return -1;
    }
  return 0;
}

/* freezer.state reads FREEZING until every task stopped; a task that
 * forked meanwhile can leave it there, so the write is repeated, as runc
 * does. freezer-subsystem.rst */
int
cg_v1_freeze (const char *dir, bool frozen, struct urun_error *err)
{
  const char *want = frozen ? "FROZEN" : "THAWED";
  struct timespec pause = { 0, 10 * 1000 * 1000 };

  for (int i = 0; i < 500; i++)
    {
      cleanup_free char *state = NULL;
      if (i % 10 == 0 && cg_write (dir, "freezer.state", want, err) < 0)
        return -1;
      if (cg_read (dir, "freezer.state", &state, err) < 0)
        return -1;
      if (strcmp (state, want) == 0)
        return 0;
      nanosleep (&pause, NULL);
    }
  return urun_set_error (err, ETIMEDOUT, "wait for `%s/freezer.state` to read %s", dir, want);
}
