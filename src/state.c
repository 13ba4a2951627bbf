/* state.c: state root, per-container directories, state.json. */
#define _GNU_SOURCE
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "cleanup.h"
#include "utils.h"

#define STATE_FILE "state.json"
#define STATE_TMP "state.json.tmp"

static char *
default_root (void)
{
  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  struct stat st;

  if (!urun_is_rootless ())
    return xstrdup ("/run/urun");
  /* Only a runtime dir that exists and is ours: a stale variable from
   * `su` or a batch system would point at someone else's. */
  if (xdg && *xdg && stat (xdg, &st) == 0 && S_ISDIR (st.st_mode)
      && st.st_uid == geteuid ())
    return xasprintf ("%s/urun", xdg);
  return xasprintf ("/tmp/urun-%d", (int) geteuid ());
}

/* mkdir -p, the last component 0700. */
static int
make_dirs (char *path, struct urun_error *err)
{
  for (char *p = path + 1; *p; p++)
    {
      if (*p != '/')
        continue;
      *p = '\0';
      if (mkdir (path, 0755) < 0 && errno != EEXIST)
        {
          urun_set_error (err, errno, "create directory `%s`", path);
          *p = '/';
          return -1;
        }
      *p = '/';
    }
  if (mkdir (path, 0700) < 0 && errno != EEXIST)
    return urun_set_error (err, errno, "create state root `%s`", path);
  return 0;
}

int
urun_state_open_root (const char *root, struct urun_error *err)
{
  cleanup_free char *path = root ? xstrdup (root) : default_root ();
  cleanup_close int fd = -1;
  struct stat st;

  if (make_dirs (path, err) < 0)
    return -1;
  fd = open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ELOOP)
    return urun_set_error (err, 0, "state root `%s` is a symlink", path);
  if (fd < 0)
    return urun_set_error (err, errno, "open state root `%s`", path);
  if (fstat (fd, &st) < 0)
    return urun_set_error (err, errno, "stat state root `%s`", path);
  if (st.st_uid != geteuid ())
    return urun_set_error (err, 0,
                           "state root `%s` is owned by uid %d, not by you (uid %d)",
                           path, (int) st.st_uid, (int) geteuid ());
  if ((st.st_mode & 0777) != 0700 && fchmod (fd, 0700) < 0)
    return urun_set_error (err, errno, "chmod state root `%s`", path);
  return TAKE_FD (fd);
}

int
urun_state_check_id (const char *id, struct urun_error *err)
{
  size_t len = strlen (id);

  if (len == 0 || len > 255)
    return urun_set_error (err, 0, "invalid container ID `%s`: must be 1 to 255 characters", id);
  if (strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return urun_set_error (err, 0, "invalid container ID `%s`", id);
  if (strspn (id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                  "0123456789_.+-")
      != len)
    return urun_set_error (err, 0,
                           "invalid container ID `%s`: only letters, digits and `_.+-` are allowed",
                           id);
  return 0;
}

/* flock the directory; a directory removed while we waited is gone. */
static int
lock_dir (int fd, const char *id, struct urun_error *err)
{
  struct stat st;

  while (flock (fd, LOCK_EX) < 0)
    if (errno != EINTR)
      return urun_set_error (err, errno, "lock container `%s`", id);
  if (fstat (fd, &st) < 0)
    return urun_set_error (err, errno, "stat container `%s`", id);
  if (st.st_nlink == 0)
    return urun_set_error (err, ENOENT, "container `%s` does not exist", id);
  return 0;
}

static int
open_and_lock (int root_fd, const char *id, struct urun_error *err)
{
  cleanup_close int fd = openat (root_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

  if (fd < 0 && errno == ENOENT)
    return urun_set_error (err, ENOENT, "container `%s` does not exist", id);
  if (fd < 0)
    return urun_set_error (err, errno, "open state directory of `%s`", id);
  if (lock_dir (fd, id, err) < 0)
    return -1;
  return TAKE_FD (fd);
}

int
urun_state_create_dir (int root_fd, const char *id, struct urun_error *err)
{
  if (urun_state_check_id (id, err) < 0)
    return -1;
  if (mkdirat (root_fd, id, 0700) < 0)
    {
      if (errno == EEXIST)
        return urun_set_error (err, EEXIST, "container `%s` already exists", id);
      return urun_set_error (err, errno, "create state directory of `%s`", id);
    }
  return open_and_lock (root_fd, id, err);
}

int
urun_state_open_dir (int root_fd, const char *id, struct urun_error *err)
{
  if (urun_state_check_id (id, err) < 0)
    return -1;
  return open_and_lock (root_fd, id, err);
}

int
urun_state_remove_dir (int root_fd, const char *id, struct urun_error *err)
{
  cleanup_close int fd = openat (root_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_closedir DIR *dir = NULL;
  struct dirent *de;

  if (fd < 0)
    return errno == ENOENT ? 0 : urun_set_error (err, errno, "open state directory of `%s`", id);
  dir = fdopendir (TAKE_FD (fd));
  if (dir == NULL)
    return urun_set_error (err, errno, "read state directory of `%s`", id);
  while ((de = readdir (dir)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (unlinkat (dirfd (dir), de->d_name, 0) < 0 && errno != ENOENT)
        return urun_set_error (err, errno, "remove `%s` of container `%s`", de->d_name, id);
    }
  if (unlinkat (root_fd, id, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return urun_set_error (err, errno, "remove state directory of `%s`", id);
  return 0;
}

static void
gen_string (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

static void
gen_pair (yajl_gen g, const char *key, const char *value)
{
  gen_string (g, key);
  gen_string (g, value ? value : "");
}

/* --systemd-cgroup's scope: "systemd": {"unit": "urun-c1.scope",
 * "manager": "user"} */
static void
gen_systemd (yajl_gen g, const struct urun_cgroup_systemd *s)
{
  if (s->unit == NULL)
    return;
  gen_string (g, "systemd");
  yajl_gen_map_open (g);
  gen_pair (g, "unit", s->unit);
  gen_pair (g, "manager", s->user ? "user" : "system");
  yajl_gen_map_close (g);
}

/* "cgroup": {"mode": "v2", "dirs": {"unified": "/sys/fs/cgroup/..."},
 * "reason": "why none"} */
static void
gen_cgroup (yajl_gen g, const struct urun_cgroup *cg)
{
  gen_string (g, "cgroup");
  yajl_gen_map_open (g);
  gen_pair (g, "mode", urun_cgroup_mode_name (cg->mode));
  gen_string (g, "dirs");
  yajl_gen_map_open (g);
  for (size_t i = 0; i < cg->n_dirs; i++)
    gen_pair (g, cg->dirs[i].controllers, cg->dirs[i].path);
  yajl_gen_map_close (g);
  if (cg->none_reason)
    gen_pair (g, "reason", cg->none_reason);
  if (cg->planned && cg->mode != URUN_CGROUP_NONE)
    {
      gen_string (g, "planned");
      yajl_gen_bool (g, 1);
    }
  gen_systemd (g, &cg->systemd);
  yajl_gen_map_close (g);
}

/* "creator": {"pid": 4242, "startTime": 123456} while create runs. */
static void
gen_creator (yajl_gen g, const struct urun_state *s)
{
  if (s->creator <= 0)
    return;
  gen_string (g, "creator");
  yajl_gen_map_open (g);
  gen_string (g, "pid");
  yajl_gen_integer (g, s->creator);
  gen_string (g, "startTime");
  yajl_gen_integer (g, (long long) s->creator_start_time);
  yajl_gen_map_close (g);
}

/* One generator for both the file and `urun state`: STATUS NULL means the
 * file, which adds what only urun needs (pid start time, pid namespace). */
static char *
state_json (const struct urun_state *s, const char *status, bool pretty)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;
  char *out;

  yajl_gen_config (g, yajl_gen_beautify, pretty ? 1 : 0);
  yajl_gen_map_open (g);
  gen_pair (g, "ociVersion", "1.2.0");
  gen_pair (g, "id", s->id);
  if (status)
    gen_pair (g, "status", status);
  gen_string (g, "pid");
  yajl_gen_integer (g, status && strcmp (status, "stopped") == 0 ? 0 : s->pid);
  gen_pair (g, "bundle", s->bundle);
  gen_pair (g, "rootfs", s->rootfs);
  gen_pair (g, "created", s->created);
  gen_pair (g, "owner", s->owner);
  gen_string (g, "annotations");
  yajl_gen_map_open (g);
  for (size_t i = 0; i < s->n_annotations; i++)
    gen_pair (g, s->annotations[i].key, s->annotations[i].value);
  yajl_gen_map_close (g);
  if (status == NULL)
    {
      gen_string (g, "pidStartTime");
      yajl_gen_integer (g, (long long) s->pid_start_time);
      gen_string (g, "pidNamespace");
      yajl_gen_bool (g, s->has_pid_namespace);
      gen_cgroup (g, &s->cgroup);
      gen_creator (g, s);
    }
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  out = xmalloc0 (len + 2);
  memcpy (out, buf, len);
  if (pretty && (len == 0 || buf[len - 1] != '\n'))
    out[len] = '\n';
  yajl_gen_free (g);
  return out;
}

char *
urun_state_to_json (const struct urun_state *state, const char *status,
                    bool pretty)
{
  return state_json (state, status, pretty);
}

char *
urun_state_json_of_spec (const struct urun_spec *spec, const char *id,
                         pid_t pid, const char *bundle, const char *status)
{
  struct urun_state s = {
    .id = (char *) id,
    .pid = pid,
    .bundle = (char *) bundle,
    .annotations = spec->annotations,
    .n_annotations = spec->n_annotations,
  };

  return state_json (&s, status, false);
}

int
urun_state_write (int dir_fd, const struct urun_state *state,
                  struct urun_error *err)
{
  cleanup_free char *json = state_json (state, NULL, false);
  cleanup_close int fd = -1;

  fd = openat (dir_fd, STATE_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return urun_set_error (err, errno, "create `%s` of container `%s`", STATE_TMP, state->id);
  if (urun_write_all (fd, json, strlen (json)) < 0)
    {
      int saved = errno;
      unlinkat (dir_fd, STATE_TMP, 0);
      return urun_set_error (err, saved, "write `%s` of container `%s`", STATE_TMP, state->id);
    }
  /* rename(2) is atomic: readers see the old file or the new, never half. */
  if (renameat (dir_fd, STATE_TMP, dir_fd, STATE_FILE) < 0)
    return urun_set_error (err, errno, "rename `%s` of container `%s`", STATE_TMP, state->id);
  return 0;
}

static char *
tree_string (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_string);

  return v ? xstrdup (YAJL_GET_STRING (v)) : NULL;
}

static long long
tree_integer (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_number);

  return v && YAJL_IS_INTEGER (v) ? YAJL_GET_INTEGER (v) : 0;
}

static void
read_annotations (yajl_val root, struct urun_state *state)
{
  const char *path[] = { "annotations", NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_object);

  if (v == NULL || YAJL_GET_OBJECT (v)->len == 0)
    return;
  state->n_annotations = YAJL_GET_OBJECT (v)->len;
  state->annotations = xmalloc0 (state->n_annotations * sizeof (struct urun_kv));
  for (size_t i = 0; i < state->n_annotations; i++)
    {
      yajl_val value = YAJL_GET_OBJECT (v)->values[i];
      state->annotations[i].key = xstrdup (YAJL_GET_OBJECT (v)->keys[i]);
      state->annotations[i].value = xstrdup (YAJL_IS_STRING (value) ? YAJL_GET_STRING (value) : "");
    }
}

static void
read_cgroup (yajl_val root, struct urun_cgroup *cg)
{
  const char *mode_path[] = { "cgroup", "mode", NULL };
  const char *dirs_path[] = { "cgroup", "dirs", NULL };
  const char *reason_path[] = { "cgroup", "reason", NULL };
  const char *planned_path[] = { "cgroup", "planned", NULL };
  const char *unit_path[] = { "cgroup", "systemd", "unit", NULL };
  const char *manager_path[] = { "cgroup", "systemd", "manager", NULL };
  yajl_val unit = yajl_tree_get (root, unit_path, yajl_t_string);
  yajl_val manager = yajl_tree_get (root, manager_path, yajl_t_string);
  yajl_val mode = yajl_tree_get (root, mode_path, yajl_t_string);
  yajl_val dirs = yajl_tree_get (root, dirs_path, yajl_t_object);
  yajl_val reason = yajl_tree_get (root, reason_path, yajl_t_string);

  cg->planned = YAJL_IS_TRUE (yajl_tree_get (root, planned_path, yajl_t_true));

  if (mode == NULL || !urun_cgroup_mode_parse (YAJL_GET_STRING (mode), &cg->mode))
    cg->mode = URUN_CGROUP_NONE;
  if (reason)
    cg->none_reason = xstrdup (YAJL_GET_STRING (reason));
  if (unit)
    {
      cg->systemd.unit = xstrdup (YAJL_GET_STRING (unit));
      const char *m = manager ? YAJL_GET_STRING (manager) : NULL;
      cg->systemd.user = m && strcmp (m, "user") == 0;
    }
  if (dirs == NULL || cg->mode == URUN_CGROUP_NONE)
    return;
  cg->dirs = xmalloc0 ((YAJL_GET_OBJECT (dirs)->len + 1) * sizeof *cg->dirs);
  for (size_t i = 0; i < YAJL_GET_OBJECT (dirs)->len; i++)
    {
      yajl_val v = YAJL_GET_OBJECT (dirs)->values[i];
      if (!YAJL_IS_STRING (v))
        continue;
      cg->dirs[cg->n_dirs].controllers = xstrdup (YAJL_GET_OBJECT (dirs)->keys[i]);
      cg->dirs[cg->n_dirs++].path = xstrdup (YAJL_GET_STRING (v));
    }
  if (cg->n_dirs == 0)
    cg->mode = URUN_CGROUP_NONE;
}

int
urun_state_read (int dir_fd, struct urun_state *state, struct urun_error *err)
{
  cleanup_free char *json = NULL;
  char errbuf[256];
  yajl_val root;
  const char *pidns_path[] = { "pidNamespace", NULL };
  const char *creator_path[] = { "creator", NULL };
  yajl_val creator;

  if (urun_read_file_at (dir_fd, STATE_FILE, &json, NULL, err) < 0)
    return -1;
  root = yajl_tree_parse (json, errbuf, sizeof errbuf);
  if (root == NULL || !YAJL_IS_OBJECT (root))
    {
      yajl_tree_free (root);
      return urun_set_error (err, 0, "state.json: invalid JSON");
    }
  memset (state, 0, sizeof *state);
  state->id = tree_string (root, "id");
  state->pid = (pid_t) tree_integer (root, "pid");
  state->pid_start_time = (unsigned long long) tree_integer (root, "pidStartTime");
  state->bundle = tree_string (root, "bundle");
  state->rootfs = tree_string (root, "rootfs");
  state->created = tree_string (root, "created");
  state->owner = tree_string (root, "owner");
  state->has_pid_namespace = YAJL_IS_TRUE (yajl_tree_get (root, pidns_path, yajl_t_true));
  read_annotations (root, state);
  read_cgroup (root, &state->cgroup);
  creator = yajl_tree_get (root, creator_path, yajl_t_object);
  if (creator)
    {
      state->creator = (pid_t) tree_integer (creator, "pid");
      state->creator_start_time = (unsigned long long) tree_integer (creator, "startTime");
    }
  yajl_tree_free (root);
  /* No pid yet is fine while creating (the cgroup may exist already). */
  if (state->id == NULL || state->pid < 0 || (state->pid == 0 && state->creator <= 0))
    {
      urun_state_free (state);
      return urun_set_error (err, 0, "state.json: missing `id` or `pid`");
    }
  return 0;
}

void
urun_state_free (struct urun_state *state)
{
  free (state->id);
  free (state->bundle);
  free (state->rootfs);
  free (state->created);
  free (state->owner);
  for (size_t i = 0; i < state->n_annotations; i++)
    {
      free (state->annotations[i].key);
      free (state->annotations[i].value);
    }
  free (state->annotations);
  urun_cgroup_free (&state->cgroup);
  memset (state, 0, sizeof *state);
}

int
urun_state_save_config (int dir_fd, const char *config_path,
                        struct urun_error *err)
{
  cleanup_free char *text = NULL;
  cleanup_close int fd = -1;
  size_t len = 0;

  if (urun_read_file_at (AT_FDCWD, config_path, &text, &len, err) < 0)
    return -1;
  fd = openat (dir_fd, "config.json", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || urun_write_all (fd, text, len) < 0)
    return urun_set_error (err, errno, "save a copy of config.json");
  return 0;
}

struct urun_spec *
urun_state_load_config (int dir_fd, struct urun_error *err)
{
  cleanup_free char *text = NULL;
  size_t len = 0;

  if (urun_read_file_at (dir_fd, "config.json", &text, &len, err) < 0)
    return NULL;
  return urun_parse_spec (text, len, "config.json", err);
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

char **
urun_state_list_ids (int root_fd, struct urun_error *err)
{
  cleanup_closedir DIR *dir = NULL;
  cleanup_strv char **ids = xmalloc0 (sizeof (char *));
  size_t n = 0;
  struct dirent *de;
  int fd = dup (root_fd);

  if (fd < 0 || (dir = fdopendir (fd)) == NULL)
    {
      urun_set_error (err, errno, "read state root");
      if (fd >= 0)
        close (fd);
      return NULL;
    }
  while ((de = readdir (dir)) != NULL)
    {
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      ids = xrealloc (ids, (n + 2) * sizeof (char *));
      ids[n++] = xstrdup (de->d_name);
      ids[n] = NULL;
    }
  qsort (ids, n, sizeof (char *), compare_strings);
  return TAKE_PTR (ids);
}
