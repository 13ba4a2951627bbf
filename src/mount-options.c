/* mount-options.c: classify OCI mount options. */
#define _GNU_SOURCE
#include "mount-options.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "utils.h"

static const struct
{
  const char *name;
  bool clear;
  uint64_t attr;
} attr_options[] = {
  { "ro", false, MOUNT_ATTR_RDONLY },       { "rw", true, MOUNT_ATTR_RDONLY },
  { "nosuid", false, MOUNT_ATTR_NOSUID },   { "suid", true, MOUNT_ATTR_NOSUID },
  { "nodev", false, MOUNT_ATTR_NODEV },     { "dev", true, MOUNT_ATTR_NODEV },
  { "noexec", false, MOUNT_ATTR_NOEXEC },   { "exec", true, MOUNT_ATTR_NOEXEC },
  { "nodiratime", false, MOUNT_ATTR_NODIRATIME },
  { "diratime", true, MOUNT_ATTR_NODIRATIME },
  { "nosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW },
  { "symfollow", true, MOUNT_ATTR_NOSYMFOLLOW },
};

static const struct
{
  const char *name;
  uint64_t mode;
} atime_options[] = {
  { "noatime", MOUNT_ATTR_NOATIME },
  { "relatime", MOUNT_ATTR_RELATIME },
  { "strictatime", MOUNT_ATTR_STRICTATIME },
};

static const struct
{
  const char *name;
  unsigned long flag;
  bool recursive;
} propagation_options[] = {
  { "private", MS_PRIVATE, false },       { "rprivate", MS_PRIVATE, true },
  { "shared", MS_SHARED, false },         { "rshared", MS_SHARED, true },
  { "slave", MS_SLAVE, false },           { "rslave", MS_SLAVE, true },
  { "unbindable", MS_UNBINDABLE, false }, { "runbindable", MS_UNBINDABLE, true },
};

/* Accepted and without effect here (fstab words, crun/runc extensions). */
static const char *const ignored_options[] = {
  "defaults", "auto", "noauto", "user", "nouser", "nofail", "_netdev",
  "async", "tmpcopyup", "notmpcopyup", "idmap", "ridmap",
};

static bool
apply_flag_option (const char *o, struct urun_mount_options *out)
{
  for (size_t i = 0; i < sizeof attr_options / sizeof attr_options[0]; i++)
    if (strcmp (o, attr_options[i].name) == 0)
      {
        uint64_t *to = attr_options[i].clear ? &out->attr_clr : &out->attr_set;
        uint64_t *from = attr_options[i].clear ? &out->attr_set : &out->attr_clr;
        *to |= attr_options[i].attr;
        *from &= ~attr_options[i].attr; /* the later option wins */
        return true;
      }
  for (size_t i = 0; i < sizeof atime_options / sizeof atime_options[0]; i++)
    if (strcmp (o, atime_options[i].name) == 0)
      {
        /* The atime modes are one field: set one, clear the mask. mount_setattr(2) */
        out->attr_set = (out->attr_set & ~MOUNT_ATTR__ATIME) | atime_options[i].mode;
        out->attr_clr |= MOUNT_ATTR__ATIME;
        return true;
      }
  for (size_t i = 0; i < sizeof propagation_options / sizeof propagation_options[0]; i++)
    if (strcmp (o, propagation_options[i].name) == 0)
      {
        out->propagation = propagation_options[i].flag;
        out->propagation_recursive = propagation_options[i].recursive;
        return true;
      }
  return false;
}

int
urun_parse_mount_options (char *const *options, size_t n,
                          struct urun_mount_options *out,
                          struct urun_error *err)
{
  memset (out, 0, sizeof *out);
  out->fs_params = xmalloc0 ((n + 1) * sizeof (char *));
  for (size_t i = 0; i < n; i++)
    {
      const char *o = options[i];
      bool ignored = false;

      if (*o == '\0')
        return urun_set_error (err, 0, "options[%zu]: empty option", i);
      if (strcmp (o, "bind") == 0 || strcmp (o, "rbind") == 0)
        {
          out->is_bind = true;
          out->is_recursive = out->is_recursive || o[0] == 'r';
          continue;
        }
      if (apply_flag_option (o, out))
        continue;
      for (size_t k = 0; k < sizeof ignored_options / sizeof ignored_options[0]; k++)
        ignored = ignored || strcmp (o, ignored_options[k]) == 0;
      if (!ignored)
        out->fs_params[out->n_fs_params++] = o;
    }
  return 0;
}

void
urun_free_mount_options (struct urun_mount_options *opts)
{
  free (opts->fs_params);
  opts->fs_params = NULL;
}
