/* cgroup-verbs.c: the verbs that work on a container's cgroup — pause,
 * resume and update. */
#define _GNU_SOURCE
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups.h"
#include "cleanup.h"
#include "spec-update.h"
#include "utils.h"

/* The container's state, read under its lock; *STATUS is its status. */
static int
open_container (const struct urun_context *ctx, const char *id, int *dir_fd,
                struct urun_state *state, const char **status,
                struct urun_error *err)
{
  cleanup_close int root_fd = urun_state_open_root (ctx->state_root, err);

  if (root_fd < 0)
    return -1;
  *dir_fd = urun_state_open_dir (root_fd, id, err);
  if (*dir_fd < 0 || urun_state_read (*dir_fd, state, err) < 0)
    return -1;
  *status = urun_container_status (state, *dir_fd);
  return 0;
}

static int
no_cgroup (const char *verb, const char *id, const struct urun_state *s,
           struct urun_error *err)
{
  return urun_set_error (err, 0, "%s `%s`: the container runs without a cgroup: %s", verb, id,
                         s->cgroup.none_reason ? s->cgroup.none_reason : "none was created");
}

int
urun_container_pause (const struct urun_context *ctx, const char *id,
                      struct urun_error *err)
{
  cleanup_state struct urun_state s = { 0 };
  cleanup_close int dir_fd = -1;
  const char *status;

  if (open_container (ctx, id, &dir_fd, &s, &status, err) < 0)
    return -1;
  if (strcmp (status, "running") != 0 && strcmp (status, "created") != 0)
    return urun_set_error (err, 0, "pause `%s`: the container is %s, not running", id, status);
  if (s.cgroup.mode == URUN_CGROUP_NONE)
    return no_cgroup ("pause", id, &s, err);
  if (urun_cgroup_freeze (&s.cgroup, true, err) < 0)
    return urun_wrap_error (err, "pause `%s`", id);
  return 0;
}

int
urun_container_resume (const struct urun_context *ctx, const char *id,
                       struct urun_error *err)
{
  cleanup_state struct urun_state s = { 0 };
  cleanup_close int dir_fd = -1;
  const char *status;

  if (open_container (ctx, id, &dir_fd, &s, &status, err) < 0)
    return -1;
  if (s.cgroup.mode == URUN_CGROUP_NONE)
    return no_cgroup ("resume", id, &s, err);
  if (strcmp (status, "paused") != 0)
    return urun_set_error (err, 0, "resume `%s`: the container is %s, not paused", id, status);
  if (urun_cgroup_freeze (&s.cgroup, false, err) < 0)
    return urun_wrap_error (err, "resume `%s`", id);
  return 0;
}

/* All of fd 0: reopening /dev/stdin fails for a pipe another user made. */
static int
read_stdin (char **out, size_t *len, struct urun_error *err)
{
  size_t size = 4096;
  char *buf = xmalloc0 (size);

  *len = 0;
  for (;;)
    {
      ssize_t n = read (0, buf + *len, size - *len - 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          if (n < 0)
            {
              free (buf);
              return urun_set_error (err, errno, "read standard input");
            }
          *out = buf;
          return 0;
        }
      *len += (size_t) n;
      if (*len + 1 == size)
        buf = xrealloc (buf, size *= 2);
    }
}

/* --resources FILE, "-" for stdin. */
static struct urun_resources *
load_resources (const char *file, struct urun_error *err)
{
  cleanup_free char *json = NULL;
  cleanup_free char *name = xasprintf ("--resources `%s`", file);
  size_t len = 0;

  if (strcmp (file, "-") == 0 ? read_stdin (&json, &len, err) < 0
                              : urun_read_file_at (AT_FDCWD, file, &json, &len, err) < 0)
    return NULL;
  return urun_parse_resources (json, len, name, err);
}

int
urun_container_update (const struct urun_context *ctx, const char *id,
                       const struct urun_update_opts *opts,
                       struct urun_error *err)
{
  cleanup_state struct urun_state s = { 0 };
  cleanup_close int dir_fd = -1;
  struct urun_resources *file = NULL;
  const char *status;
  int r = 0;

  if (open_container (ctx, id, &dir_fd, &s, &status, err) < 0)
    return -1;
  if (strcmp (status, "stopped") == 0)
    return urun_set_error (err, 0, "update `%s`: the container is stopped", id);
  if (s.cgroup.mode == URUN_CGROUP_NONE)
    return no_cgroup ("update", id, &s, err);
  if (opts->resources_file && (file = load_resources (opts->resources_file, err)) == NULL)
    return urun_wrap_error (err, "update `%s`", id);
  /* The file first, then the flags over it, as runc. */
  if (file)
    r = urun_cgroup_update (&s.cgroup, file, err);
  urun_free_resources (file);
  if (r == 0)
    r = urun_cgroup_update (&s.cgroup, &opts->flags, err);
  return r < 0 ? urun_wrap_error (err, "update `%s`", id) : 0;
}
