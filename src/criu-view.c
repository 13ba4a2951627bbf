/* criu-view.c: criu's mount view in rootless mode — every file the
 * container maps must open, by its path in the container, as the
 * container's own file.
 *
 * criu learns which file backs a mapping from /proc/PID/map_files, which
 * needs CAP_CHECKPOINT_RESTORE in the initial user namespace (Linux 5.9+,
 * proc_map_files_get_link). Without it, criu opens the path shown in
 * /proc/PID/maps from its own root, then checks the inode and that the
 * file's mount is one of the container's. criu runs in our mount namespace
 * (it execs the host's tar and sh), where "/bin/busybox" is the host's file
 * or nothing. So we redirect each such path with a symlink to
 * /proc/<pid>/root/<path>: the magic link resolves in the container's mount
 * namespace, so the file criu opens is the container's, on the container's
 * mount. Where the host has a file at the path, a bind mount of the symlink
 * covers it; where it has no such file, a tmpfs copy of the parent
 * directory (its entries bind-mounted back) gets the symlink.
 * Runs in: the checkpoint helper, root of the container's user namespace,
 * in a private mount namespace that dies with criu. */
#define _GNU_SOURCE
#include "criu.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "utils.h"

struct mapped_file
{
  char *path;
  pid_t pid; /* a process that maps it */
  dev_t dev;
  ino_t ino;
};

struct view
{
  struct mapped_file *files;
  size_t n_files;
  int store_fd;   /* a detached tmpfs holding the symlinks to bind */
  size_t n_links;
  char **shadowed; /* directories replaced by a tmpfs copy */
  size_t n_shadowed;
};

static void
view_free (struct view *v)
{
  for (size_t i = 0; i < v->n_files; i++)
    free (v->files[i].path);
  free (v->files);
  for (size_t i = 0; i < v->n_shadowed; i++)
    free (v->shadowed[i]);
  free (v->shadowed);
  if (v->store_fd >= 0)
    close (v->store_fd);
}

static void
add_file (struct view *v, pid_t pid, const char *path, unsigned maj, unsigned min,
          unsigned long ino)
{
  for (size_t i = 0; i < v->n_files; i++)
    if (strcmp (v->files[i].path, path) == 0)
      return;
  v->files = xrealloc (v->files, (v->n_files + 1) * sizeof *v->files);
  v->files[v->n_files++] = (struct mapped_file){
    .path = xstrdup (path), .pid = pid, .dev = makedev (maj, min), .ino = (ino_t) ino
  };
}

/* "start-end perms offset maj:min inode   /path" of /proc/PID/maps. */
static int
collect_maps (struct view *v, pid_t pid, struct urun_error *err)
{
  char file[64];
  cleanup_fclose FILE *f = NULL;
  cleanup_free char *line = NULL;
  size_t cap = 0;

  snprintf (file, sizeof file, "/proc/%d/maps", (int) pid);
  f = fopen (file, "re");
  if (f == NULL)
    return errno == ENOENT ? 0 : urun_set_error (err, errno, "open `%s`", file);
  while (getline (&line, &cap, f) > 0)
    {
      unsigned maj, min;
      unsigned long ino;
      int off = 0;
      char *path;

      line[strcspn (line, "\n")] = '\0';
      if (sscanf (line, "%*s %*s %*s %x:%x %lu %n", &maj, &min, &ino, &off) < 3 || off == 0)
        continue;
      path = line + off;
      /* Deleted files have no path to open: criu fails on them anyway. */
      if (ino == 0 || path[0] != '/' || strstr (path, " (deleted)"))
        continue;
      add_file (v, pid, path, maj, min, ino);
    }
  return 0;
}

/* PID and its descendants, through /proc/PID/task/TID/children (Linux 4.2+
 * with CONFIG_PROC_CHILDREN, which criu needs too). */
static int
collect_tree (struct view *v, pid_t pid, int depth, struct urun_error *err)
{
  char dir[64];
  cleanup_closedir DIR *tasks = NULL;
  struct dirent *de;

  if (depth > 64)
    return 0;
  if (collect_maps (v, pid, err) < 0)
    return -1;
  snprintf (dir, sizeof dir, "/proc/%d/task", (int) pid);
  tasks = opendir (dir);
  if (tasks == NULL)
    return 0;
  while ((de = readdir (tasks)) != NULL)
    {
      cleanup_free char *children = NULL;
      cleanup_free char *file = NULL;
      char *save = NULL;

      if (de->d_name[0] == '.')
        continue;
      file = xasprintf ("%s/%s/children", dir, de->d_name);
      if (urun_read_file_at (AT_FDCWD, file, &children, NULL, &(struct urun_error) URUN_ERROR_INIT) < 0)
        continue;
      for (char *c = strtok_r (children, " \n", &save); c; c = strtok_r (NULL, " \n", &save))
        if (collect_tree (v, (pid_t) atoi (c), depth + 1, err) < 0)
          return -1;
    }
  return 0;
}

static int
make_tmpfs (const char *mode, struct urun_error *err)
{
  cleanup_close int fs = fsopen ("tmpfs", FSOPEN_CLOEXEC);
  int mnt;

  if (fs < 0)
    return urun_set_error (err, errno, "open filesystem `tmpfs`");
  if ((mode && fsconfig (fs, FSCONFIG_SET_STRING, "mode", mode, 0) < 0)
      || fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return urun_set_error (err, errno, "create filesystem `tmpfs`");
  mnt = fsmount (fs, FSMOUNT_CLOEXEC, 0);
  if (mnt < 0)
    return urun_set_error (err, errno, "mount filesystem `tmpfs`");
  return mnt;
}

/* Bind NAME of DIR_FD onto the same name in the tmpfs TMP_FD. */
static void
bind_back (int dir_fd, int tmp_fd, const char *name, const char *dir)
{
  cleanup_close int tree = open_tree (dir_fd, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC
                                                    | AT_RECURSIVE | AT_SYMLINK_NOFOLLOW);
  cleanup_close int target = openat (tmp_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

  if (tree < 0 || target < 0
      || move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    urun_debug ("criu view: `%s/%s` left out of the copy: %s", dir, name, strerror (errno));
}

static void
copy_entry (int dir_fd, int tmp_fd, const char *name, const char *dir)
{
  char link[PATH_MAX];
  struct stat st;
  ssize_t len;
  int fd;

  if (fstatat (dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return;
  if (S_ISLNK (st.st_mode))
    {
      len = readlinkat (dir_fd, name, link, sizeof link - 1);
      if (len >= 0 && (link[len] = '\0', symlinkat (link, tmp_fd, name) == 0))
        return;
    }
  else if (S_ISDIR (st.st_mode) ? mkdirat (tmp_fd, name, 0755) == 0
           : (fd = openat (tmp_fd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644)) >= 0 && close (fd) == 0)
    {
      bind_back (dir_fd, tmp_fd, name, dir);
      return;
    }
  urun_debug ("criu view: `%s/%s` left out of the copy: %s", dir, name, strerror (errno));
}

/* Replace DIR (canonical, not `/`) with a tmpfs holding the same entries. */
static int
shadow_dir (struct view *v, const char *dir, struct urun_error *err)
{
  cleanup_close int dir_fd = -1;
  cleanup_close int tmp_fd = -1;
  cleanup_closedir DIR *d = NULL;
  struct dirent *de;

  for (size_t i = 0; i < v->n_shadowed; i++)
    if (strcmp (v->shadowed[i], dir) == 0)
      return 0;
  if (strcmp (dir, "/") == 0)
    return urun_set_error (err, 0, "no place for it: the host lacks its top-level directory");
  dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0 || (d = fdopendir (dup (dir_fd))) == NULL)
    return urun_set_error (err, errno, "open `%s`", dir);
  tmp_fd = make_tmpfs ("0755", err);
  if (tmp_fd < 0)
    return -1;
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      copy_entry (dir_fd, tmp_fd, de->d_name, dir);
  if (move_mount (tmp_fd, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return urun_set_error (err, errno, "mount a copy of `%s`", dir);
  v->shadowed = xrealloc (v->shadowed, (v->n_shadowed + 1) * sizeof (char *));
  v->shadowed[v->n_shadowed++] = xstrdup (dir);
  return 0;
}

/* The host has a (different) file at PATH: bind a symlink over it. A bind
 * mount of a symlink is followed like the symlink. open_tree(2) */
static int
cover_file (struct view *v, const char *path, const char *target,
            struct urun_error *err)
{
  char name[32];
  cleanup_close int tree = -1;

  if (v->store_fd < 0 && (v->store_fd = make_tmpfs ("0755", err)) < 0)
    return -1;
  snprintf (name, sizeof name, "%zu", v->n_links++);
  if (symlinkat (target, v->store_fd, name) < 0)
    return urun_set_error (err, errno, "create a symlink to `%s`", target);
  tree = open_tree (v->store_fd, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
  if (tree < 0)
    return urun_set_error (err, errno, "bind a symlink to `%s`", target);
  if (move_mount (tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS) < 0)
    return urun_set_error (err, errno, "bind a symlink over `%s`", path);
  return 0;
}

/* Make PATH open the container's file, reached through PID's root. */
static int
redirect (struct view *v, const struct mapped_file *f, struct urun_error *err)
{
  cleanup_free char *prefix = xstrdup (f->path);
  char parent[PATH_MAX];
  struct stat st;
  char *slash = prefix;

  /* The first component the host lacks, if any. */
  while ((slash = strchr (slash + 1, '/')) != NULL)
    {
      *slash = '\0';
      if (stat (prefix, &st) < 0)
        break;
      *slash = '/';
    }
  if (slash == NULL && stat (prefix, &st) == 0 && !S_ISDIR (st.st_mode))
    {
      cleanup_free char *target = xasprintf ("/proc/%d/root%s", (int) f->pid, f->path);
      return cover_file (v, f->path, target, err);
    }
  /* PREFIX is missing (or a directory where the container has a file):
   * give its parent a writable copy and put the symlink there. */
  {
    cleanup_free char *target = xasprintf ("/proc/%d/root%s", (int) f->pid, prefix);
    char *last = strrchr (prefix, '/');
    cleanup_free char *link = NULL;

    *last = '\0';
    if (realpath (*prefix ? prefix : "/", parent) == NULL)
      return urun_set_error (err, errno, "resolve `%s`", prefix);
    if (shadow_dir (v, parent, err) < 0)
      return -1;
    link = xasprintf ("%s/%s", strcmp (parent, "/") ? parent : "", last + 1);
    unlink (link);
    rmdir (link);
    if (symlink (target, link) < 0)
      return urun_set_error (err, errno, "create symlink `%s`", link);
  }
  return 0;
}

int
urun_criu_prepare_view (pid_t pid, struct urun_error *err)
{
  __attribute__ ((cleanup (view_free))) struct view v = { .store_fd = -1 };

  if (collect_tree (&v, pid, 0, err) < 0)
    return -1;
  for (size_t i = 0; i < v.n_files; i++)
    {
      struct mapped_file *f = &v.files[i];
      struct stat st;

      if (stat (f->path, &st) == 0 && st.st_ino == f->ino && st.st_dev == f->dev)
        continue;
      urun_debug ("criu view: `%s` -> /proc/%d/root%s", f->path, (int) f->pid, f->path);
      if (redirect (&v, f, err) < 0)
        return urun_wrap_error (err, "make mapped file `%s` visible to criu", f->path);
    }
  return 0;
}
