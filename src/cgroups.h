/* cgroups.h: the container's cgroup — where it goes (cgroup v2, the v1
 * controllers of a v1 or hybrid host, or none), creating it, putting the
 * container's process in it, limits, freezing, its processes, removal.
 *
 * Rootless first: an unprivileged caller gets a cgroup only inside a cgroup
 * v2 subtree delegated to it (and must run inside that subtree, see
 * urun_cgroup_enter); without one the container runs without a cgroup. */
#ifndef URUN_CGROUPS_H
#define URUN_CGROUPS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

enum urun_cgroup_mode
{
  URUN_CGROUP_NONE,
  URUN_CGROUP_V2, /* one directory in the cgroup2 mount */
  URUN_CGROUP_V1, /* one per v1 hierarchy, and the cgroup2 one of a hybrid host */
};

/* One directory of the container's cgroup. CONTROLLERS names the hierarchy:
 * "unified" for cgroup2, else its v1 controllers ("memory", "cpu,cpuacct"). */
struct urun_cgroup_dir
{
  char *controllers;
  char *path; /* absolute: /sys/fs/cgroup/memory/urun/c1 */
  size_t mount_len; /* of PATH's hierarchy mount; not in state.json */
};

/* --systemd-cgroup: the transient scope systemd made for the container
 * (cgroups-systemd.c). In state.json: the unit and which manager. */
struct urun_cgroup_systemd
{
  char *unit; /* "urun-c1.scope"; NULL: no scope, the cgroupfs driver */
  bool user;  /* the user's manager (rootless), else the system's */
  /* Not in state.json: */
  char *slice;
  char *description;
  bool pending; /* planned: it starts once the container's process exists */
  bool started; /* by this urun: a failed create stops it */
};

struct urun_cgroup
{
  enum urun_cgroup_mode mode;
  struct urun_cgroup_dir *dirs;
  size_t n_dirs;
  char *none_reason; /* NONE: why there is no cgroup, for pause and update */
  /* Not in state.json: the directories create made (parents first), so
   * that a failed create removes exactly those. */
  char **created;
  size_t n_created;
  bool placed_by_clone; /* not in state.json either */
  /* Planned, not made yet: the directories may be missing, or belong to
   * someone else (a cgroupsPath not yet checked to be empty). In
   * state.json while `create` makes them. */
  bool planned;
  struct urun_cgroup_systemd systemd;
};

/* Checks of linux.cgroupsPath and linux.resources the spec parser leaves
 * to us; run before anything exists. */
int urun_cgroup_check_spec (const struct urun_spec *spec,
                            struct urun_error *err);

/* Choose and make the container's cgroup and apply linux.resources (and, as
 * root, linux.resources.devices). cgroupsPath as runc's cgroupfs driver:
 * absolute -> from the hierarchy's root; relative -> under the caller's
 * own cgroup; absent -> /urun/ID, or rootless <own v2 cgroup>/urun-ID,
 * where ID gets a hash of STATE_ROOT (--root; NULL: the default root)
 * appended, so that containers of the same ID under two roots differ.
 * SYSTEMD: --systemd-cgroup: where a systemd manager answers (the user's
 * for a rootless caller), a transient scope it starts once the process
 * exists (urun_cgroup_clone), from a cgroupsPath `slice:prefix:name`;
 * else the cgroupfs driver, with `slice:prefix:name` turned into the path
 * systemd would give it. A rootless caller without a writable
 * cgroup gets mode NONE (a warning when resources were asked for). On
 * failure nothing is left behind. */
int urun_cgroup_create_at (const struct urun_spec *spec, const char *id,
                           const char *state_root, bool systemd,
                           struct urun_cgroup *cg, struct urun_error *err);

/* urun_cgroup_create_at in two steps, so that the caller can record the
 * cgroup before it exists (state.json, for a create killed half-way):
 * PLAN chooses the mode and the directories and makes nothing (CG is
 * `planned`); MAKE makes them, checks them and applies linux.resources
 * (rootless, a refused mkdir makes it NONE). On failure MAKE leaves
 * nothing behind. */
int urun_cgroup_plan (const struct urun_spec *spec, const char *id,
                      const char *state_root, bool systemd,
                      struct urun_cgroup *cg, struct urun_error *err);
int urun_cgroup_make (const struct urun_spec *spec, struct urun_cgroup *cg,
                      struct urun_error *err);

/* The same for the default state root. */
int urun_cgroup_create (const struct urun_spec *spec, const char *id,
                        bool systemd, struct urun_cgroup *cg,
                        struct urun_error *err);

/* Clone the container's first process (urun_clone's contract) into the
 * cgroup. cgroup v2 (also a hybrid host's cgroup2 part) by clone3's
 * CLONE_INTO_CGROUP: it never runs outside, and a new cgroup namespace is
 * rooted at it. The v1 hierarchies by writing cgroup.procs right after the
 * clone (the process does not fork before that, except the staged path's
 * pid 1: see urun_cgroup_enter_late), so a new cgroup namespace in FLAGS
 * would keep its v1 roots at urun's own cgroups: the caller leaves it out
 * and has the process unshare it once placed (spawn.c, late_cgroupns).
 * Rootless, a move the kernel refuses makes the cgroup NONE with a
 * warning: the caller must run inside the delegated subtree, as moving a
 * process needs write access to cgroup.procs of the common ancestor of
 * both cgroups ("Delegation Containment", cgroup-v2.rst). */
pid_t urun_cgroup_clone (struct urun_cgroup *cg, const struct urun_spec *spec,
                         unsigned long flags, struct urun_error *err);

/* Must the process urun_cgroup_clone makes with new namespaces FLAGS wait
 * (URUN_SYNC_IN_CGROUP) before it makes its cgroup namespace or forks?
 * v1 directories are entered after the clone, and a new cgroup namespace
 * made before would be rooted at urun's own cgroups; a systemd scope is
 * started with the process after the clone, and only that process moves. */
bool urun_cgroup_must_wait (const struct urun_cgroup *cg, unsigned long flags);

/* The container's pid 1 forked by the staged path: move it as well, unless
 * the clone already placed its parent (and so it). */
int urun_cgroup_enter_late (const struct urun_cgroup *cg, pid_t pid,
                            struct urun_error *err);

/* Write PID to cgroup.procs of every directory (a pid already gone is no
 * error). */
int urun_cgroup_enter (const struct urun_cgroup *cg, pid_t pid,
                       struct urun_error *err);

/* `update`: apply R (as runc update: devices are not touched). */
int urun_cgroup_update (const struct urun_cgroup *cg,
                        const struct urun_resources *r,
                        struct urun_error *err);

/* Freeze (pause) or thaw (resume) every process; waits until frozen. */
int urun_cgroup_freeze (const struct urun_cgroup *cg, bool frozen,
                        struct urun_error *err);
bool urun_cgroup_is_frozen (const struct urun_cgroup *cg);

/* The pids in the cgroup (cgroup.procs), unsorted. */
int urun_cgroup_pids (const struct urun_cgroup *cg, pid_t **pids, size_t *n,
                      struct urun_error *err);

/* Send SIG to every process; SIGKILL on cgroup v2 is one write to
 * cgroup.kill (Linux 5.14+), which also reaches frozen processes. */
int urun_cgroup_signal (const struct urun_cgroup *cg, int sig,
                        struct urun_error *err);

/* `delete`: kill everything, thaw, and remove the container's directories
 * (retrying ~2 s while they are busy), then the parents create made.
 * A `planned` cgroup (a create killed before it was made and checked) held
 * nothing of the container: its directories are removed where they exist
 * and are empty, and nothing is killed. */
int urun_cgroup_destroy (struct urun_cgroup *cg, struct urun_error *err);

/* A failed create: remove what it made, and only that (a cgroupsPath may
 * name a cgroup that existed before). */
void urun_cgroup_undo (struct urun_cgroup *cg);

void urun_cgroup_free (struct urun_cgroup *cg);

/* "none", "v1", "v2" and back; false for an unknown name. */
const char *urun_cgroup_mode_name (enum urun_cgroup_mode mode);
bool urun_cgroup_mode_parse (const char *name, enum urun_cgroup_mode *mode);

#endif
