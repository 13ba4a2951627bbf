/* cgroups-systemd-props.c: linux.resources and org.systemd.property.*
 * annotations as the properties of a systemd unit
 * (systemd.resource-control(5)), and what is left for urun to write. */
#define _GNU_SOURCE
#include "cgroups-systemd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "utils.h"

#define SD_INFINITY UINT64_MAX /* "infinity" in a uint64 property */
#define PROPERTY_PREFIX "org.systemd.property."
#define MAX_CPUS 16384

static void
checked (struct cg_props *p, const char *name, int r)
{
  if (r < 0)
    {
      p->r = r;
      p->failed = name;
    }
}

void
cg_prop_bool (struct cg_props *p, const char *name, bool v)
{
  if (p->r >= 0)
    checked (p, name, p->sd->append (p->m, "(sv)", name, "b", (int) v));
}

void
cg_prop_str (struct cg_props *p, const char *name, const char *v)
{
  if (p->r >= 0)
    checked (p, name, p->sd->append (p->m, "(sv)", name, "s", v));
}

void
cg_prop_u64 (struct cg_props *p, const char *name, uint64_t v)
{
  if (p->r >= 0)
    checked (p, name, p->sd->append (p->m, "(sv)", name, "t", v));
}

void
cg_prop_pids (struct cg_props *p, pid_t pid)
{
  if (p->r >= 0)
    checked (p, "PIDs", p->sd->append (p->m, "(sv)", "PIDs", "au", 1, (uint32_t) pid));
}

/* An "ay" property: (s v(ay)). */
static void
prop_bytes (struct cg_props *p, const char *name, const void *bytes, size_t n)
{
  const struct urun_sdbus *sd = p->sd;
  int r;

  if (p->r < 0)
    return;
  r = sd->open_container (p->m, 'r', "sv");
  if (r >= 0)
    r = sd->append (p->m, "s", name);
  if (r >= 0)
    r = sd->open_container (p->m, 'v', "ay");
  if (r >= 0)
    r = sd->append_array (p->m, 'y', bytes, n);
  if (r >= 0)
    r = sd->close_container (p->m);
  if (r >= 0)
    r = sd->close_container (p->m);
  checked (p, name, r);
}

/* A cpuset list ("0-3,8") as systemd's AllowedCPUs= bitmask: bit N%8 of
 * byte N/8 for CPU (or node) N. */
/* One "N" or "N-M" of a cpuset list; *P moves past it and its comma. */
static bool
cpu_range (const char **p, unsigned long *lo, unsigned long *hi)
{
  char *end;

  if (**p < '0' || **p > '9')
    return false;
  *lo = *hi = strtoul (*p, &end, 10);
  if (*end == '-')
    {
      if (end[1] < '0' || end[1] > '9')
        return false;
      *hi = strtoul (end + 1, &end, 10);
    }
  if (*lo > *hi || *hi >= MAX_CPUS)
    return false;
  if (*end == ',' && end[1] != '\0')
    end++;
  else if (*end != '\0')
    return false;
  *p = end;
  return true;
}

int
cg_systemd_cpu_mask (const char *list, const char *where, uint8_t **mask,
                     size_t *n, struct urun_error *err)
{
  cleanup_free uint8_t *out = xmalloc0 (MAX_CPUS / 8);
  const char *p = list;
  unsigned long lo, hi;

  *n = 0;
  while (*p && cpu_range (&p, &lo, &hi))
    {
      for (unsigned long i = lo; i <= hi; i++)
        out[i / 8] |= (uint8_t) (1u << (i % 8));
      *n = hi / 8 + 1 > *n ? hi / 8 + 1 : *n;
    }
  if (*p != '\0' || *n == 0)
    return urun_set_error (err, 0, "linux.resources.cpu.%s: `%s` is not a list of numbers and ranges below %d",
                           where, list, MAX_CPUS);
  *mask = TAKE_PTR (out);
  return 0;
}

static uint64_t
limit_of (int64_t v)
{
  return v < 0 ? SD_INFINITY : (uint64_t) v;
}

/* OCI's swap is memory+swap; MemorySwapMax= is swap alone (as runc, and
 * as cgroups-resources.c writes memory.swap.max). */
static int
swap_max (const struct urun_resources *r, uint64_t *out, struct urun_error *err)
{
  int64_t swap = r->memory.swap.value, limit = r->memory.limit.set ? r->memory.limit.value : -1;

  if (swap < 0)
    *out = SD_INFINITY;
  else if (limit < 0)
    return urun_set_error (err, 0, "linux.resources.memory.swap: a swap limit needs a memory limit");
  else
    *out = (uint64_t) (swap - limit);
  return 0;
}

/* quota/period as CPUQuotaPerSecUSec=, rounded up to whole 10 ms as runc
 * does: systemd keeps a CPU percentage and would round it down. */
static void
cpu_quota (struct cg_props *p, const struct urun_resources *r)
{
  uint64_t period = r->cpu.period.set && r->cpu.period.value ? r->cpu.period.value : 100000;

  if (r->cpu.quota.set && r->cpu.quota.value > 0)
    {
      uint64_t per_sec = (uint64_t) r->cpu.quota.value * 1000000 / period;
      cg_prop_u64 (p, "CPUQuotaPerSecUSec", (per_sec + 9999) / 10000 * 10000);
    }
  else if (r->cpu.quota.set)
    cg_prop_u64 (p, "CPUQuotaPerSecUSec", SD_INFINITY);
  if (r->cpu.period.set)
    cg_prop_u64 (p, "CPUQuotaPeriodUSec", period);
}

static int
append_cpuset (struct cg_props *p, const struct urun_resources *r,
               struct urun_error *err)
{
  const char *lists[] = { r->cpu.cpus, r->cpu.mems };
  const char *names[] = { "AllowedCPUs", "AllowedMemoryNodes" };

  for (int i = 0; i < 2; i++)
    {
      cleanup_free uint8_t *mask = NULL;
      size_t n = 0;
      if (lists[i] == NULL)
        continue;
      if (cg_systemd_cpu_mask (lists[i], i ? "mems" : "cpus", &mask, &n, err) < 0)
        return -1;
      prop_bytes (p, names[i], mask, n);
    }
  return 0;
}

int
cg_systemd_append_resources (struct cg_props *p, const struct urun_resources *r,
                             bool v2, struct urun_error *err)
{
  uint64_t swap = 0;

  if (r->memory.limit.set)
    cg_prop_u64 (p, v2 ? "MemoryMax" : "MemoryLimit", limit_of (r->memory.limit.value));
  if (r->pids_limit.set && r->pids_limit.value != 0)
    cg_prop_u64 (p, "TasksMax", limit_of (r->pids_limit.value));
  cpu_quota (p, r);
  if (!v2)
    {
      if (r->cpu.shares.set && r->cpu.shares.value > 0)
        cg_prop_u64 (p, "CPUShares", r->cpu.shares.value);
      return 0;
    }
  if (r->memory.reservation.set)
    cg_prop_u64 (p, "MemoryLow", limit_of (r->memory.reservation.value));
  if (r->memory.swap.set)
    {
      if (swap_max (r, &swap, err) < 0)
        return -1;
      cg_prop_u64 (p, "MemorySwapMax", swap);
    }
  /* shares 2..262144 onto weight 1..10000, as cgroups-resources.c. */
  if (r->cpu.shares.set && r->cpu.shares.value > 0)
    {
      uint64_t s = r->cpu.shares.value < 2 ? 2 : r->cpu.shares.value > 262144 ? 262144 : r->cpu.shares.value;
      cg_prop_u64 (p, "CPUWeight", 1 + ((s - 2) * 9999) / 262142);
    }
  return append_cpuset (p, r, err);
}

struct urun_resources
cg_systemd_rest (const struct urun_resources *r, bool v2)
{
  struct urun_resources rest = *r;

  rest.memory.limit.set = false;
  rest.pids_limit.set = false;
  rest.cpu.quota.set = false;
  rest.cpu.period.set = false;
  rest.cpu.shares.set = false;
  if (v2)
    {
      rest.memory.reservation.set = false;
      rest.memory.swap.set = false;
      rest.cpu.cpus = NULL;
      rest.cpu.mems = NULL;
    }
  return rest;
}

/* The file in which each property shows, for cg_systemd_check_applied. */
static const struct applied
{
  const char *json, *property, *controller, *file;
} applied[] = {
  { "memory.limit", "MemoryMax", "memory", "memory.max" },
  { "memory.reservation", "MemoryLow", "memory", "memory.low" },
  { "memory.swap", "MemorySwapMax", "memory", "memory.swap.max" },
  { "pids.limit", "TasksMax", "pids", "pids.max" },
  { "cpu.shares", "CPUWeight", "cpu", "cpu.weight" },
  { "cpu.quota", "CPUQuotaPerSecUSec", "cpu", "cpu.max" },
  { "cpu.period", "CPUQuotaPeriodUSec", "cpu", "cpu.max" },
  { "cpu.cpus", "AllowedCPUs", "cpuset", "cpuset.cpus" },
  { "cpu.mems", "AllowedMemoryNodes", "cpuset", "cpuset.mems" },
};

static bool
asked (const struct urun_resources *r, size_t i)
{
  bool v[] = {
    r->memory.limit.set, r->memory.reservation.set, r->memory.swap.set,
    r->pids_limit.set && r->pids_limit.value != 0,
    r->cpu.shares.set && r->cpu.shares.value > 0, r->cpu.quota.set, r->cpu.period.set,
    r->cpu.cpus != NULL, r->cpu.mems != NULL,
  };

  return v[i];
}

int
cg_systemd_check_applied (const char *dir, const struct urun_resources *r,
                          struct urun_error *err)
{
  for (size_t i = 0; i < sizeof applied / sizeof applied[0]; i++)
    {
      cleanup_free char *file = NULL;
      if (!asked (r, i))
        continue;
      file = xasprintf ("%s/%s", dir, applied[i].file);
      if (access (file, F_OK) < 0)
        return urun_set_error (err, 0, "linux.resources.%s: systemd cannot apply %s: "
                                       "the `%s` controller is not enabled in cgroup `%s`",
                               applied[i].json, applied[i].property, applied[i].controller, dir);
    }
  return 0;
}

/* ---------------------------------------------------------------------- */

struct gvalue
{
  char type; /* b s t u x i */
  int64_t i;
  uint64_t u;
  char *s;
};

static bool
parse_number (const char *text, bool is_unsigned, struct gvalue *v)
{
  char *end;

  errno = 0;
  if (is_unsigned && *text != '-')
    v->u = strtoull (text, &end, 10);
  else if (!is_unsigned)
    v->i = strtoll (text, &end, 10);
  else
    return false;
  return errno == 0 && end != text && *end == '\0';
}

/* VALUE in the GVariant text forms cgroups-systemd.h lists. */
static bool
parse_gvalue (const char *value, struct gvalue *v)
{
  static const struct
  {
    const char *prefix;
    char type;
  } typed[] = {
    { "uint64 ", 't' }, { "@t ", 't' }, { "uint32 ", 'u' }, { "@u ", 'u' },
    { "int64 ", 'x' }, { "@x ", 'x' }, { "int32 ", 'i' }, { "@i ", 'i' },
  };
  size_t len = strlen (value);

  *v = (struct gvalue){ 0 };
  if (strcmp (value, "true") == 0 || strcmp (value, "false") == 0)
    {
      v->type = 'b';
      v->i = value[0] == 't';
      return true;
    }
  if (len >= 2 && (value[0] == '\'' || value[0] == '"') && value[len - 1] == value[0]
      && memchr (value + 1, value[0], len - 2) == NULL && memchr (value, '\\', len) == NULL)
    {
      v->type = 's';
      v->s = strndup (value + 1, len - 2);
      return v->s != NULL;
    }
  for (size_t i = 0; i < sizeof typed / sizeof typed[0]; i++)
    if (strncmp (value, typed[i].prefix, strlen (typed[i].prefix)) == 0)
      {
        v->type = typed[i].type;
        return parse_number (value + strlen (typed[i].prefix), strchr ("tu", v->type) != NULL, v)
               && (v->type != 'u' || v->u <= UINT32_MAX)
               && (v->type != 'i' || (v->i >= INT32_MIN && v->i <= INT32_MAX));
      }
  v->type = 'i';
  return parse_number (value, false, v) && v->i >= INT32_MIN && v->i <= INT32_MAX;
}

static bool
is_property_name (const char *name)
{
  if (*name == '\0')
    return false;
  for (const char *c = name; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
      return false;
  return true;
}

int
cg_systemd_check_annotations (const struct urun_spec *spec,
                              struct urun_error *err)
{
  for (size_t i = 0; i < spec->n_annotations; i++)
    {
      const struct urun_kv *a = &spec->annotations[i];
      struct gvalue v;
      if (strncmp (a->key, PROPERTY_PREFIX, strlen (PROPERTY_PREFIX)) != 0)
        continue;
      if (!is_property_name (a->key + strlen (PROPERTY_PREFIX)))
        return urun_set_error (err, 0, "config.json: annotations: `%s`: not a systemd property name", a->key);
      if (!parse_gvalue (a->value, &v))
        return urun_set_error (err, 0, "config.json: annotations: `%s`: `%s` is not a GVariant "
                                       "true, false, 'string' or integer (`uint64 N`, `@t N`, ...)",
                               a->key, a->value);
      free (v.s);
    }
  return 0;
}

void
cg_systemd_append_annotations (struct cg_props *p, const struct urun_spec *spec)
{
  for (size_t i = 0; i < spec->n_annotations && p->r >= 0; i++)
    {
      const struct urun_kv *a = &spec->annotations[i];
      const char *name = a->key + strlen (PROPERTY_PREFIX);
      struct gvalue v;
      char sig[2] = { 0, 0 };
      if (strncmp (a->key, PROPERTY_PREFIX, strlen (PROPERTY_PREFIX)) != 0 || !parse_gvalue (a->value, &v))
        continue;
      sig[0] = v.type;
      if (v.type == 's')
        checked (p, name, p->sd->append (p->m, "(sv)", name, sig, v.s));
      else if (v.type == 'b' || v.type == 'i')
        checked (p, name, p->sd->append (p->m, "(sv)", name, sig, (int32_t) v.i));
      else if (v.type == 'u')
        checked (p, name, p->sd->append (p->m, "(sv)", name, sig, (uint32_t) v.u));
      else if (v.type == 't')
        checked (p, name, p->sd->append (p->m, "(sv)", name, sig, v.u));
      else
        checked (p, name, p->sd->append (p->m, "(sv)", name, sig, v.i));
      free (v.s);
    }
}
