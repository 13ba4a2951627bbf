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
 * SYSTEMD: --systemd-cgroup ("slice:prefix:name" paths; no systemd driver
 * yet, so the cgroupfs one is used). A rootless caller without a writable
 * cgroup gets mode NONE (a warning when resources were asked for). On
 * failure nothing is left behind. */
int urun_cgroup_create_at (const struct urun_spec *spec, const char *id,
                           const char *state_root, bool systemd,
                           struct urun_cgroup *cg, struct urun_error *err);

/* The same for the default state root. */
int urun_cgroup_create (const struct urun_spec *spec, const char *id,
                        bool systemd, struct urun_cgroup *cg,
                        struct urun_error *err);

/* Clone the container's first process (urun_clone's contract) into the
 * cgroup. cgroup v2 (also a hybrid host's cgroup2 part) by clone3's
 * CLONE_INTO_CGROUP: it never runs outside, and a new cgroup namespace is
 * rooted at it. The v1 hierarchies by writing cgroup.procs right after the
 * clone (the process does not fork before that, except the staged path's
 * pid 1: see urun_cgroup_enter_late); a new cgroup namespace then keeps
 * its v1 roots at urun's own cgroups, as it was made by the clone.
 * Rootless, a move the kernel refuses makes the cgroup NONE with a
 * warning: the caller must run inside the delegated subtree, as moving a
 * process needs write access to cgroup.procs of the common ancestor of
 * both cgroups ("Delegation Containment", cgroup-v2.rst). */
pid_t urun_cgroup_clone (struct urun_cgroup *cg, const struct urun_spec *spec,
                         unsigned long flags, struct urun_error *err);

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
 * (retrying ~2 s while they are busy), then the parents create made. */
int urun_cgroup_destroy (struct urun_cgroup *cg, struct urun_error *err);

/* A failed create: remove what it made, and only that (a cgroupsPath may
 * name a cgroup that existed before). */
void urun_cgroup_undo (struct urun_cgroup *cg);

void urun_cgroup_free (struct urun_cgroup *cg);

/* "none", "v1", "v2" and back; false for an unknown name. */
const char *urun_cgroup_mode_name (enum urun_cgroup_mode mode);
bool urun_cgroup_mode_parse (const char *name, enum urun_cgroup_mode *mode);

#endif
