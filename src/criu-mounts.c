/* criu-mounts.c: the container's mounts as criu must see them — mountinfo,
 * the mounts that came from the host (external to criu), the flags of `/`. */
#define _GNU_SOURCE
#include "criu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "cleanup.h"
#include "utils.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo. proc(5) */
static char *
unescape (const char *s)
{
  char *out = xmalloc0 (strlen (s) + 1), *o = out;

  while (*s)
    {
      if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7'
          && s[3] >= '0' && s[3] <= '7')
        {
          *o++ = (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
          s += 4;
        }
      else
        *o++ = *s++;
    }
  return out;
}

/* "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw" */
static bool
parse_line (char *line, struct urun_mountinfo *m)
{
  char *f[6], *save = NULL, *dash, *type;
  int i;

  dash = strstr (line, " - ");
  if (dash == NULL)
    return false;
  *dash = '\0';
  for (i = 0; i < 6; i++)
    if ((f[i] = strtok_r (i == 0 ? line : NULL, " ", &save)) == NULL)
      return false;
  type = strtok_r (dash + 3, " ", &save);
  if (type == NULL || sscanf (f[2], "%u:%u", &m->dev_major, &m->dev_minor) != 2)
    return false;
  m->id = atoi (f[0]);
  m->parent = atoi (f[1]);
  m->root = unescape (f[3]);
  m->mountpoint = unescape (f[4]);
  m->options = xstrdup (f[5]);
  m->fstype = xstrdup (type);
  return true;
}

struct urun_mountinfo *
urun_mountinfo_read (pid_t pid, size_t *n, struct urun_error *err)
{
  char path[64];
  cleanup_fclose FILE *f = NULL;
  cleanup_free char *line = NULL;
  size_t cap = 0, alloc = 16;
  struct urun_mountinfo *m = xmalloc0 (alloc * sizeof *m);

  snprintf (path, sizeof path, "/proc/%d/mountinfo", (int) pid);
  f = fopen (path, "re");
  if (f == NULL)
    {
      free (m);
      urun_set_error (err, errno, "open `%s`", path);
      return NULL;
    }
  *n = 0;
  while (getline (&line, &cap, f) > 0)
    {
      line[strcspn (line, "\n")] = '\0';
      if (*n == alloc)
        m = xrealloc (m, (alloc *= 2) * sizeof *m);
      memset (&m[*n], 0, sizeof *m);
      if (parse_line (line, &m[*n]))
        (*n)++;
    }
  return m;
}

void
urun_mountinfo_free (struct urun_mountinfo *m, size_t n)
{
  for (size_t i = 0; m && i < n; i++)
    {
      free (m[i].root);
      free (m[i].mountpoint);
      free (m[i].options);
      free (m[i].fstype);
    }
  free (m);
}

/* Where our own mount namespace shows the file system root R of device
 * DEV: the mount of DEV whose root is the longest prefix of R. */
static char *
host_path_of (const struct urun_mountinfo *host, size_t n, const struct urun_mountinfo *c)
{
  const struct urun_mountinfo *best = NULL;
  size_t best_len = 0;
  const char *rest;

  for (size_t i = 0; i < n; i++)
    {
      size_t len = strlen (host[i].root);

      if (host[i].dev_major != c->dev_major || host[i].dev_minor != c->dev_minor)
        continue;
      if (strcmp (host[i].root, "/") == 0)
        len = 0;
      else if (strncmp (c->root, host[i].root, len) != 0
               || (c->root[len] != '/' && c->root[len] != '\0'))
        continue;
      if (best == NULL || len > best_len)
        best = &host[i], best_len = len;
    }
  if (best == NULL)
    return NULL;
  rest = strcmp (c->root + best_len, "/") == 0 ? "" : c->root + best_len;
  if (strcmp (best->mountpoint, "/") == 0)
    return xstrdup (*rest ? rest : "/");
  return xasprintf ("%s%s", best->mountpoint, rest);
}

static struct urun_criu_external *
by_mountpoint (struct urun_criu_external *e, size_t n, const char *mp)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (e[i].mountpoint, mp) == 0)
      return &e[i];
  return NULL;
}

static ssize_t
parent_of (const struct urun_mountinfo *c, size_t nc, size_t i)
{
  for (size_t j = 0; j < nc; j++)
    if (c[j].id == c[i].parent && strcmp (c[j].mountpoint, "/") != 0)
      return (ssize_t) j;
  return -1;
}

/* A mount whose superblock is mounted in our namespace as well came from
 * the host (a bind mount, a device node, a rootless /sys): the container
 * could not have made it, so neither can criu, which binds it from the host
 * path on restore. Mounts the container made itself (proc, tmpfs, devpts,
 * mqueue) have superblocks of their own. A host mount below another one
 * came with it (rbind): it gets no key, and the top one binds recursively.
 * The same mountpoint twice (overmounted) is one entry: criu maps
 * externals by mountpoint. */
static void
collect_externals (const struct urun_mountinfo *c, size_t nc,
                   const struct urun_mountinfo *host, size_t nh,
                   struct urun_criu_external **out, size_t *n)
{
  struct urun_criu_external *e = xmalloc0 ((nc + 1) * sizeof *e);
  char **from_host = xmalloc0 ((nc + 1) * sizeof (char *));
  size_t keys = 0;

  for (size_t i = 0; i < nc; i++)
    if (strcmp (c[i].mountpoint, "/") != 0)
      from_host[i] = host_path_of (host, nh, &c[i]);
  *n = 0;
  for (size_t i = 0; i < nc; i++)
    {
      ssize_t p = parent_of (c, nc, i), top = (ssize_t) i;

      if (from_host[i] == NULL || by_mountpoint (e, *n, c[i].mountpoint))
        continue;
      while (p >= 0 && from_host[p])
        top = p, p = parent_of (c, nc, (size_t) p);
      e[*n] = (struct urun_criu_external){
        .key = top == (ssize_t) i ? xasprintf ("urun%zu", keys++) : NULL,
        .mountpoint = xstrdup (c[i].mountpoint),
        .host_path = xstrdup (from_host[i]),
        .options = xstrdup (c[i].options),
      };
      if (top != (ssize_t) i && by_mountpoint (e, *n, c[top].mountpoint))
        by_mountpoint (e, *n, c[top].mountpoint)->recursive = true;
      (*n)++;
    }
  for (size_t i = 0; i < nc; i++)
    free (from_host[i]);
  free (from_host);
  *out = e;
}

int
urun_criu_find_externals (pid_t pid, struct urun_criu_external **out,
                          size_t *n, char **root_options,
                          struct urun_error *err)
{
  size_t nc = 0, nh = 0;
  struct urun_mountinfo *c = urun_mountinfo_read (pid, &nc, err);
  struct urun_mountinfo *host = c ? urun_mountinfo_read (getpid (), &nh, err) : NULL;
  int r = -1;

  if (host)
    {
      collect_externals (c, nc, host, nh, out, n);
      r = 0;
    }
  *root_options = NULL;
  for (size_t i = 0; r == 0 && i < nc; i++)
    if (strcmp (c[i].mountpoint, "/") == 0)
      {
        free (*root_options);
        *root_options = xstrdup (c[i].options); /* the last one is on top */
      }
  if (r == 0 && *root_options == NULL)
    r = urun_set_error (err, 0, "no `/` in `/proc/%d/mountinfo`", (int) pid);
  urun_mountinfo_free (c, nc);
  urun_mountinfo_free (host, nh);
  return r;
}

void
urun_criu_externals_free (struct urun_criu_external *e, size_t n)
{
  for (size_t i = 0; e && i < n; i++)
    {
      free (e[i].key);
      free (e[i].mountpoint);
      free (e[i].host_path);
      free (e[i].options);
    }
  free (e);
}

uint64_t
urun_mount_attrs_of (const char *options)
{
  cleanup_free char *copy = xstrdup (options);
  char *save = NULL;
  /* mountinfo shows "relatime" or "noatime", and nothing for strictatime;
   * MOUNT_ATTR_RELATIME is 0. mount_setattr(2) */
  uint64_t attrs = MOUNT_ATTR_STRICTATIME;

  for (char *o = strtok_r (copy, ",", &save); o; o = strtok_r (NULL, ",", &save))
    {
      if (strcmp (o, "ro") == 0)
        attrs |= MOUNT_ATTR_RDONLY;
      else if (strcmp (o, "nosuid") == 0)
        attrs |= MOUNT_ATTR_NOSUID;
      else if (strcmp (o, "nodev") == 0)
        attrs |= MOUNT_ATTR_NODEV;
      else if (strcmp (o, "noexec") == 0)
        attrs |= MOUNT_ATTR_NOEXEC;
      else if (strcmp (o, "nodiratime") == 0)
        attrs |= MOUNT_ATTR_NODIRATIME;
      else if (strcmp (o, "noatime") == 0)
        attrs = (attrs & ~MOUNT_ATTR__ATIME) | MOUNT_ATTR_NOATIME;
      else if (strcmp (o, "relatime") == 0)
        attrs = (attrs & ~MOUNT_ATTR__ATIME) | MOUNT_ATTR_RELATIME;
    }
  return attrs;
}
