/* criu-image.c: what urun keeps next to criu's images (urun.json: how the
 * container was made, which mounts are external, its stdio), and the one
 * fix urun makes to criu's images: mount options with host IDs. */
#define _GNU_SOURCE
#include "criu.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "cleanup.h"
#include "utils.h"

#define RECORD_FILE "urun.json"

void
urun_criu_record_free (struct urun_criu_record *r)
{
  free (r->uid_map);
  free (r->gid_map);
  free (r->namespaces);
  free (r->root_options);
  free (r->hostname);
  free (r->domainname);
  urun_criu_externals_free (r->externals, r->n_externals);
  for (int i = 0; i < 3; i++)
    free (r->stdio[i].key);
  memset (r, 0, sizeof *r);
}

static void
gen_str (yajl_gen g, const char *key, const char *value)
{
  yajl_gen_string (g, (const unsigned char *) key, strlen (key));
  if (value)
    yajl_gen_string (g, (const unsigned char *) value, strlen (value));
  else
    yajl_gen_null (g);
}

static void
gen_externals (yajl_gen g, const struct urun_criu_record *r)
{
  yajl_gen_string (g, (const unsigned char *) "externals", 9);
  yajl_gen_array_open (g);
  for (size_t i = 0; i < r->n_externals; i++)
    {
      if (r->externals[i].key == NULL)
        continue; /* not in the image */
      yajl_gen_map_open (g);
      gen_str (g, "key", r->externals[i].key);
      gen_str (g, "mountpoint", r->externals[i].mountpoint);
      gen_str (g, "hostPath", r->externals[i].host_path);
      gen_str (g, "options", r->externals[i].options);
      yajl_gen_string (g, (const unsigned char *) "recursive", 9);
      yajl_gen_bool (g, r->externals[i].recursive);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
}

int
urun_criu_record_write (int images_fd, const struct urun_criu_record *r,
                        struct urun_error *err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  cleanup_close int fd = -1;
  size_t len;
  int ret = 0;

  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_map_open (g);
  yajl_gen_string (g, (const unsigned char *) "rootless", 8);
  yajl_gen_bool (g, r->rootless);
  gen_str (g, "uidMap", r->uid_map);
  gen_str (g, "gidMap", r->gid_map);
  gen_str (g, "namespaces", r->namespaces);
  gen_str (g, "rootOptions", r->root_options);
  gen_str (g, "hostname", r->hostname);
  gen_str (g, "domainname", r->domainname);
  gen_externals (g, r);
  yajl_gen_string (g, (const unsigned char *) "stdio", 5);
  yajl_gen_array_open (g);
  for (int i = 0; i < 3; i++)
    if (r->stdio[i].key)
      yajl_gen_string (g, (const unsigned char *) r->stdio[i].key, strlen (r->stdio[i].key));
    else
      yajl_gen_null (g);
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  fd = openat (images_fd, RECORD_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || urun_write_all (fd, buf, len) < 0)
    ret = urun_set_error (err, errno, "write `%s` in the image directory", RECORD_FILE);
  yajl_gen_free (g);
  return ret;
}

static char *
get_str (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_string);

  return v ? xstrdup (YAJL_GET_STRING (v)) : NULL;
}

static void
read_externals (yajl_val root, struct urun_criu_record *r)
{
  const char *path[] = { "externals", NULL };
  yajl_val a = yajl_tree_get (root, path, yajl_t_array);

  if (a == NULL)
    return;
  r->externals = xmalloc0 ((YAJL_GET_ARRAY (a)->len + 1) * sizeof *r->externals);
  for (size_t i = 0; i < YAJL_GET_ARRAY (a)->len; i++)
    {
      const char *rec_path[] = { "recursive", NULL };
      yajl_val e = YAJL_GET_ARRAY (a)->values[i];
      struct urun_criu_external x = {
        get_str (e, "key"), get_str (e, "mountpoint"), get_str (e, "hostPath"),
        get_str (e, "options"), YAJL_IS_TRUE (yajl_tree_get (e, rec_path, yajl_t_true)),
      };
      if (x.key && x.mountpoint && x.host_path && x.options)
        r->externals[r->n_externals++] = x;
      else
        {
          free (x.key);
          free (x.mountpoint);
          free (x.host_path);
          free (x.options);
        }
    }
}

int
urun_criu_record_read (int images_fd, struct urun_criu_record *r,
                       struct urun_error *err)
{
  cleanup_free char *json = NULL;
  const char *rootless_path[] = { "rootless", NULL };
  const char *stdio_path[] = { "stdio", NULL };
  char errbuf[256];
  yajl_val root, stdio;

  memset (r, 0, sizeof *r);
  if (urun_read_file_at (images_fd, RECORD_FILE, &json, NULL, err) < 0)
    return urun_wrap_error (err, "not an image of urun checkpoint");
  root = yajl_tree_parse (json, errbuf, sizeof errbuf);
  if (root == NULL || !YAJL_IS_OBJECT (root))
    {
      yajl_tree_free (root);
      return urun_set_error (err, 0, "`%s` in the image directory: invalid JSON", RECORD_FILE);
    }
  r->rootless = YAJL_IS_TRUE (yajl_tree_get (root, rootless_path, yajl_t_true));
  r->uid_map = get_str (root, "uidMap");
  r->gid_map = get_str (root, "gidMap");
  r->namespaces = get_str (root, "namespaces");
  r->root_options = get_str (root, "rootOptions");
  r->hostname = get_str (root, "hostname");
  r->domainname = get_str (root, "domainname");
  read_externals (root, r);
  stdio = yajl_tree_get (root, stdio_path, yajl_t_array);
  for (size_t i = 0; stdio && i < 3 && i < YAJL_GET_ARRAY (stdio)->len; i++)
    if (YAJL_IS_STRING (YAJL_GET_ARRAY (stdio)->values[i]))
      r->stdio[i].key = xstrdup (YAJL_GET_STRING (YAJL_GET_ARRAY (stdio)->values[i]));
  yajl_tree_free (root);
  if (r->namespaces == NULL || r->root_options == NULL)
    return urun_set_error (err, 0, "`%s` in the image directory: `namespaces` or `rootOptions` missing",
                           RECORD_FILE);
  return 0;
}

/* /proc/PID/ns names in a fixed order, as the record lists them. No time
 * namespace: criu dumps and restores one of its own (timens images), so a
 * restored container has one its config never asked for. */
static const char *const ns_names[] = { "cgroup", "ipc", "mnt", "net", "pid", "user", "uts" };

char *
urun_criu_own_namespaces (pid_t pid)
{
  char list[128] = "", path[64];
  struct stat theirs, ours;

  for (size_t i = 0; i < sizeof ns_names / sizeof ns_names[0]; i++)
    {
      snprintf (path, sizeof path, "/proc/%d/ns/%s", (int) pid, ns_names[i]);
      if (stat (path, &theirs) < 0)
        continue;
      snprintf (path, sizeof path, "/proc/self/ns/%s", ns_names[i]);
      if (stat (path, &ours) == 0 && ours.st_ino == theirs.st_ino && ours.st_dev == theirs.st_dev)
        continue;
      snprintf (list + strlen (list), sizeof list - strlen (list), "%s%s", *list ? "," : "", ns_names[i]);
    }
  return xstrdup (list);
}

char *
urun_criu_spec_namespaces (const struct urun_spec *spec)
{
  static const char *const by_type[URUN_NS_COUNT] = {
    [URUN_NS_USER] = "user", [URUN_NS_MOUNT] = "mnt", [URUN_NS_PID] = "pid",
    [URUN_NS_NETWORK] = "net", [URUN_NS_IPC] = "ipc", [URUN_NS_UTS] = "uts",
    [URUN_NS_CGROUP] = "cgroup", [URUN_NS_TIME] = "time",
  };
  char list[128] = "";

  for (size_t i = 0; i < sizeof ns_names / sizeof ns_names[0]; i++)
    for (int t = 0; t < URUN_NS_COUNT; t++)
      {
        const struct urun_namespace *ns = urun_spec_namespace (spec, t);
        if (ns && ns->path == NULL && by_type[t] && strcmp (by_type[t], ns_names[i]) == 0)
          snprintf (list + strlen (list), sizeof list - strlen (list), "%s%s", *list ? "," : "", ns_names[i]);
      }
  return xstrdup (list);
}

char *
urun_criu_read_id_map (pid_t pid, const char *file)
{
  char path[64];
  cleanup_fclose FILE *f = NULL;
  cleanup_free char *out = xstrdup ("");
  unsigned long c, h, s;

  snprintf (path, sizeof path, "/proc/%d/%s", (int) pid, file);
  f = fopen (path, "re");
  if (f == NULL)
    return NULL;
  while (fscanf (f, "%lu %lu %lu", &c, &h, &s) == 3)
    {
      char *next = xasprintf ("%s%lu %lu %lu\n", out, c, h, s);
      free (out);
      out = next;
    }
  return TAKE_PTR (out);
}
