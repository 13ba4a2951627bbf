/* cgroups-systemd.c: --systemd-cgroup — the container in a transient scope
 * that the user's (rootless) or the system's (root) systemd manager makes
 * for it, as runc's and crun's systemd drivers do; without a reachable
 * manager, the cgroupfs driver with one warning. */
#define _GNU_SOURCE
#include "cgroups-systemd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "namespaces.h"
#include "utils.h"

#define JOB_TIMEOUT_USEC (60ULL * 1000000)

static const char *
manager_name (bool user)
{
  return user ? "user" : "system";
}

/* A unit name keeps [A-Za-z0-9:_.-] and writes the rest as \xNN, as
 * systemd-escape(1) does; a container ID may have `+`. */
static char *
escape_unit (const char *s)
{
  cleanup_free char *out = xmalloc0 (strlen (s) * 4 + 1);
  char *p = out;

  for (const char *c = s; *c; c++)
    if (strchr (":_.-", *c) || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
        || (*c >= '0' && *c <= '9'))
      *p++ = *c;
    else
      p += sprintf (p, "\\x%02x", (unsigned char) *c);
  return TAKE_PTR (out);
}

static bool
ends_with (const char *s, const char *suffix)
{
  size_t n = strlen (s), m = strlen (suffix);

  return n >= m && strcmp (s + n - m, suffix) == 0;
}

/* runc's docs/systemd.md: cgroupsPath "slice:prefix:name" is the unit
 * prefix-name.scope in slice (default system.slice for root, user.slice
 * rootless); no cgroupsPath is ":urun:NAME". */
static int
scope_names (const char *path, const char *name, bool privileged,
             struct urun_cgroup_systemd *s, struct urun_error *err)
{
  const char *c1 = path ? strchr (path, ':') : NULL, *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
  const char *default_slice = privileged ? "system.slice" : "user.slice";
  cleanup_free char *escaped = NULL;

  if (path == NULL || *path == '\0')
    {
      escaped = escape_unit (name);
      s->unit = xasprintf ("urun-%s.scope", escaped);
      s->slice = xstrdup (default_slice);
      return 0;
    }
  if (c2 == NULL || strchr (c2 + 1, ':') != NULL || strchr (path, '/') != NULL)
    return urun_set_error (err, 0, "config.json: linux.cgroupsPath: `%s` is not `slice:prefix:name`, "
                                   "as --systemd-cgroup needs", path);
  if (c1 != path && (c1 - path < 7 || strncmp (c1 - 6, ".slice", 6) != 0))
    return urun_set_error (err, 0, "config.json: linux.cgroupsPath: `%.*s` is not a slice (`NAME.slice`)",
                           (int) (c1 - path), path);
  if (ends_with (c2 + 1, ".slice") || c2[1] == '\0')
    return urun_set_error (err, 0, "config.json: linux.cgroupsPath: `%s`: the name must make a scope, "
                                   "not a slice and not empty", path);
  s->unit = xasprintf ("%.*s-%s.scope", (int) (c2 - c1 - 1), c1 + 1, c2 + 1);
  s->slice = c1 == path ? xstrdup (default_slice) : xasprintf ("%.*s", (int) (c1 - path), path);
  return 0;
}

int
cg_systemd_plan (const struct urun_spec *spec, const char *name,
                 bool privileged, struct urun_cgroup *cg,
                 struct urun_error *err)
{
  cleanup_manager struct urun_manager m = { 0 };
  cleanup_free char *why = NULL;
  struct urun_cgroup_systemd s = { 0 };

  if (cg->mode == URUN_CGROUP_NONE)
    {
      urun_warn ("--systemd-cgroup: %s; running without a cgroup", cg->none_reason);
      return 0;
    }
  if (urun_manager_connect (!privileged, &m, &why) < 0)
    {
      urun_warn ("--systemd-cgroup: no systemd %s manager reachable (%s); using cgroupfs",
                 manager_name (!privileged), why);
      return 0;
    }
  if (scope_names (spec->linux_.cgroups_path, name, privileged, &s, err) < 0
      || cg_systemd_check_annotations (spec, err) < 0)
    {
      cg_systemd_free (&s);
      return -1;
    }
  s.user = !privileged;
  s.description = xasprintf ("urun container %s", name);
  s.pending = true;
  cg->systemd = s;
  urun_debug ("--systemd-cgroup: scope `%s` in `%s`, through `%s`", s.unit, s.slice, m.address);
  return 1;
}

/* ---------------------------------------------------------------------- */

/* StartTransientUnit (s name, s mode, a(sv) properties, a(sa(sv)) aux).
 * org.freedesktop.systemd1(5) */
static sd_bus_message *
start_call (struct urun_manager *m, const struct urun_cgroup *cg,
            const struct urun_spec *spec, pid_t pid, struct urun_error *err)
{
  cleanup_sd_message sd_bus_message *call = urun_manager_new_call (m, "StartTransientUnit", err);
  struct cg_props p = { m->sd, call, 0, NULL };
  bool v2 = cg->mode == URUN_CGROUP_V2;

  if (call == NULL)
    return NULL;
  p.r = m->sd->append (call, "ss", cg->systemd.unit, "fail");
  if (p.r >= 0)
    p.r = m->sd->open_container (call, 'a', "(sv)");
  cg_prop_str (&p, "Description", cg->systemd.description);
  cg_prop_str (&p, "Slice", cg->systemd.slice);
  /* The container may make cgroups below its own (systemd.resource-control(5)). */
  cg_prop_bool (&p, "Delegate", true);
  cg_prop_bool (&p, "DefaultDependencies", false);
  cg_prop_pids (&p, pid);
  /* Statistics even without limits, as runc and crun. */
  cg_prop_bool (&p, "CPUAccounting", true);
  cg_prop_bool (&p, "MemoryAccounting", true);
  cg_prop_bool (&p, "TasksAccounting", true);
  if (v2)
    cg_prop_bool (&p, "IOAccounting", true);
  if (cg_systemd_append_resources (&p, &spec->linux_.resources, v2, err) < 0)
    return NULL;
  cg_systemd_append_annotations (&p, spec);
  if (p.r >= 0)
    p.r = m->sd->close_container (call);
  if (p.r >= 0)
    p.r = m->sd->append (call, "a(sa(sv))", 0);
  if (p.r < 0)
    {
      urun_set_error (err, -p.r, "build the StartTransientUnit call%s%s", p.failed ? ": property " : "",
                      p.failed ? p.failed : "");
      return NULL;
    }
  return TAKE_PTR (call);
}

/* Forget a failed unit of that name, so that it can start again. */
static void
reset_failed (struct urun_manager *m, const char *unit)
{
  struct urun_error ignored = URUN_ERROR_INIT;
  cleanup_sd_message sd_bus_message *call = urun_manager_new_call (m, "ResetFailedUnit", &ignored);

  if (call && m->sd->append (call, "s", unit) >= 0)
    urun_manager_call (m, call, "ResetFailedUnit", NULL, NULL, &ignored);
  urun_clear_error (&ignored);
}

static bool
is_bus_error (const char *name, const char *what)
{
  return name != NULL && strcmp (name, what) == 0;
}

/* Start the scope with PID in it; a failed unit of the same name, left by
 * an earlier container, is reset and the start tried once more. */
static int
start_scope (struct urun_cgroup *cg, const struct urun_spec *spec, pid_t pid,
             struct urun_error *err)
{
  cleanup_manager struct urun_manager m = { 0 };
  cleanup_free char *why = NULL, *result = NULL;
  const char *unit = cg->systemd.unit;

  if (urun_manager_connect (cg->systemd.user, &m, &why) < 0)
    return urun_set_error (err, 0, "no systemd %s manager reachable (%s)", manager_name (cg->systemd.user), why);
  for (int attempt = 0;; attempt++)
    {
      cleanup_sd_message sd_bus_message *call = start_call (&m, cg, spec, pid, err);
      cleanup_free char *error_name = NULL;
      if (call == NULL)
        return -1;
      if (urun_manager_run_job (&m, call, "StartTransientUnit", JOB_TIMEOUT_USEC, &result, &error_name, err) == 0)
        break;
      if (attempt > 0 || !is_bus_error (error_name, "org.freedesktop.systemd1.UnitExists"))
        return -1;
      urun_clear_error (err);
      reset_failed (&m, unit);
    }
  cg->systemd.started = true;
  if (strcmp (result, "done") != 0)
    return urun_set_error (err, 0, "the start job of the scope ended `%s` (`systemctl%s status %s` says why)",
                           result, cg->systemd.user ? " --user" : "", unit);
  return 0;
}

/* The scope's cgroup, from PID's line of its hierarchy ("0::PATH"), or of
 * systemd's own v1 one ("N:name=systemd:PATH") on a host without cgroup2.
 * cgroups(7) */
static char *
scope_path (pid_t pid, struct urun_error *err)
{
  cleanup_free char *file = xasprintf ("/proc/%d/cgroup", (int) pid), *text = NULL;
  char *found = NULL, *save = NULL;

  if (urun_read_file_at (AT_FDCWD, file, &text, NULL, err) < 0)
    return NULL;
  for (char *l = strtok_r (text, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      char *c = strchr (l, ':'), *path = c ? strchr (c + 1, ':') : NULL;
      if (path && (strncmp (c, "::", 2) == 0 || strncmp (c, ":name=systemd:", 14) == 0))
        {
          found = path + 1;
          if (c[1] == ':')
            break;
        }
    }
  if (found == NULL)
    urun_set_error (err, 0, "no cgroup2 or name=systemd line in `%s`", file);
  else if (strncmp (found, "/..", 3) == 0)
    urun_set_error (err, 0, "the scope's cgroup `%s` is outside urun's cgroup namespace", found);
  return found && strncmp (found, "/..", 3) != 0 ? xstrdup (found) : NULL;
}

/* The scope exists with PID in it: its directories become the container's
 * (the v1 ones systemd leaves alone made), and urun writes the limits
 * systemd took no property for. */
static int
adopt_scope (struct urun_cgroup *cg, const struct urun_spec *spec, pid_t pid,
             struct urun_error *err)
{
  const struct urun_resources *r = &spec->linux_.resources;
  bool v2 = cg->mode == URUN_CGROUP_V2;
  cleanup_free char *path = scope_path (pid, err);
  struct urun_resources rest;

  if (path == NULL || cg_adopt_path (cg, path, err) < 0 || urun_cgroup_enter (cg, pid, err) < 0)
    return -1;
  /* Its forks (the staged path's pid 1) stay in it. */
  cg->placed_by_clone = true;
  cg->systemd.pending = false;
  urun_debug ("cgroup %s, systemd scope `%s`: `%s`", urun_cgroup_mode_name (cg->mode), cg->systemd.unit,
              cg->dirs[0].path);
  if (v2 && cg_systemd_check_applied (cg_dir_of (cg, CG_UNIFIED), r, err) < 0)
    return -1;
  rest = cg_systemd_rest (r, v2);
  if (cg_apply_resources (cg, &rest, cg->systemd.user ? NULL : &spec->linux_, err) < 0)
    return urun_wrap_error (err, "set up cgroup");
  return 0;
}

pid_t
cg_systemd_clone (struct urun_cgroup *cg, const struct urun_spec *spec,
                  unsigned long flags, struct urun_error *err)
{
  pid_t pid = urun_clone (flags, err);

  if (pid <= 0)
    return pid;
  if (start_scope (cg, spec, pid, err) < 0 || adopt_scope (cg, spec, pid, err) < 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      return urun_wrap_error (err, "systemd scope `%s`", cg->systemd.unit);
    }
  return pid;
}

/* ---------------------------------------------------------------------- */

/* KillUnit (s name, s whom, i signal): everything in the scope at once, so
 * that StopUnit need not wait for a SIGTERM a container ignores. */
static void
kill_unit (struct urun_manager *m, const char *unit)
{
  struct urun_error ignored = URUN_ERROR_INIT;
  cleanup_sd_message sd_bus_message *call = urun_manager_new_call (m, "KillUnit", &ignored);

  if (call && m->sd->append (call, "ssi", unit, "all", SIGKILL) >= 0)
    urun_manager_call (m, call, "KillUnit", NULL, NULL, &ignored);
  urun_clear_error (&ignored);
}

int
cg_systemd_stop (const struct urun_cgroup *cg, struct urun_error *err)
{
  cleanup_manager struct urun_manager m = { 0 };
  cleanup_free char *why = NULL, *result = NULL, *error_name = NULL;
  cleanup_sd_message sd_bus_message *call = NULL;
  const char *unit = cg->systemd.unit;

  if (urun_manager_connect (cg->systemd.user, &m, &why) < 0)
    {
      urun_debug ("--systemd-cgroup: cannot stop `%s`: no systemd %s manager reachable (%s)", unit,
                  manager_name (cg->systemd.user), why);
      return 0;
    }
  kill_unit (&m, unit);
  call = urun_manager_new_call (&m, "StopUnit", err);
  if (call == NULL)
    return -1;
  if (m.sd->append (call, "ss", unit, "replace") < 0)
    return urun_set_error (err, EINVAL, "build the StopUnit call");
  if (urun_manager_run_job (&m, call, "StopUnit", JOB_TIMEOUT_USEC, &result, &error_name, err) < 0)
    {
      /* Gone already: it stops by itself once its processes are. */
      if (!is_bus_error (error_name, "org.freedesktop.systemd1.NoSuchUnit"))
        return urun_wrap_error (err, "stop systemd scope `%s`", unit);
      urun_clear_error (err);
      return 0;
    }
  reset_failed (&m, unit);
  urun_debug ("--systemd-cgroup: scope `%s` stopped (%s)", unit, result);
  return 0;
}

/* SetUnitProperties (s name, b runtime, a(sv) properties). */
static int
set_properties (struct urun_manager *m, const struct urun_cgroup *cg,
                const struct urun_resources *r, struct urun_error *err)
{
  cleanup_sd_message sd_bus_message *call = urun_manager_new_call (m, "SetUnitProperties", err);
  struct cg_props p = { m->sd, call, 0, NULL };

  if (call == NULL)
    return -1;
  p.r = m->sd->append (call, "sb", cg->systemd.unit, 1);
  if (p.r >= 0)
    p.r = m->sd->open_container (call, 'a', "(sv)");
  if (cg_systemd_append_resources (&p, r, cg->mode == URUN_CGROUP_V2, err) < 0)
    return -1;
  if (p.r >= 0)
    p.r = m->sd->close_container (call);
  if (p.r < 0)
    return urun_set_error (err, -p.r, "build the SetUnitProperties call");
  return urun_manager_call (m, call, "SetUnitProperties", NULL, NULL, err);
}

int
cg_systemd_update (const struct urun_cgroup *cg, const struct urun_resources *r,
                   struct urun_error *err)
{
  cleanup_manager struct urun_manager m = { 0 };
  cleanup_free char *why = NULL;
  bool v2 = cg->mode == URUN_CGROUP_V2;
  struct urun_resources rest = cg_systemd_rest (r, v2);

  if (urun_manager_connect (cg->systemd.user, &m, &why) < 0)
    return urun_set_error (err, 0, "systemd scope `%s`: no systemd %s manager reachable (%s)",
                           cg->systemd.unit, manager_name (cg->systemd.user), why);
  /* Checked first: systemd would take a property it cannot apply. */
  if (v2 && cg_systemd_check_applied (cg_dir_of (cg, CG_UNIFIED), r, err) < 0)
    return -1;
  if (set_properties (&m, cg, r, err) < 0)
    return urun_wrap_error (err, "systemd scope `%s`", cg->systemd.unit);
  return cg_apply_resources (cg, &rest, NULL, err);
}

void
cg_systemd_free (struct urun_cgroup_systemd *s)
{
  free (s->unit);
  free (s->slice);
  free (s->description);
  *s = (struct urun_cgroup_systemd){ 0 };
}
