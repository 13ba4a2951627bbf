/* spec-resources.c: linux.resources of config.json — the cgroup limits
 * (devices, memory, cpu, pids, blockIO, hugepages, network, unified). */
#define _GNU_SOURCE
#include "spec-parse.h"

#include <stdlib.h>
#include <string.h>

static const char *const rule_types[] = { "a", "b", "c" };

#define ANY_OR_NUMBER "-1 (any) or a non-negative 64-bit integer"

static int
get_opt_bool (struct spec_ctx *c, yajl_val v, const char *key, bool *has,
              bool *out)
{
  if (spec_field (v, key) == NULL)
    return 0;
  *has = true;
  return spec_get_bool (c, v, key, out);
}

static int
parse_device_rule (struct spec_ctx *c, yajl_val v, void *item)
{
  static const char *const keys[] = { "allow", NULL };
  struct urun_device_rule *r = item;

  int t = -1;

  if (spec_require (c, v, keys) < 0
      || spec_get_bool (c, v, "allow", &r->allow) < 0
      || spec_get_enum (c, v, "type", "device type", rule_types,
                        SPEC_N_ELEMENTS (rule_types), &t)
             < 0
      || spec_get_opt_i64 (c, v, "major", -1, ANY_OR_NUMBER, &r->major) < 0
      || spec_get_opt_i64 (c, v, "minor", -1, ANY_OR_NUMBER, &r->minor) < 0
      || spec_get_string (c, v, "access", &r->access) < 0)
    return -1;
  r->type = t < 0 ? 0 : rule_types[t][0];
  if (r->access != NULL && r->access[strspn (r->access, "rwm")] != '\0')
    return SPEC_AT_KEY (c, "access",
                        spec_fail (c, "expected a combination of r, w and m"));
  return 0;
}

static int
parse_memory (struct spec_ctx *c, yajl_val v, void *item)
{
  struct urun_resources *r = item;

  if (spec_object (c, v) < 0
      || spec_get_opt_i64 (c, v, "limit", -1, SPEC_I64_UNLIMITED,
                           &r->memory.limit)
             < 0
      || spec_get_opt_i64 (c, v, "reservation", -1, SPEC_I64_UNLIMITED,
                           &r->memory.reservation)
             < 0
      || spec_get_opt_i64 (c, v, "swap", -1, SPEC_I64_UNLIMITED,
                           &r->memory.swap)
             < 0
      || spec_get_opt_i64 (c, v, "kernel", -1, SPEC_I64_UNLIMITED,
                           &r->memory.kernel)
             < 0
      || spec_get_opt_i64 (c, v, "kernelTCP", -1, SPEC_I64_UNLIMITED,
                           &r->memory.kernel_tcp)
             < 0
      || spec_get_opt_u64 (c, v, "swappiness", 100, "an integer from 0 to 100",
                           &r->memory.swappiness)
             < 0)
    return -1;
  if (get_opt_bool (c, v, "disableOOMKiller",
                    &r->memory.has_disable_oom_killer,
                    &r->memory.disable_oom_killer)
          < 0
      || get_opt_bool (c, v, "useHierarchy", &r->memory.has_use_hierarchy,
                       &r->memory.use_hierarchy)
             < 0
      || get_opt_bool (c, v, "checkBeforeUpdate",
                       &r->memory.has_check_before_update,
                       &r->memory.check_before_update)
             < 0)
    return -1;
  return 0;
}

static int
parse_cpu (struct spec_ctx *c, yajl_val v, void *item)
{
  struct urun_resources *r = item;

  if (spec_object (c, v) < 0
      || spec_get_opt_u64 (c, v, "shares", UINT64_MAX, SPEC_U64,
                           &r->cpu.shares)
             < 0
      || spec_get_opt_i64 (c, v, "quota", -1, SPEC_I64_UNLIMITED,
                           &r->cpu.quota)
             < 0
      || spec_get_opt_i64 (c, v, "burst", 0, "a non-negative 64-bit integer",
                           &r->cpu.burst)
             < 0
      || spec_get_opt_u64 (c, v, "period", UINT64_MAX, SPEC_U64,
                           &r->cpu.period)
             < 0
      || spec_get_opt_i64 (c, v, "realtimeRuntime", INT64_MIN, SPEC_I64,
                           &r->cpu.realtime_runtime)
             < 0
      || spec_get_opt_u64 (c, v, "realtimePeriod", UINT64_MAX, SPEC_U64,
                           &r->cpu.realtime_period)
             < 0
      || spec_get_string (c, v, "cpus", &r->cpu.cpus) < 0
      || spec_get_string (c, v, "mems", &r->cpu.mems) < 0
      || spec_get_opt_i64 (c, v, "idle", INT64_MIN, SPEC_I64, &r->cpu.idle)
             < 0)
    return -1;
  return 0;
}

static int
parse_pids (struct spec_ctx *c, yajl_val v, void *item)
{
  struct urun_resources *r = item;

  if (spec_object (c, v) < 0)
    return -1;
  return spec_get_opt_i64 (c, v, "limit", -1, SPEC_I64_UNLIMITED,
                           &r->pids_limit);
}

static int
get_major_minor (struct spec_ctx *c, yajl_val v, int64_t *major,
                 int64_t *minor)
{
  if (spec_get_int (c, v, "major", INT64_MIN, INT64_MAX, SPEC_I64, major) < 0
      || spec_get_int (c, v, "minor", INT64_MIN, INT64_MAX, SPEC_I64, minor)
             < 0)
    return -1;
  return 0;
}

static int
parse_weight_device (struct spec_ctx *c, yajl_val v, void *item)
{
  static const char *const keys[] = { "major", "minor", NULL };
  struct urun_weight_device *d = item;

  if (spec_require (c, v, keys) < 0
      || get_major_minor (c, v, &d->major, &d->minor) < 0
      || spec_get_opt_u64 (c, v, "weight", UINT16_MAX, SPEC_U16, &d->weight)
             < 0
      || spec_get_opt_u64 (c, v, "leafWeight", UINT16_MAX, SPEC_U16,
                           &d->leaf_weight)
             < 0)
    return -1;
  return 0;
}

static int
parse_throttle_device (struct spec_ctx *c, yajl_val v, void *item)
{
  static const char *const keys[] = { "major", "minor", "rate", NULL };
  struct urun_throttle_device *d = item;

  if (spec_require (c, v, keys) < 0
      || get_major_minor (c, v, &d->major, &d->minor) < 0
      || spec_get_uint (c, v, "rate", UINT64_MAX, SPEC_U64, &d->rate) < 0)
    return -1;
  return 0;
}

static int
parse_block_io (struct spec_ctx *c, yajl_val v, void *item)
{
  struct urun_resources *r = item;

  typeof (r->block_io) *b = &r->block_io;

  if (spec_object (c, v) < 0
      || spec_get_opt_u64 (c, v, "weight", UINT16_MAX, SPEC_U16, &b->weight)
             < 0
      || spec_get_opt_u64 (c, v, "leafWeight", UINT16_MAX, SPEC_U16,
                           &b->leaf_weight)
             < 0
      || SPEC_GET_ITEMS (c, v, "weightDevice", b->weight_devices,
                         b->n_weight_devices, parse_weight_device)
             < 0
      || SPEC_GET_ITEMS (c, v, "throttleReadBpsDevice", b->throttle_read_bps,
                         b->n_throttle_read_bps, parse_throttle_device)
             < 0
      || SPEC_GET_ITEMS (c, v, "throttleWriteBpsDevice", b->throttle_write_bps,
                         b->n_throttle_write_bps, parse_throttle_device)
             < 0
      || SPEC_GET_ITEMS (c, v, "throttleReadIOPSDevice", b->throttle_read_iops,
                         b->n_throttle_read_iops, parse_throttle_device)
             < 0
      || SPEC_GET_ITEMS (c, v, "throttleWriteIOPSDevice",
                         b->throttle_write_iops, b->n_throttle_write_iops,
                         parse_throttle_device)
             < 0)
    return -1;
  return 0;
}

static int
parse_hugepage_limit (struct spec_ctx *c, yajl_val v, void *item)
{
  static const char *const keys[] = { "pageSize", "limit", NULL };
  struct urun_hugepage_limit *h = item;

  if (spec_require (c, v, keys) < 0
      || spec_get_string (c, v, "pageSize", &h->page_size) < 0
      || spec_get_uint (c, v, "limit", UINT64_MAX, SPEC_U64, &h->limit) < 0)
    return -1;
  return 0;
}

static int
parse_net_priority (struct spec_ctx *c, yajl_val v, void *item)
{
  static const char *const keys[] = { "name", "priority", NULL };
  struct urun_net_priority *p = item;

  if (spec_require (c, v, keys) < 0
      || spec_get_string (c, v, "name", &p->name) < 0
      || spec_get_u32 (c, v, "priority", &p->priority, NULL) < 0)
    return -1;
  return 0;
}

static int
parse_network (struct spec_ctx *c, yajl_val v, void *item)
{
  struct urun_resources *r = item;

  if (spec_object (c, v) < 0
      || spec_get_opt_u64 (c, v, "classID", UINT32_MAX, SPEC_U32,
                           &r->network.class_id)
             < 0
      || SPEC_GET_ITEMS (c, v, "priorities", r->network.priorities,
                         r->network.n_priorities, parse_net_priority)
             < 0)
    return -1;
  return 0;
}

/* "rdma" is not read: urun has no rdma controller support. */
int
spec_parse_resources (struct spec_ctx *c, yajl_val v, struct urun_resources *r)
{
  if (spec_object (c, v) < 0
      || SPEC_GET_ITEMS (c, v, "devices", r->devices, r->n_devices,
                         parse_device_rule)
             < 0
      || spec_get_member (c, v, "memory", NULL, parse_memory, r) < 0
      || spec_get_member (c, v, "cpu", NULL, parse_cpu, r) < 0
      || spec_get_member (c, v, "pids", NULL, parse_pids, r) < 0
      || spec_get_member (c, v, "blockIO", NULL, parse_block_io, r) < 0
      || SPEC_GET_ITEMS (c, v, "hugepageLimits", r->hugepage_limits,
                         r->n_hugepage_limits, parse_hugepage_limit)
             < 0
      || spec_get_member (c, v, "network", NULL, parse_network, r) < 0
      || spec_get_kv (c, v, "unified", &r->unified, &r->n_unified) < 0)
    return -1;
  return 0;
}

void
spec_free_resources (struct urun_resources *r)
{
  for (size_t i = 0; r->devices && i < r->n_devices; i++)
    free (r->devices[i].access);
  free (r->devices);
  free (r->cpu.cpus);
  free (r->cpu.mems);
  free (r->block_io.weight_devices);
  free (r->block_io.throttle_read_bps);
  free (r->block_io.throttle_write_bps);
  free (r->block_io.throttle_read_iops);
  free (r->block_io.throttle_write_iops);
  for (size_t i = 0; r->hugepage_limits && i < r->n_hugepage_limits; i++)
    free (r->hugepage_limits[i].page_size);
  free (r->hugepage_limits);
  for (size_t i = 0; r->network.priorities && i < r->network.n_priorities; i++)
    free (r->network.priorities[i].name);
  free (r->network.priorities);
  spec_free_kv (r->unified, r->n_unified);
}
