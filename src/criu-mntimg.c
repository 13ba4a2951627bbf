/* criu-mntimg.c: two fixes to criu's mountpoints images.
 *
 * 1. uid=/gid= mount options, from host IDs to the IDs of the container's
 * user namespace. tmpfs and devpts print their uid=/gid= options in the initial user
 * namespace, whoever reads mountinfo (shmem_show_options, devpts_show_options
 * use &init_user_ns; Linux 6.18 still does). A tmpfs the container's root
 * mounted shows "uid=1001" for a caller with uid 1001; criu replays that
 * option inside the user namespace, where 1001 means another user (or none:
 * EINVAL), so the restored tmpfs belongs to the wrong owner and the next
 * checkpoint cannot be restored at all. We rewrite the options in the
 * container's terms, which the kernel maps back on mount.
 *
 * 2. MS_REC on an external mount with mounts from the host below it (a
 * rootless /sys, an rbind): criu binds an external mount recursively only
 * when its flags say MS_REC, which mountinfo never shows; and in a user
 * namespace a bind without them fails (EINVAL: they are locked,
 * mount_namespaces(7)). The mounts below are left out of the image
 * (--skip-mnt): the recursive bind brings them back.
 *
 * The images are protobuf (criu's images/mnt.proto, mnt_entry): after two
 * 32-bit magics, each entry is a 32-bit length and the message. Only field
 * 9 (options, a string) changes; every other field is copied as it is. */
#define _GNU_SOURCE
#include "criu.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "utils.h"

#include <sys/mount.h>

#define MNT_ENTRY_FLAGS 5
#define MNT_ENTRY_MOUNTPOINT 7
#define MNT_ENTRY_OPTIONS 9

struct fix
{
  const char *uid_map;
  const char *gid_map;
  const struct urun_criu_external *externals;
  size_t n_externals;
};

struct buf
{
  unsigned char *data;
  size_t len, cap;
};

static void
put (struct buf *b, const void *p, size_t n)
{
  if (b->len + n > b->cap)
    b->data = xrealloc (b->data, b->cap = (b->len + n) * 2 + 64);
  memcpy (b->data + b->len, p, n);
  b->len += n;
}

static void
put_varint (struct buf *b, uint64_t v)
{
  unsigned char c;

  do
    {
      c = (unsigned char) (v & 0x7f);
      v >>= 7;
      if (v)
        c |= 0x80;
      put (b, &c, 1);
    }
  while (v);
}

static bool
get_varint (const unsigned char *p, size_t len, size_t *off, uint64_t *v)
{
  *v = 0;
  for (int shift = 0; *off < len && shift < 64; shift += 7)
    {
      unsigned char c = p[(*off)++];
      *v |= (uint64_t) (c & 0x7f) << shift;
      if (!(c & 0x80))
        return true;
    }
  return false;
}

/* Host ID -> ID in the namespace, by a map "inside outside count\n...". */
static bool
id_inside (const char *map, unsigned long host, unsigned long *inside)
{
  unsigned long c, h, s;
  int n;

  while (map && sscanf (map, "%lu %lu %lu%n", &c, &h, &s, &n) == 3)
    {
      if (host >= h && host - h < s)
        {
          *inside = c + (host - h);
          return true;
        }
      map += n;
    }
  return false;
}

static char *
translate_options (const char *options, const char *uid_map, const char *gid_map)
{
  cleanup_free char *copy = xstrdup (options);
  struct buf out = { 0 };
  char *save = NULL, num[32];
  unsigned long id, inside;

  for (char *o = strtok_r (copy, ",", &save); o; o = strtok_r (NULL, ",", &save))
    {
      bool is_uid = strncmp (o, "uid=", 4) == 0, is_gid = strncmp (o, "gid=", 4) == 0;

      if (out.len)
        put (&out, ",", 1);
      if ((is_uid || is_gid) && sscanf (o + 4, "%lu", &id) == 1
          && id_inside (is_uid ? uid_map : gid_map, id, &inside))
        {
          snprintf (num, sizeof num, "%cid=%lu", is_uid ? 'u' : 'g', inside);
          put (&out, num, strlen (num));
        }
      else
        put (&out, o, strlen (o));
    }
  put (&out, "", 1);
  return (char *) out.data;
}

/* Field NUMBER (a string) of a message, or NULL. */
static char *
find_string (const unsigned char *p, size_t len, uint64_t number)
{
  size_t off = 0;
  uint64_t key, v;

  while (off < len && get_varint (p, len, &off, &key))
    {
      switch (key & 7)
        {
        case 0: if (!get_varint (p, len, &off, &v)) return NULL; break;
        case 1: off += 8; break;
        case 5: off += 4; break;
        case 2:
          if (!get_varint (p, len, &off, &v) || v > len - off)
            return NULL;
          if ((key >> 3) == number)
            return strndup ((const char *) p + off, v);
          off += v;
          break;
        default: return NULL;
        }
    }
  return NULL;
}

static bool
wants_rec (const struct fix *f, const char *mountpoint)
{
  /* criu writes mountpoints relative to the root: "./sys". */
  const char *mp = mountpoint[0] == '.' ? mountpoint + 1 : mountpoint;

  for (size_t i = 0; mountpoint && i < f->n_externals; i++)
    if (f->externals[i].key && f->externals[i].recursive
        && strcmp (f->externals[i].mountpoint, *mp ? mp : "/") == 0)
      return true;
  return false;
}

/* Copy one mnt_entry message with the fixes. */
static bool
rewrite_entry (const unsigned char *p, size_t len, struct buf *out,
               const struct fix *f)
{
  cleanup_free char *mountpoint = find_string (p, len, MNT_ENTRY_MOUNTPOINT);
  bool rec = mountpoint && wants_rec (f, mountpoint);
  size_t off = 0;

  while (off < len)
    {
      size_t start = off;
      uint64_t key, v;

      if (!get_varint (p, len, &off, &key))
        return false;
      switch (key & 7)
        {
        case 0:
          if (!get_varint (p, len, &off, &v))
            return false;
          if ((key >> 3) == MNT_ENTRY_FLAGS && rec)
            {
              put_varint (out, key);
              put_varint (out, v | MS_REC);
              continue;
            }
          break;
        case 1: off += 8; break;
        case 5: off += 4; break;
        case 2:
          if (!get_varint (p, len, &off, &v) || v > len - off)
            return false;
          if ((key >> 3) == MNT_ENTRY_OPTIONS && f->uid_map)
            {
              cleanup_free char *old = strndup ((const char *) p + off, v);
              cleanup_free char *new = translate_options (old, f->uid_map, f->gid_map);
              put_varint (out, key);
              put_varint (out, strlen (new));
              put (out, new, strlen (new));
              off += v;
              continue;
            }
          off += v;
          break;
        default: return false;
        }
      if (off > len)
        return false;
      put (out, p + start, off - start);
    }
  return true;
}

static int
rewrite_image (int images_fd, const char *name, const struct fix *f,
               struct urun_error *err)
{
  cleanup_free char *data = NULL;
  cleanup_free char *tmp = xasprintf ("%s.urun-tmp", name);
  cleanup_close int fd = -1;
  struct buf out = { 0 };
  size_t len = 0, off = 8;
  const unsigned char *p;

  if (urun_read_file_at (images_fd, name, &data, &len, err) < 0)
    return -1;
  p = (const unsigned char *) data;
  if (len < 8)
    return urun_set_error (err, 0, "image `%s` is truncated", name);
  put (&out, p, 8); /* the magics */
  while (off + 4 <= len)
    {
      uint32_t n, new_n;
      size_t at;

      memcpy (&n, p + off, 4);
      off += 4;
      if (n > len - off)
        break;
      at = out.len;
      put (&out, &n, 4); /* the new length, once known */
      if (!rewrite_entry (p + off, n, &out, f))
        break;
      new_n = (uint32_t) (out.len - at - 4);
      memcpy (out.data + at, &new_n, 4);
      off += n;
    }
  if (off != len)
    {
      free (out.data);
      return urun_set_error (err, 0, "image `%s`: not a mountpoints image urun can read", name);
    }
  fd = openat (images_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || urun_write_all (fd, out.data, out.len) < 0 || renameat (images_fd, tmp, images_fd, name) < 0)
    {
      free (out.data);
      return urun_set_error (err, errno, "rewrite image `%s`", name);
    }
  free (out.data);
  return 0;
}

int
urun_criu_fix_mount_images (int images_fd, const char *uid_map,
                            const char *gid_map,
                            const struct urun_criu_external *e, size_t n,
                            struct urun_error *err)
{
  struct fix f = { uid_map, gid_map, e, n };
  cleanup_closedir DIR *d = NULL;
  struct dirent *de;
  int fd = dup (images_fd);

  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return urun_set_error (err, errno, "read the image directory");
    }
  while ((de = readdir (d)) != NULL)
    if (strncmp (de->d_name, "mountpoints-", 12) == 0
        && rewrite_image (images_fd, de->d_name, &f, err) < 0)
      return -1;
  return 0;
}
