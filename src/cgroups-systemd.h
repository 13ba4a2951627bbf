/* cgroups-systemd.h: private to cgroups*.c — --systemd-cgroup, the
 * container in a transient scope of the user's or the system's systemd
 * manager, started over D-Bus (sd-bus) as runc and crun do. */
#ifndef URUN_CGROUPS_SYSTEMD_H
#define URUN_CGROUPS_SYSTEMD_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroups-internal.h"
#include "sdbus.h"

/* Plan the scope for the container (unit from linux.cgroupsPath
 * "slice:prefix:name", else urun-NAME.scope) when a manager answers, with
 * CG->mode already chosen. Returns 1 when the scope is planned (it starts
 * in cg_systemd_clone), 0 when no manager is reachable (warned: the
 * cgroupfs driver goes on), -1 on a spec error. */
int cg_systemd_plan (const struct urun_spec *spec, const char *name,
                     bool privileged, struct urun_cgroup *cg,
                     struct urun_error *err);

/* urun_cgroup_clone of a planned scope: clone the process, then have
 * systemd start the scope with it inside (it cannot be started empty:
 * the caller's cgroupns waits for it, URUN_SYNC_IN_CGROUP), adopt the
 * scope's directories and write what systemd takes no property for. On
 * failure the process is killed and reaped. */
pid_t cg_systemd_clone (struct urun_cgroup *cg, const struct urun_spec *spec,
                        unsigned long flags, struct urun_error *err);

/* `delete` and a failed create: SIGKILL everything in the unit and stop
 * it (systemd removes its cgroup). An unreachable manager is no error:
 * the scope goes once its processes are gone. */
int cg_systemd_stop (const struct urun_cgroup *cg, struct urun_error *err);

/* `update`: the limits systemd has properties for by SetUnitProperties,
 * the rest in the cgroup's files. */
int cg_systemd_update (const struct urun_cgroup *cg,
                       const struct urun_resources *r,
                       struct urun_error *err);

void cg_systemd_free (struct urun_cgroup_systemd *s);

/* cgroups-systemd-props.c: linux.resources and annotations as unit
 * properties ((sv) entries of an open a(sv) container). A failed append
 * sets R (a negative errno) and NAME, and the rest are skipped. */
struct cg_props
{
  const struct urun_sdbus *sd;
  sd_bus_message *m;
  int r;
  const char *failed; /* the property that could not be appended */
};

void cg_prop_bool (struct cg_props *p, const char *name, bool v);
void cg_prop_str (struct cg_props *p, const char *name, const char *v);
void cg_prop_u64 (struct cg_props *p, const char *name, uint64_t v);
void cg_prop_pids (struct cg_props *p, pid_t pid);

/* The properties of R (V2: cgroup v2 names, else v1's). */
int cg_systemd_append_resources (struct cg_props *p,
                                 const struct urun_resources *r, bool v2,
                                 struct urun_error *err);

/* R without the limits cg_systemd_append_resources passes to systemd: what
 * urun writes itself (a shallow copy: it shares R's arrays). */
struct urun_resources cg_systemd_rest (const struct urun_resources *r,
                                       bool v2);

/* A cpuset list ("0-3,8") as the bitmask of AllowedCPUs= and
 * AllowedMemoryNodes=: bit N%8 of byte N/8 for CPU (or node) N, *N bytes.
 * WHERE ("cpus", "mems") names the field in errors. */
int cg_systemd_cpu_mask (const char *list, const char *where, uint8_t **mask,
                         size_t *n, struct urun_error *err);

/* cgroup v2: systemd applies a property only where its controller is
 * enabled, and says nothing when it is not; fail as the cgroupfs driver
 * would (cgroups-resources.c, check_enabled). */
int cg_systemd_check_applied (const char *dir, const struct urun_resources *r,
                              struct urun_error *err);

/* Annotations "org.systemd.property.NAME": "VALUE" (runc, crun), VALUE in
 * GVariant text form: true, false, 'string', "string", an integer (int32),
 * or a typed one: uint64 N, @t N, uint32 N, @u N, int64 N, @x N, int32 N. */
int cg_systemd_check_annotations (const struct urun_spec *spec,
                                  struct urun_error *err);
void cg_systemd_append_annotations (struct cg_props *p,
                                    const struct urun_spec *spec);

#endif
