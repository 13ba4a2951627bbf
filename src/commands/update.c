/* update.c: `urun update` — new cgroup limits for a running container,
 * from a linux.resources file and runc's individual flags. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../log.h"
#include "commands.h"

static const char update_help[]
    = "Usage: urun update [OPTIONS] CONTAINER-ID\n"
      "Change the cgroup limits of a running container.\n\n"
      "  -r, --resources FILE        a linux.resources JSON object (- for stdin)\n"
      "      --memory SIZE           memory limit (512m, 1g, ...; -1: none)\n"
      "      --memory-swap SIZE      memory+swap limit (-1: none)\n"
      "      --memory-reservation SIZE  soft memory limit\n"
      "      --kernel-memory SIZE    ignored (kernel memory limits are gone)\n"
      "      --cpu-shares N          relative CPU weight (cgroup v1 shares)\n"
      "      --cpu-quota US          CPU time per period (-1: none)\n"
      "      --cpu-period US         length of the CFS period\n"
      "      --cpu-rt-runtime US     realtime runtime per period (cgroup v1)\n"
      "      --cpu-rt-period US      realtime period (cgroup v1)\n"
      "      --cpuset-cpus LIST      CPUs allowed (0-3,5)\n"
      "      --cpuset-mems LIST      memory nodes allowed\n"
      "      --pids-limit N          maximum number of processes (-1: none)\n"
      "      --blkio-weight N        block IO weight, 10 to 1000\n";

enum
{
  OPT_MEMORY = 256, OPT_MEMORY_SWAP, OPT_MEMORY_RESERVATION, OPT_KERNEL_MEMORY,
  OPT_CPU_SHARES, OPT_CPU_QUOTA, OPT_CPU_PERIOD, OPT_CPU_RT_RUNTIME,
  OPT_CPU_RT_PERIOD, OPT_CPUSET_CPUS, OPT_CPUSET_MEMS, OPT_PIDS_LIMIT,
  OPT_BLKIO_WEIGHT,
};

static const struct option update_options[] = {
  { "resources", required_argument, NULL, 'r' },
  { "memory", required_argument, NULL, OPT_MEMORY },
  { "memory-swap", required_argument, NULL, OPT_MEMORY_SWAP },
  { "memory-reservation", required_argument, NULL, OPT_MEMORY_RESERVATION },
  { "kernel-memory", required_argument, NULL, OPT_KERNEL_MEMORY },
  { "cpu-shares", required_argument, NULL, OPT_CPU_SHARES },
  { "cpu-share", required_argument, NULL, OPT_CPU_SHARES }, /* runc's spelling */
  { "cpu-quota", required_argument, NULL, OPT_CPU_QUOTA },
  { "cpu-period", required_argument, NULL, OPT_CPU_PERIOD },
  { "cpu-rt-runtime", required_argument, NULL, OPT_CPU_RT_RUNTIME },
  { "cpu-rt-period", required_argument, NULL, OPT_CPU_RT_PERIOD },
  { "cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS },
  { "cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS },
  { "pids-limit", required_argument, NULL, OPT_PIDS_LIMIT },
  { "blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT },
  { NULL, 0, NULL, 0 },
};

/* An integer from MIN up, with an optional binary size suffix (k, m, g, t,
 * with or without a trailing b) when SIZE; "-1" always means unlimited. */
static bool
parse_number (const char *s, int64_t min, bool size, int64_t *out)
{
  static const char units[] = "bkmgt";
  char *end;
  long long v;

  errno = 0;
  v = strtoll (s, &end, 10);
  if (end == s || errno != 0)
    return false;
  if (size && *end != '\0' && v >= 0)
    {
      const char *u = strchr (units, *end | 0x20);
      int shift = u ? (int) (u - units) * 10 : -1;
      if (shift < 0 || (end[1] != '\0' && !((end[1] | 0x20) == 'b' && end[2] == '\0' && shift > 0))
          || v > (INT64_MAX >> shift))
        return false;
      v <<= shift;
      end = (char *) "";
    }
  if (*end != '\0' || (v < min && v != -1))
    return false;
  *out = v;
  return true;
}

static int
set_i64 (const char *opt, const char *arg, bool size, struct urun_opt_i64 *out,
         struct urun_error *err)
{
  if (!parse_number (arg, 0, size, &out->value))
    return urun_set_error (err, 0, "update: %s: expected %s or -1, not `%s`", opt,
                           size ? "a size like `512m`" : "a non-negative integer", arg);
  out->set = true;
  return 0;
}

static int
set_u64 (const char *opt, const char *arg, uint64_t max, struct urun_opt_u64 *out,
         struct urun_error *err)
{
  int64_t v;

  if (!parse_number (arg, 0, false, &v) || v < 0 || (uint64_t) v > max)
    return urun_set_error (err, 0, "update: %s: expected an integer from 0 to %" PRIu64 ", not `%s`",
                           opt, max, arg);
  out->set = true;
  out->value = (uint64_t) v;
  return 0;
}

static int
update_option (int c, struct urun_update_opts *o, struct urun_error *err)
{
  struct urun_resources *r = &o->flags;
  struct urun_opt_i64 ignored = { 0 };
  struct urun_opt_u64 weight = { 0 };

  switch (c)
    {
    case 'r': o->resources_file = optarg; return 0;
    case OPT_MEMORY: return set_i64 ("--memory", optarg, true, &r->memory.limit, err);
    case OPT_MEMORY_SWAP: return set_i64 ("--memory-swap", optarg, true, &r->memory.swap, err);
    case OPT_MEMORY_RESERVATION: return set_i64 ("--memory-reservation", optarg, true, &r->memory.reservation, err);
    case OPT_KERNEL_MEMORY:
      if (set_i64 ("--kernel-memory", optarg, true, &ignored, err) < 0)
        return -1;
      urun_warn ("update: --kernel-memory is ignored: kernel memory limits are not supported since Linux 6.1");
      return 0;
    case OPT_CPU_SHARES: return set_u64 ("--cpu-shares", optarg, UINT64_MAX >> 1, &r->cpu.shares, err);
    case OPT_CPU_QUOTA: return set_i64 ("--cpu-quota", optarg, false, &r->cpu.quota, err);
    case OPT_CPU_PERIOD: return set_u64 ("--cpu-period", optarg, UINT64_MAX >> 1, &r->cpu.period, err);
    case OPT_CPU_RT_RUNTIME: return set_i64 ("--cpu-rt-runtime", optarg, false, &r->cpu.realtime_runtime, err);
    case OPT_CPU_RT_PERIOD: return set_u64 ("--cpu-rt-period", optarg, UINT64_MAX >> 1, &r->cpu.realtime_period, err);
    case OPT_CPUSET_CPUS: r->cpu.cpus = optarg; return 0;
    case OPT_CPUSET_MEMS: r->cpu.mems = optarg; return 0;
    case OPT_PIDS_LIMIT: return set_i64 ("--pids-limit", optarg, false, &r->pids_limit, err);
    case OPT_BLKIO_WEIGHT:
      if (set_u64 ("--blkio-weight", optarg, 1000, &weight, err) < 0)
        return -1;
      if (weight.value < 10)
        return urun_set_error (err, 0, "update: --blkio-weight: expected 10 to 1000, not `%s`", optarg);
      r->block_io.weight = weight;
      return 0;
    default: return urun_usage_error ("update", update_help, "unknown option", err);
    }
}

int
urun_cmd_update (struct urun_global *g, int argc, char **argv,
                 struct urun_error *err)
{
  struct urun_update_opts opts = { 0 };
  int c;

  if (urun_wants_help (argc, argv, update_help))
    return 0;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+r:", update_options, NULL)) != -1)
    if (update_option (c, &opts, err) < 0)
      return -1;
  if (optind != argc - 1)
    return urun_usage_error ("update", update_help, "expected exactly one CONTAINER-ID", err);
  return urun_container_update (&g->ctx, argv[optind], &opts, err);
}
