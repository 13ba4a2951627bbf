/* cgroups-manage.c: working on a container's existing cgroup — freezing,
 * its processes, signals, and removing it. */
#define _GNU_SOURCE
#include "cgroups-systemd.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "utils.h"

static void
sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

  nanosleep (&ts, NULL);
}

/* cgroup.freeze asks; cgroup.events says "frozen 1" once every task has
 * stopped (Linux 5.2+, cgroup-v2.rst "Core Interface Files"). */
static int
freeze_v2 (const char *dir, bool frozen, struct urun_error *err)
{
  const char *want = frozen ? "frozen 1" : "frozen 0";

  if (cg_write (dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
    return -1;
  for (int i = 0; i < 500; i++)
    {
      cleanup_free char *events = NULL;
      if (cg_read (dir, "cgroup.events", &events, err) < 0)
        return -1;
      if (strstr (events, want) != NULL)
        return 0;
      sleep_ms (10);
    }
  return urun_set_error (err, ETIMEDOUT, "wait for cgroup `%s` to report `%s`", dir, want);
}

int
urun_cgroup_freeze (const struct urun_cgroup *cg, bool frozen,
                    struct urun_error *err)
{
  const char *v1 = cg_dir_of (cg, "freezer"), *v2 = cg_dir_of (cg, CG_UNIFIED);
  int r;

  if (v1 == NULL && v2 == NULL)
    return urun_set_error (err, 0, "no freezer: the container has no cgroup v2 and no v1 freezer cgroup");
  r = v1 ? cg_v1_freeze (v1, frozen, err) : freeze_v2 (v2, frozen, err);
  if (r < 0 && frozen)
    {
      struct urun_error ignored = URUN_ERROR_INIT;
      urun_cgroup_freeze (cg, false, &ignored); /* do not leave it half frozen */
      urun_clear_error (&ignored);
    }
  return r;
}

bool
urun_cgroup_is_frozen (const struct urun_cgroup *cg)
{
  struct urun_error ignored = URUN_ERROR_INIT;
  const char *v1 = cg_dir_of (cg, "freezer"), *v2 = cg_dir_of (cg, CG_UNIFIED);
  cleanup_free char *value = NULL;
  bool frozen = false;

  if (v1 && cg_read (v1, "freezer.state", &value, &ignored) == 0)
    frozen = strcmp (value, "THAWED") != 0;
  else if (!v1 && v2 && cg_read (v2, "cgroup.freeze", &value, &ignored) == 0)
    frozen = strcmp (value, "1") == 0;
  urun_clear_error (&ignored);
  return frozen;
}

int
urun_cgroup_pids (const struct urun_cgroup *cg, pid_t **pids, size_t *n,
                  struct urun_error *err)
{
  const char *dir = cg_dir_of (cg, CG_UNIFIED);
  cleanup_free char *text = NULL;
  cleanup_free pid_t *out = xmalloc0 (sizeof (pid_t));
  char *save = NULL;

  *n = 0;
  if (cg->mode == URUN_CGROUP_NONE)
    return urun_set_error (err, 0, "the container has no cgroup");
  if (dir == NULL)
    dir = cg->dirs[0].path;
  if (cg_read (dir, "cgroup.procs", &text, err) < 0)
    return -1;
  for (char *l = strtok_r (text, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      uint64_t pid;
      if (!urun_parse_u64 (l, &pid))
        continue;
      out = xrealloc (out, (*n + 1) * sizeof (pid_t));
      out[(*n)++] = (pid_t) pid;
    }
  *pids = TAKE_PTR (out);
  return 0;
}

int
urun_cgroup_signal (const struct urun_cgroup *cg, int sig,
                    struct urun_error *err)
{
  const char *v2 = cg_dir_of (cg, CG_UNIFIED);
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;

  if (sig == SIGKILL && v2 != NULL)
    {
      if (cg_write (v2, "cgroup.kill", "1", err) == 0)
        return 0;
      if (err->errnum != ENOENT) /* ENOENT: before Linux 5.14 */
        return -1;
      urun_clear_error (err);
    }
  if (urun_cgroup_pids (cg, &pids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      return urun_set_error (err, errno, "send signal %d to pid %d", sig, (int) pids[i]);
  return 0;
}

/* rmdir a cgroup; EBUSY while a dying process is still in it, so kill and
 * retry for ~2 s. */
static int
remove_dir (const struct urun_cgroup *cg, const char *dir, struct urun_error *err)
{
  for (int i = 0; i < 100; i++)
    {
      struct urun_error ignored = URUN_ERROR_INIT;
      if (rmdir (dir) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY)
        break;
      if (i % 10 == 9)
        urun_cgroup_signal (cg, SIGKILL, &ignored);
      urun_clear_error (&ignored);
      sleep_ms (20);
    }
  return urun_set_error (err, errno, "remove cgroup `%s`", dir);
}

static bool
is_leaf (const struct urun_cgroup *cg, const char *dir)
{
  for (size_t i = 0; i < cg->n_dirs; i++)
    if (strcmp (cg->dirs[i].path, dir) == 0)
      return true;
  return false;
}

/* SIGKILL everything in the container's directories, and thaw them: a
 * v1-frozen task does not die until thawed (freezer-subsystem.rst). */
static void
kill_all (const struct urun_cgroup *cg)
{
  struct urun_error ignored = URUN_ERROR_INIT;
  const char *freezer = cg_dir_of (cg, "freezer");

  urun_cgroup_signal (cg, SIGKILL, &ignored);
  urun_clear_error (&ignored);
  if (freezer && urun_cgroup_is_frozen (cg))
    cg_v1_freeze (freezer, false, &ignored);
  urun_clear_error (&ignored);
}

/* Parents create made on the way (deepest first), unless something else
 * lives there by now. */
static void
remove_created_parents (const struct urun_cgroup *cg)
{
  for (size_t i = cg->n_created; i-- > 0;)
    if (!is_leaf (cg, cg->created[i]))
      rmdir (cg->created[i]);
}

/* Only what exists and is empty: a planned cgroup held nothing of the
 * container, and a busy one (EBUSY) is someone else's. rmdir(2) */
static void
remove_planned (const struct urun_cgroup *cg)
{
  for (size_t i = 0; i < cg->n_dirs; i++)
    if (rmdir (cg->dirs[i].path) < 0 && errno != ENOENT)
      urun_debug ("cgroup `%s` left: %s", cg->dirs[i].path, strerror (errno));
}

/* A systemd scope: everything killed (and thawed: a v1-frozen task does
 * not die) through its directories when known, then stopped by systemd,
 * which removes its cgroups. */
static int
stop_scope (struct urun_cgroup *cg, struct urun_error *err)
{
  if (cg->mode != URUN_CGROUP_NONE && cg->n_dirs > 0 && !cg->planned)
    kill_all (cg);
  return cg_systemd_stop (cg, err);
}

int
urun_cgroup_destroy (struct urun_cgroup *cg, struct urun_error *err)
{
  if (cg->systemd.unit != NULL && stop_scope (cg, err) < 0)
    return -1;
  if (cg->mode == URUN_CGROUP_NONE || cg->n_dirs == 0)
    return 0;
  if (cg->planned)
    {
      remove_planned (cg);
      return 0;
    }
  kill_all (cg);
  for (size_t i = 0; i < cg->n_dirs; i++)
    if (remove_dir (cg, cg->dirs[i].path, err) < 0)
      return -1;
  remove_created_parents (cg);
  return 0;
}

void
urun_cgroup_undo (struct urun_cgroup *cg)
{
  size_t made = 0;

  if (cg->systemd.started)
    {
      struct urun_error ignored = URUN_ERROR_INIT;
      stop_scope (cg, &ignored);
      urun_clear_error (&ignored);
      cg->systemd.started = false;
    }
  if (cg->mode == URUN_CGROUP_NONE)
    return;
  for (size_t i = 0; i < cg->n_created; i++)
    made += is_leaf (cg, cg->created[i]);
  /* A cgroup that was there before holds nothing of ours by now. */
  if (made == cg->n_dirs && made > 0)
    kill_all (cg);
  for (size_t i = cg->n_created; i-- > 0;)
    {
      struct urun_error ignored = URUN_ERROR_INIT;
      if (is_leaf (cg, cg->created[i]))
        remove_dir (cg, cg->created[i], &ignored);
      urun_clear_error (&ignored);
    }
  remove_created_parents (cg);
}
