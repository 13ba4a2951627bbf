/* test-systemd.c: what --systemd-cgroup sends systemd without a manager to
 * ask (src/cgroups-systemd-props.c): cpuset bitmasks, the annotations it
 * accepts, and the limits left for urun to write. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroups-systemd.h"
#include "cleanup.h"
#include "spec.h"
#include "tap.h"

/* LIST's mask as hex bytes ("0f01"), or "error: MESSAGE". */
static char *
mask_of (const char *list)
{
  cleanup_error struct urun_error err = URUN_ERROR_INIT;
  cleanup_free uint8_t *mask = NULL;
  char *out;
  size_t n = 0;

  if (cg_systemd_cpu_mask (list, "cpus", &mask, &n, &err) < 0)
    {
      if (asprintf (&out, "error: %s", err.msg) < 0)
        abort ();
      return out;
    }
  out = calloc (1, n * 2 + 1);
  for (size_t i = 0; i < n; i++)
    sprintf (out + i * 2, "%02x", mask[i]);
  return out;
}

static void
check_mask (const char *list, const char *expected)
{
  cleanup_free char *got = mask_of (list);

  tap_ok (strcmp (got, expected) == 0, "cpus `%s` is %s", list, expected);
  if (strcmp (got, expected) != 0)
    printf ("# got %s\n", got);
}

/* A spec with one annotation KEY: VALUE. */
static struct urun_spec *
spec_with (const char *key, const char *value)
{
  struct urun_error err = URUN_ERROR_INIT;
  char *json = NULL;
  struct urun_spec *spec;

  if (asprintf (&json, "{\"ociVersion\": \"1.2.0\", \"annotations\": {\"%s\": \"%s\"}}", key, value) < 0)
    abort ();
  spec = urun_parse_spec (json, strlen (json), "config.json", &err);
  if (spec == NULL)
    printf ("# bad test spec: %s\n", err.msg);
  urun_clear_error (&err);
  free (json);
  return spec;
}

static void
check_annotation (const char *key, const char *value, bool ok)
{
  cleanup_spec struct urun_spec *spec = spec_with (key, value);
  cleanup_error struct urun_error err = URUN_ERROR_INIT;
  int r = spec ? cg_systemd_check_annotations (spec, &err) : -2;

  tap_ok ((r == 0) == ok && r != -2, "annotation %s: %s %s", key, value, ok ? "accepted" : "refused");
  if (err.msg)
    printf ("# %s\n", err.msg);
}

static void
test_rest (void)
{
  struct urun_resources r = { 0 }, rest;

  r.memory.limit = (struct urun_opt_i64){ true, 1 << 20 };
  r.memory.swap = (struct urun_opt_i64){ true, 2 << 20 };
  r.pids_limit = (struct urun_opt_i64){ true, 10 };
  r.cpu.shares = (struct urun_opt_u64){ true, 512 };
  r.cpu.burst = (struct urun_opt_i64){ true, 1000 };
  r.cpu.cpus = (char *) "0-1";
  r.n_unified = 1;
  rest = cg_systemd_rest (&r, true);
  tap_ok (!rest.memory.limit.set && !rest.memory.swap.set && !rest.pids_limit.set
              && !rest.cpu.shares.set && rest.cpu.cpus == NULL,
          "cgroup v2: memory, swap, pids, shares and cpus go to systemd");
  tap_ok (rest.cpu.burst.set && rest.n_unified == 1, "cgroup v2: burst and unified stay with urun");
  rest = cg_systemd_rest (&r, false);
  tap_ok (!rest.memory.limit.set && rest.memory.swap.set && rest.cpu.cpus != NULL,
          "cgroup v1: swap and cpus stay with urun");
}

int
main (void)
{
  check_mask ("0", "01");
  check_mask ("0-3,8", "0f01");
  check_mask ("1,3,5-7", "ea");
  check_mask ("9-15", "00fe");
  check_mask ("", "error: linux.resources.cpu.cpus: `` is not a list of numbers and ranges below 16384");
  check_mask ("3-1", "error: linux.resources.cpu.cpus: `3-1` is not a list of numbers and ranges below 16384");
  check_mask ("1,", "error: linux.resources.cpu.cpus: `1,` is not a list of numbers and ranges below 16384");
  check_mask ("-1", "error: linux.resources.cpu.cpus: `-1` is not a list of numbers and ranges below 16384");
  check_mask ("16384", "error: linux.resources.cpu.cpus: `16384` is not a list of numbers and ranges below 16384");

  check_annotation ("org.systemd.property.TimeoutStopUSec", "uint64 123456789", true);
  check_annotation ("org.systemd.property.TimeoutStopUSec", "@t 5", true);
  check_annotation ("org.systemd.property.CollectMode", "'inactive-or-failed'", true);
  check_annotation ("org.systemd.property.Description", "\\\"web\\\"", true);
  check_annotation ("org.systemd.property.SendSIGHUP", "true", true);
  check_annotation ("org.systemd.property.Nice", "-5", true);
  check_annotation ("org.systemd.property.Nice", "int32 3000000000", false);
  check_annotation ("org.systemd.property.TasksMax", "uint64 -1", false);
  check_annotation ("org.systemd.property.TimeoutStopUSec", "soon", false);
  check_annotation ("org.systemd.property.CollectMode", "'unterminated", false);
  check_annotation ("org.systemd.property.Bad-Name", "true", false);
  check_annotation ("org.systemd.property.", "true", false);
  check_annotation ("run.oci.other", "anything", true);

  test_rest ();
  return tap_done ();
}
