/* idmap.c: write uid_map/gid_map directly or through newuidmap/newgidmap. */
#define _GNU_SOURCE
#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../src/cleanup.h"
#include "../src/utils.h"
#include "newidmap.h"

extern char **environ;

/* A running newuidmap or newgidmap, with the read end of its stderr. */
struct map_helper
{
  const char *tool;
  pid_t pid;
  int stderr_fd;
};

char *
urun_format_id_map (const struct urun_id_mapping *map, size_t n)
{
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&text, &len);

  if (f == NULL)
    abort ();
  for (size_t i = 0; i < n; i++)
    fprintf (f, "%u %u %u\n", map[i].container_id, map[i].host_id, map[i].size);
  fclose (f);
  return text;
}

/* Root may write any map; an unprivileged user only one line mapping its
 * own effective ID. user_namespaces(7), "Defining user and group ID
 * mappings". */
bool
urun_id_map_needs_helper (const struct urun_id_mapping *map, size_t n,
                          unsigned own_id)
{
  if (geteuid () == 0 || n == 0)
    return false;
  return !(n == 1 && map[0].size == 1 && map[0].host_id == own_id);
}

/* Kernel: a map is written once, by one write(2) of the whole text.
 * user_namespaces(7) */
static int
write_map_file (pid_t pid, const char *file, const char *text,
                struct urun_error *err)
{
  char path[64];

  snprintf (path, sizeof path, "/proc/%d/%s", (int) pid, file);
  return urun_write_file_at (AT_FDCWD, path, text, err);
}

/* argv: TOOL PID (CONTAINER HOST SIZE)... */
static char **
helper_argv (const char *tool, pid_t pid, const struct urun_id_mapping *map, size_t n)
{
  char **argv = xmalloc0 ((3 * n + 3) * sizeof (char *));
  size_t k = 0;

  argv[k++] = xstrdup (tool);
  argv[k++] = xasprintf ("%d", (int) pid);
  for (size_t i = 0; i < n; i++)
    {
      argv[k++] = xasprintf ("%u", map[i].container_id);
      argv[k++] = xasprintf ("%u", map[i].host_id);
      argv[k++] = xasprintf ("%u", map[i].size);
    }
  return argv;
}

static int
spawn_helper (enum urun_idmap_tool which, pid_t pid,
              const struct urun_id_mapping *map, size_t n,
              struct map_helper *helper, struct urun_error *err)
{
  const char *tool = urun_idmap_tool_name (which);
  cleanup_strv char **argv = NULL;
  posix_spawn_file_actions_t actions;
  char path[256];
  int pipefd[2];
  int r;

  /* urun_check_id_mappings said why, before any namespace existed. */
  if (!urun_find_idmap_tool (which, path, sizeof path))
    return urun_set_error (err, ENOENT, "`%s` not found", tool);
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return urun_set_error (err, errno, "create pipe for `%s`", tool);
  argv = helper_argv (tool, pid, map, n);
  posix_spawn_file_actions_init (&actions);
  posix_spawn_file_actions_adddup2 (&actions, pipefd[1], 2);
  r = posix_spawn (&helper->pid, path, &actions, NULL, argv, environ);
  posix_spawn_file_actions_destroy (&actions);
  close (pipefd[1]);
  if (r != 0)
    {
      close (pipefd[0]);
      return urun_set_error (err, r, "run `%s`", path);
    }
  helper->tool = tool;
  helper->stderr_fd = pipefd[0];
  return 0;
}

/* Wait for HELPER; its own message (e.g. "uid range [1-65537) ->
 * [100000-165536) not allowed") becomes part of the error. */
static int
wait_helper (struct map_helper *helper, struct urun_error *err)
{
  char msg[512] = "";
  ssize_t n = 0, got;
  int status;

  while ((got = read (helper->stderr_fd, msg + n, sizeof msg - 1 - n)) > 0)
    n += got;
  msg[n > 0 ? n : 0] = '\0';
  msg[strcspn (msg, "\n")] = '\0';
  close (helper->stderr_fd);
  while (waitpid (helper->pid, &status, 0) < 0)
    if (errno != EINTR)
      return urun_set_error (err, errno, "wait for `%s`", helper->tool);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  return urun_set_error (err, 0, "`%s` refused the mapping%s%s", helper->tool,
                         *msg ? ": " : "", msg);
}

int
urun_write_id_maps (pid_t pid, const struct urun_id_mapping *uids,
                    size_t n_uids, const struct urun_id_mapping *gids,
                    size_t n_gids, struct urun_error *err)
{
  struct map_helper helpers[2];
  size_t n_helpers = 0;
  int ret = 0;

  if (urun_id_map_needs_helper (gids, n_gids, getegid ()))
    ret = spawn_helper (URUN_NEWGIDMAP, pid, gids, n_gids, &helpers[n_helpers++], err);
  else if (n_gids > 0)
    {
      cleanup_free char *text = urun_format_id_map (gids, n_gids);
      /* Unprivileged gid_map needs setgroups=deny first (Linux 3.19+,
       * CVE-2014-8989). user_namespaces(7) */
      if (geteuid () != 0 && write_map_file (pid, "setgroups", "deny", err) < 0)
        return -1;
      ret = write_map_file (pid, "gid_map", text, err);
    }
  if (ret == 0 && urun_id_map_needs_helper (uids, n_uids, geteuid ()))
    ret = spawn_helper (URUN_NEWUIDMAP, pid, uids, n_uids, &helpers[n_helpers++], err);
  else if (ret == 0 && n_uids > 0)
    {
      cleanup_free char *text = urun_format_id_map (uids, n_uids);
      ret = write_map_file (pid, "uid_map", text, err);
    }
  /* Both helpers run at once; wait for every one we started. */
  for (size_t i = 0; i < n_helpers; i++)
    {
      cleanup_error struct urun_error helper_err = URUN_ERROR_INIT;
      if (wait_helper (&helpers[i], &helper_err) < 0 && ret == 0)
        {
          *err = helper_err;
          helper_err = (struct urun_error) URUN_ERROR_INIT;
          ret = -1;
        }
    }
  return ret;
}
