/* cgroups.c: the container's cgroup — which hierarchies and which path,
 * making it, and putting the container's first process in it. */
#define _GNU_SOURCE
#include "cgroups-systemd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "namespaces.h"
#include "utils.h"

/* The v1 controllers urun puts a container in (when mounted). */
static const char *const v1_controllers[] = {
  "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer",
  "blkio", "pids", "hugetlb", "net_cls", "net_prio", NULL,
};

/* A mounted hierarchy and where the caller is in it. */
struct hierarchy
{
  char *mount;
  char *controllers; /* "unified", or the v1 controllers we use */
  char *own;         /* the caller's cgroup, "/..." */
};

struct hierarchies
{
  struct hierarchy *v;
  size_t n;
};

static void
free_hierarchies (struct hierarchies *hs)
{
  for (size_t i = 0; i < hs->n; i++)
    {
      free (hs->v[i].mount);
      free (hs->v[i].controllers);
      free (hs->v[i].own);
    }
  free (hs->v);
}
#define cleanup_hierarchies __attribute__ ((cleanup (free_hierarchies)))

bool
cg_list_has (const char *list, const char *name)
{
  size_t len = strlen (name);

  for (const char *p = list; p && *p;)
    {
      size_t n = strcspn (p, ", ");
      if (n == len && strncmp (p, name, len) == 0)
        return true;
      p += n;
      p += strspn (p, ", ");
    }
  return false;
}

/* The controllers of super options "rw,memory" that urun uses, or NULL. */
static char *
v1_mount_controllers (const char *options)
{
  cleanup_free char *out = NULL;

  for (const char *const *c = v1_controllers; *c; c++)
    if (cg_list_has (options, *c))
      {
        char *joined = xasprintf ("%s%s%s", out ? out : "", out ? "," : "", *c);
        free (out);
        out = joined;
      }
  return TAKE_PTR (out);
}

static void
add_hierarchy (struct hierarchies *hs, const char *mount, char *controllers)
{
  for (size_t i = 0; i < hs->n; i++)
    if (strcmp (hs->v[i].controllers, controllers) == 0)
      {
        free (controllers); /* a second (bind) mount of the same one */
        return;
      }
  hs->v = xrealloc (hs->v, (hs->n + 1) * sizeof *hs->v);
  hs->v[hs->n++] = (struct hierarchy){ xstrdup (mount), controllers, NULL };
}

/* One line of mountinfo: "id parent maj:min root mountpoint opts ... -
 * fstype source superopts". proc(5) */
static void
parse_mount_line (char *line, struct hierarchies *hs)
{
  char *fields[5], *sep = strstr (line, " - "), *save = NULL;
  char fstype[32], super[512];
  int i = 0;

  if (sep == NULL || sscanf (sep + 3, "%31s %*s %511s", fstype, super) != 2)
    return;
  *sep = '\0';
  for (char *t = strtok_r (line, " ", &save); t && i < 5; t = strtok_r (NULL, " ", &save))
    fields[i++] = t;
  if (i < 5 || strchr (fields[4], '\\') != NULL) /* escaped: not /sys/fs/cgroup */
    return;
  if (strcmp (fstype, "cgroup2") == 0)
    add_hierarchy (hs, fields[4], xstrdup (CG_UNIFIED));
  else if (strcmp (fstype, "cgroup") == 0)
    {
      char *controllers = v1_mount_controllers (super);
      if (controllers)
        add_hierarchy (hs, fields[4], controllers);
    }
}

/* The caller's cgroup in H from /proc/self/cgroup, whose lines read
 * "id:controllers:path" ("0::path" for cgroup2). cgroups(7) */
static void
find_own_cgroup (struct hierarchy *h, char *lines)
{
  bool unified = strcmp (h->controllers, CG_UNIFIED) == 0;
  char first[32], *save = NULL;

  snprintf (first, sizeof first, "%.*s", (int) strcspn (h->controllers, ","), h->controllers);
  for (char *l = strtok_r (lines, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      char *c = strchr (l, ':'), *path = c ? strchr (c + 1, ':') : NULL;
      if (path == NULL)
        continue;
      *path = '\0';
      if (unified ? c[1] == '\0' : cg_list_has (c + 1, first))
        {
          h->own = xstrdup (path + 1);
          return;
        }
    }
  h->own = xstrdup ("/");
}

static int
read_hierarchies (struct hierarchies *hs, struct urun_error *err)
{
  cleanup_free char *mounts = NULL, *own = NULL;
  char *save = NULL;

  if (urun_read_file_at (AT_FDCWD, "/proc/self/mountinfo", &mounts, NULL, err) < 0
      || urun_read_file_at (AT_FDCWD, "/proc/self/cgroup", &own, NULL, err) < 0)
    return -1;
  for (char *l = strtok_r (mounts, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    parse_mount_line (l, hs);
  for (size_t i = 0; i < hs->n; i++)
    {
      cleanup_free char *lines = xstrdup (own); /* find_own_cgroup cuts it up */
      find_own_cgroup (&hs->v[i], lines);
    }
  return 0;
}

/* Root of the initial user namespace: may make cgroups anywhere. In a user
 * namespace (urun inside a container) we are as unprivileged as anyone. */
static bool
is_privileged (void)
{
  struct urun_error ignored = URUN_ERROR_INIT;
  cleanup_free char *map = NULL;
  unsigned long inside, outside, count;

  if (geteuid () != 0)
    return false;
  if (urun_read_file_at (AT_FDCWD, "/proc/self/uid_map", &map, NULL, &ignored) < 0)
    {
      urun_clear_error (&ignored);
      return true;
    }
  return sscanf (map, "%lu %lu %lu", &inside, &outside, &count) == 3
         && inside == 0 && outside == 0 && count == 4294967295UL;
}

static bool
has_suffix (const char *s, const char *suffix)
{
  size_t n = strlen (s), m = strlen (suffix);

  return n >= m && strcmp (s + n - m, suffix) == 0;
}

/* The cgroupfs path of a systemd-driver "slice:prefix:name": slice
 * "a-b.slice" nests as /a.slice/a-b.slice, the unit is prefix-name.scope
 * (or name when it is a slice). systemd.slice(5). NULL: not that form
 * (no slash anywhere, so no part can climb out with ".."). */
static char *
systemd_path (const char *p, bool privileged)
{
  const char *c1 = strchr (p, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
  const char *name = c2 ? c2 + 1 : NULL;
  cleanup_free char *slice = NULL;
  char *out = NULL;

  if (c2 == NULL || strchr (name, ':') != NULL || strchr (p, '/') != NULL)
    return NULL;
  if (c1 != p && (c1 - p < 6 || strncmp (c1 - 6, ".slice", 6) != 0))
    return NULL;
  slice = c1 == p ? xstrdup (privileged ? "system.slice" : "user.slice")
                  : xasprintf ("%.*s", (int) (c1 - p), p);
  if (strcmp (slice, "-.slice") != 0)
    {
      for (const char *d = strchr (slice, '-'); d; d = strchr (d + 1, '-'))
        urun_strappend (&out, "", "/%.*s.slice", (int) (d - slice), slice);
      urun_strappend (&out, "", "/%s", slice);
    }
  if (has_suffix (name, ".slice"))
    urun_strappend (&out, "", "/%s", name);
  else
    urun_strappend (&out, "", "/%.*s-%s.scope", (int) (c2 - c1 - 1), c1 + 1, name);
  return out;
}

/* linux.cgroupsPath, with --systemd-cgroup's form turned into a path. */
static char *
spec_cgroup_path (const struct urun_spec *spec, bool systemd, bool privileged)
{
  const char *p = spec->linux_.cgroups_path;
  char *converted;

  if (p == NULL || *p == '\0')
    return NULL;
  if (!systemd)
    return xstrdup (p);
  converted = systemd_path (p, privileged);
  urun_debug ("--systemd-cgroup: no systemd here, using the cgroupfs driver with `%s`",
              converted ? converted : p);
  return converted ? converted : xstrdup (p);
}

/* The container's cgroup in H, from H's root. */
static char *
path_in (const struct hierarchy *h, const char *path, const char *id,
         bool privileged)
{
  const char *own = strcmp (h->own, "/") == 0 ? "" : h->own;

  if (path == NULL)
    return privileged ? xasprintf ("/urun/%s", id) : xasprintf ("%s/urun-%s", own, id);
  if (path[0] == '/')
    return xstrdup (path);
  return xasprintf ("%s/%s", own, path);
}

static const struct hierarchy *
unified_of (const struct hierarchies *hs)
{
  for (size_t i = 0; i < hs->n; i++)
    if (strcmp (hs->v[i].controllers, CG_UNIFIED) == 0)
      return &hs->v[i];
  return NULL;
}

/* Rootless: cgroup v2 only, where a subtree can be delegated to a user.
 * Root: the v1 controllers when there are any (v1 or hybrid host), with
 * the hybrid host's cgroup2 hierarchy as well; else cgroup v2. */
static enum urun_cgroup_mode
choose_mode (const struct hierarchies *hs, bool privileged, char **reason)
{
  bool has_v2 = unified_of (hs) != NULL, has_v1 = hs->n > (has_v2 ? 1u : 0u);

  if (privileged && has_v1)
    return URUN_CGROUP_V1;
  if (has_v2)
    return URUN_CGROUP_V2;
  *reason = xstrdup (has_v1 ? "no cgroup v2 hierarchy, and only root may use cgroup v1"
                            : "no cgroup hierarchy is mounted");
  return URUN_CGROUP_NONE;
}

static void
add_created (struct urun_cgroup *cg, const char *dir)
{
  cg->created = xrealloc (cg->created, (cg->n_created + 1) * sizeof (char *));
  cg->created[cg->n_created++] = xstrdup (dir);
}

/* mkdir -p FULL, from after MOUNT; what is made goes to CG->created. */
static int
make_dirs (struct urun_cgroup *cg, char *full, size_t mount_len, bool cpuset,
           struct urun_error *err)
{
  for (char *p = full + mount_len + 1;; p++)
    {
      char saved = *p;
      int r = 0;

      if (saved != '/' && saved != '\0')
        continue;
      *p = '\0';
      if (p[-1] != '/' && mkdir (full, 0755) == 0)
        {
          add_created (cg, full);
          r = cpuset ? cg_v1_init_cpuset (full, err) : 0;
        }
      else if (p[-1] != '/' && errno != EEXIST)
        r = urun_set_error (err, errno, "create cgroup `%s`", full);
      *p = saved;
      if (r < 0)
        return -1;
      if (saved == '\0')
        return 0;
    }
}

/* A cgroupsPath naming a cgroup that exists already: only when nothing
 * runs there, as delete kills what is in it (runc 1.2 refuses too). */
static int
check_empty (const struct urun_cgroup *cg, const char *dir,
             struct urun_error *err)
{
  cleanup_free char *procs = NULL;

  if (cg->n_created > 0 && strcmp (cg->created[cg->n_created - 1], dir) == 0)
    return 0;
  if (cg_read (dir, "cgroup.procs", &procs, err) < 0)
    return -1;
  if (*procs != '\0')
    return urun_set_error (err, EBUSY, "cgroup `%s` is not empty: processes run in it", dir);
  return 0;
}

static void
plan_dirs (struct urun_cgroup *cg, const struct hierarchies *hs,
           const char *path, const char *id, bool privileged)
{
  for (size_t i = 0; i < hs->n; i++)
    {
      const struct hierarchy *h = &hs->v[i];
      cleanup_free char *rel = NULL;

      if (cg->mode == URUN_CGROUP_V2 && strcmp (h->controllers, CG_UNIFIED) != 0)
        continue;
      rel = path_in (h, path, id, privileged);
      cg->dirs = xrealloc (cg->dirs, (cg->n_dirs + 1) * sizeof *cg->dirs);
      cg->dirs[cg->n_dirs++] = (struct urun_cgroup_dir){
        xstrdup (h->controllers), xasprintf ("%s%s", h->mount, rel), strlen (h->mount),
      };
    }
}

static int
make_cgroup (struct urun_cgroup *cg, struct urun_error *err)
{
  for (size_t i = 0; i < cg->n_dirs; i++)
    {
      struct urun_cgroup_dir *d = &cg->dirs[i];

      if (make_dirs (cg, d->path, d->mount_len, cg_list_has (d->controllers, "cpuset"), err) < 0
          || check_empty (cg, d->path, err) < 0)
        return -1;
    }
  return 0;
}

/* Rootless without a cgroupsPath: our own cgroup must be writable (a
 * delegated subtree), or we run without one. */
static bool
own_cgroup_writable (const struct hierarchies *hs, char **reason)
{
  const struct hierarchy *h = unified_of (hs);
  cleanup_free char *dir = xasprintf ("%s%s", h->mount, strcmp (h->own, "/") == 0 ? "" : h->own);

  if (access (dir, W_OK) == 0)
    return true;
  *reason = xasprintf ("your cgroup `%s` is not writable by uid %d (no delegated cgroup v2 subtree)",
                       dir, (int) geteuid ());
  return false;
}

static void
release_dirs (struct urun_cgroup *cg)
{
  for (size_t i = 0; i < cg->n_dirs; i++)
    {
      free (cg->dirs[i].controllers);
      free (cg->dirs[i].path);
    }
  free (cg->dirs);
  cg->dirs = NULL;
  cg->n_dirs = 0;
  for (size_t i = 0; i < cg->n_created; i++)
    free (cg->created[i]);
  free (cg->created);
  cg->created = NULL;
  cg->n_created = 0;
}

/* Remove what a failed create made and become NONE because of REASON. */
static void
fall_back_to_none (struct urun_cgroup *cg, char *reason)
{
  urun_cgroup_undo (cg);
  release_dirs (cg);
  cg->mode = URUN_CGROUP_NONE;
  free (cg->none_reason);
  cg->none_reason = reason;
}

static void
report_none (const struct urun_cgroup *cg, const struct urun_spec *spec)
{
  urun_debug ("running without a cgroup: %s", cg->none_reason);
  if (spec->linux_.has_resources && cg_resources_requested (&spec->linux_.resources))
    urun_warn ("linux.resources ignored: running without a cgroup: %s", cg->none_reason);
}

static bool
is_permission_error (int errnum)
{
  return errnum == EACCES || errnum == EPERM || errnum == EROFS;
}

/* The last component of the default path: ID, and with --root a hash
 * (FNV-1a) of that state root, since every root may hold a container of
 * the same ID and each needs a cgroup of its own. */
static char *
default_name (const char *id, const char *state_root)
{
  char real[PATH_MAX];
  const char *p = state_root && realpath (state_root, real) ? real : state_root;
  uint32_t h = 2166136261u;

  if (p == NULL)
    return xstrdup (id);
  for (; *p; p++)
    h = (h ^ (unsigned char) *p) * 16777619u;
  return xasprintf ("%s-%08x", id, (unsigned) h);
}

int
urun_cgroup_create (const struct urun_spec *spec, const char *id,
                    bool systemd, struct urun_cgroup *cg,
                    struct urun_error *err)
{
  return urun_cgroup_create_at (spec, id, NULL, systemd, cg, err);
}

int
urun_cgroup_create_at (const struct urun_spec *spec, const char *id,
                       const char *state_root, bool systemd,
                       struct urun_cgroup *cg, struct urun_error *err)
{
  if (urun_cgroup_plan (spec, id, state_root, systemd, cg, err) < 0)
    return -1;
  return urun_cgroup_make (spec, cg, err);
}

int
urun_cgroup_plan (const struct urun_spec *spec, const char *id,
                  const char *state_root, bool systemd,
                  struct urun_cgroup *cg, struct urun_error *err)
{
  cleanup_free char *name = default_name (id, state_root);
  cleanup_hierarchies struct hierarchies hs = { 0 };
  cleanup_free char *path = NULL;
  bool privileged = is_privileged ();
  int r;

  memset (cg, 0, sizeof *cg);
  if (read_hierarchies (&hs, err) < 0)
    return urun_wrap_error (err, "find the cgroup hierarchies");
  cg->mode = choose_mode (&hs, privileged, &cg->none_reason);
  /* Before the checks of our own cgroup: systemd places the process. */
  if (systemd && (r = cg_systemd_plan (spec, name, privileged, cg, err)) != 0)
    {
      cg->planned = r > 0;
      return r < 0 ? -1 : 0;
    }
  path = spec_cgroup_path (spec, systemd, privileged);
  if (cg->mode != URUN_CGROUP_NONE && !privileged && path == NULL
      && !own_cgroup_writable (&hs, &cg->none_reason))
    cg->mode = URUN_CGROUP_NONE;
  if (cg->mode != URUN_CGROUP_NONE)
    plan_dirs (cg, &hs, path, name, privileged);
  cg->planned = cg->mode != URUN_CGROUP_NONE;
  return 0;
}

int
urun_cgroup_make (const struct urun_spec *spec, struct urun_cgroup *cg,
                  struct urun_error *err)
{
  bool privileged = is_privileged ();

  /* A systemd scope is made with the process in it (urun_cgroup_clone). */
  if (cg->systemd.pending)
    {
      cg->planned = false;
      return 0;
    }
  if (cg->mode != URUN_CGROUP_NONE && make_cgroup (cg, err) < 0)
    {
      if (privileged || !is_permission_error (err->errnum))
        {
          fall_back_to_none (cg, NULL);
          return -1;
        }
      fall_back_to_none (cg, xasprintf ("%s (not permitted)", err->msg));
      urun_clear_error (err);
    }
  cg->planned = false;
  if (cg->mode == URUN_CGROUP_NONE)
    {
      report_none (cg, spec);
      return 0;
    }
  urun_debug ("cgroup %s: `%s`", urun_cgroup_mode_name (cg->mode), cg->dirs[0].path);
  if (cg_apply_resources (cg, &spec->linux_.resources, privileged ? &spec->linux_ : NULL, err) < 0)
    {
      fall_back_to_none (cg, NULL);
      return urun_wrap_error (err, "set up cgroup");
    }
  return 0;
}

/* A rootless clone into the cgroup failed with ERR: when it is a
 * permission problem, remove the cgroup, become NONE, warn, return 0. */
static int
give_up (struct urun_cgroup *cg, const struct urun_spec *spec,
         struct urun_error *err)
{
  if (cg->mode == URUN_CGROUP_NONE || is_privileged () || !is_permission_error (err->errnum))
    return -1;
  fall_back_to_none (cg, xasprintf ("moving a process into `%s` is not permitted "
                                    "(urun must run inside the delegated cgroup subtree)",
                                    cg->dirs[0].path));
  urun_clear_error (err);
  report_none (cg, spec);
  return 0;
}

const char *
cg_dir_of (const struct urun_cgroup *cg, const char *controller)
{
  for (size_t i = 0; i < cg->n_dirs; i++)
    if (cg_list_has (cg->dirs[i].controllers, controller))
      return cg->dirs[i].path;
  return NULL;
}

int
urun_cgroup_enter (const struct urun_cgroup *cg, pid_t pid,
                   struct urun_error *err)
{
  for (size_t i = 0; i < cg->n_dirs; i++)
    if (cg_writef (cg->dirs[i].path, "cgroup.procs", err, "%d", (int) pid) < 0)
      {
        /* Gone already: its error waits on the sync socket. */
        if (err->errnum != ESRCH)
          return urun_wrap_error (err, "move pid %d into its cgroup", (int) pid);
        urun_clear_error (err);
      }
  return 0;
}

int
urun_cgroup_enter_late (const struct urun_cgroup *cg, pid_t pid,
                        struct urun_error *err)
{
  if (cg->mode == URUN_CGROUP_NONE || cg->placed_by_clone)
    return 0;
  return urun_cgroup_enter (cg, pid, err);
}

/* clone3 straight into the cgroup v2 directory DIR (Linux 5.7+; E2BIG
 * before). Returns -2 when the caller should clone the usual way. */
static pid_t
clone_into (struct urun_cgroup *cg, const char *dir,
            const struct urun_spec *spec, unsigned long flags,
            struct urun_error *err)
{
  cleanup_close int fd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  pid_t pid;

  if (fd < 0)
    return urun_set_error (err, errno, "open cgroup `%s`", dir);
  pid = urun_clone_into (flags, fd, err);
  if (pid >= 0)
    {
      cg->placed_by_clone = cg->mode == URUN_CGROUP_V2;
      return pid;
    }
  /* ENOSYS: no clone3 at all (valgrind, old seccomp profiles). */
  if (err->errnum == E2BIG || err->errnum == ENOSYS)
    urun_clear_error (err);
  else if (give_up (cg, spec, err) < 0)
    return -1;
  return -2;
}

pid_t
urun_cgroup_clone (struct urun_cgroup *cg, const struct urun_spec *spec,
                   unsigned long flags, struct urun_error *err)
{
  const char *v2 = cg_dir_of (cg, CG_UNIFIED);
  pid_t pid = -2;

  if (cg->systemd.pending)
    return cg_systemd_clone (cg, spec, flags, err);
  cg->placed_by_clone = false;
  /* On a hybrid host too: a new cgroup namespace then at least gets the
   * right root in the cgroup2 hierarchy. */
  if (v2 != NULL)
    pid = clone_into (cg, v2, spec, flags, err);
  if (pid == -2)
    pid = urun_clone (flags, err);
  if (pid <= 0 || cg->mode == URUN_CGROUP_NONE || cg->placed_by_clone)
    return pid;
  if (urun_cgroup_enter (cg, pid, err) < 0 && give_up (cg, spec, err) < 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      return -1;
    }
  return pid;
}

bool
urun_cgroup_must_wait (const struct urun_cgroup *cg, unsigned long flags)
{
  return ((flags & CLONE_NEWCGROUP) && cg->mode == URUN_CGROUP_V1) || cg->systemd.pending;
}

int
cg_adopt_path (struct urun_cgroup *cg, const char *path, struct urun_error *err)
{
  cleanup_hierarchies struct hierarchies hs = { 0 };

  if (read_hierarchies (&hs, err) < 0)
    return urun_wrap_error (err, "find the cgroup hierarchies");
  plan_dirs (cg, &hs, path, NULL, true);
  for (size_t i = 0; i < cg->n_dirs; i++)
    {
      const struct urun_cgroup_dir *d = &cg->dirs[i];
      if (make_dirs (cg, d->path, d->mount_len, cg_list_has (d->controllers, "cpuset"), err) < 0)
        return -1;
    }
  return 0;
}

void
urun_cgroup_free (struct urun_cgroup *cg)
{
  release_dirs (cg);
  cg_systemd_free (&cg->systemd);
  free (cg->none_reason);
  memset (cg, 0, sizeof *cg);
}

static const char *const mode_names[] = {
  [URUN_CGROUP_NONE] = "none", [URUN_CGROUP_V2] = "v2", [URUN_CGROUP_V1] = "v1",
};

const char *
urun_cgroup_mode_name (enum urun_cgroup_mode mode)
{
  return mode_names[mode];
}

bool
urun_cgroup_mode_parse (const char *name, enum urun_cgroup_mode *mode)
{
  for (size_t i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++)
    if (name && strcmp (name, mode_names[i]) == 0)
      {
        *mode = (enum urun_cgroup_mode) i;
        return true;
      }
  return false;
}

/* Each component of cgroupsPath: no "..", which would leave the
 * hierarchy or our own cgroup, nor "."; and not the hierarchy's root. */
static int
check_path (const char *path, struct urun_error *err)
{
  cleanup_free char *copy = NULL;
  char *save = NULL;
  bool has_name = false;

  if (path == NULL || *path == '\0')
    return 0;
  copy = xstrdup (path);
  for (char *c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      if (strcmp (c, "..") == 0)
        return urun_set_error (err, 0, "config.json: linux.cgroupsPath: must not contain \"..\"");
      if (strcmp (c, ".") == 0)
        return urun_set_error (err, 0, "config.json: linux.cgroupsPath: must not contain \".\"");
      has_name = true;
    }
  if (!has_name)
    return urun_set_error (err, 0, "config.json: linux.cgroupsPath: `%s` names no cgroup below the root", path);
  return 0;
}

int
urun_cgroup_check_spec (const struct urun_spec *spec, struct urun_error *err)
{
  if (check_path (spec->linux_.cgroups_path, err) < 0)
    return -1;
  if (!spec->linux_.has_resources)
    return 0;
  return cg_check_resources (&spec->linux_.resources, "config.json: linux.resources", err);
}
