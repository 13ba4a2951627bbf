/* cgroups-internal.h: private to cgroups*.c — file access in a cgroup
 * directory and the per-version halves of cgroups.h. */
#ifndef URUN_CGROUPS_INTERNAL_H
#define URUN_CGROUPS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroups.h"

#define CG_UNIFIED "unified"

/* Write VALUE to DIR/FILE, one write(2) as the kernel wants it. */
int cg_write (const char *dir, const char *file, const char *value,
              struct urun_error *err);
int cg_writef (const char *dir, const char *file, struct urun_error *err,
               const char *fmt, ...) __attribute__ ((format (printf, 4, 5)));
/* DIR/FILE's content without the trailing newline. */
int cg_read (const char *dir, const char *file, char **out,
             struct urun_error *err);

/* Is NAME one of the comma- or space-separated LIST? */
bool cg_list_has (const char *list, const char *name);

/* A cgroup someone else made (a systemd scope) at PATH, from each
 * hierarchy's root: its directories in every hierarchy of CG's mode become
 * CG's; those missing (v1 controllers systemd leaves alone) are made. */
int cg_adopt_path (struct urun_cgroup *cg, const char *path,
                   struct urun_error *err);

/* The directory of the hierarchy holding CONTROLLER ("unified" for
 * cgroup2), or NULL. */
const char *cg_dir_of (const struct urun_cgroup *cg, const char *controller);

/* Values the spec parser lets through but the kernel would refuse or
 * misread; errors start with WHERE ("config.json: linux.resources"). */
int cg_check_resources (const struct urun_resources *r, const char *where,
                        struct urun_error *err);

/* Did the spec ask for any limit (devices aside)? */
bool cg_resources_requested (const struct urun_resources *r);

/* The limits of R in the cgroup; DEVICES (create only) adds the device
 * rules of linux.resources.devices and linux.devices. */
int cg_apply_resources (const struct urun_cgroup *cg,
                        const struct urun_resources *r,
                        const struct urun_linux *devices,
                        struct urun_error *err);

/* cgroups-v1.c: one controller's part of R in its directory DIR. */
int cg_v1_memory (const char *dir, const struct urun_resources *r,
                  struct urun_error *err);
int cg_v1_cpu (const char *dir, const struct urun_resources *r,
               struct urun_error *err);
int cg_v1_blkio (const char *dir, const struct urun_resources *r,
                 struct urun_error *err);
int cg_v1_hugetlb (const char *dir, const struct urun_resources *r,
                   struct urun_error *err);
int cg_v1_network (const struct urun_cgroup *cg,
                   const struct urun_resources *r, struct urun_error *err);
/* devices.deny "a", then each rule in order and the devices every
 * container needs. */
int cg_v1_devices (const char *dir, const struct urun_linux *l,
                   struct urun_error *err);
/* A new cpuset directory starts with empty cpus and mems, which refuse
 * tasks (ENOSPC): copy the parent's. */
int cg_v1_init_cpuset (const char *dir, struct urun_error *err);
int cg_v1_freeze (const char *dir, bool frozen, struct urun_error *err);

/* cgroups-bpf.c: linux.resources.devices on cgroup v2, as a
 * BPF_PROG_TYPE_CGROUP_DEVICE program attached to DIR. */
int cg_v2_devices (const char *dir, const struct urun_linux *l,
                   struct urun_error *err);

/* The device rules a container gets: RULES as given, then those of
 * linux.devices and the defaults every container needs (as runc). */
struct cg_device_rule
{
  bool allow;
  char type;     /* 'a', 'c' or 'b' */
  int64_t major; /* -1: any */
  int64_t minor;
  char access[4];
};
struct cg_device_rule *cg_device_rules (const struct urun_linux *l,
                                        size_t *n);

#endif
