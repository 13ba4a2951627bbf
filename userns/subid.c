/* subid.c: the caller's subordinate ID ranges, through libsubid. */
#define _GNU_SOURCE
#include "subid.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <pwd.h>
#include <shadow/subid.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/cleanup.h"
#include "../src/log.h"
#include "../src/utils.h"

char *
urun_caller_name (void)
{
  struct passwd *pw = getpwuid (geteuid ());

  if (pw == NULL)
    return xasprintf ("uid %d", (int) geteuid ());
  return xstrdup (pw->pw_name);
}

/* libsubid, loaded when a user namespace needs subordinate IDs: linking it
 * would load pam, selinux, audit and six more libraries into every urun,
 * ~1 ms at each start and each re-exec of the self-clone. */
static struct
{
  bool loaded;
  int (*get_uid_ranges) (const char *owner, struct subid_range **ranges);
  int (*get_gid_ranges) (const char *owner, struct subid_range **ranges);
} libsubid;

/* libsubid prints its own complaints to stderr unless told otherwise; our
 * callers say what a missing range means. subid.h, subid_init */
static bool
load_libsubid (void)
{
  static bool tried;
  bool (*init) (const char *progname, FILE *logfd);
  void *handle;

  if (tried)
    return libsubid.loaded;
  tried = true;
  handle = dlopen ("libsubid.so.4", RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL)
    {
      urun_debug ("libsubid not loaded (%s): no subordinate IDs", dlerror ());
      return false;
    }
  init = (bool (*) (const char *, FILE *)) dlsym (handle, "subid_init");
  libsubid.get_uid_ranges = (int (*) (const char *, struct subid_range **)) dlsym (handle, "subid_get_uid_ranges");
  libsubid.get_gid_ranges = (int (*) (const char *, struct subid_range **)) dlsym (handle, "subid_get_gid_ranges");
  libsubid.loaded = init && libsubid.get_uid_ranges && libsubid.get_gid_ranges;
  if (libsubid.loaded)
    init ("urun", NULL);
  return libsubid.loaded;
}

bool
urun_subid_available (void)
{
  return load_libsubid ();
}

int
urun_subid_ranges (bool is_gid, struct urun_subid_range **out, size_t *n,
                   struct urun_error *err)
{
  struct passwd *pw = getpwuid (geteuid ());
  struct subid_range *ranges = NULL;
  int count;

  *out = NULL;
  *n = 0;
  if (pw == NULL)
    return urun_set_error (err, errno, "look up the name of uid %d", (int) geteuid ());
  if (!load_libsubid ())
    return 0;
  count = is_gid ? libsubid.get_gid_ranges (pw->pw_name, &ranges)
                 : libsubid.get_uid_ranges (pw->pw_name, &ranges);
  if (count < 0)
    urun_debug ("libsubid could not read the subordinate %s of `%s`: taking none",
                is_gid ? "gids" : "uids", pw->pw_name);
  if (count <= 0)
    {
      free (ranges);
      return 0;
    }
  *out = xmalloc0 ((size_t) count * sizeof (struct urun_subid_range));
  for (int i = 0; i < count; i++)
    {
      /* IDs are 32 bits; a range past 2^32 - 1 is clipped, as newuidmap
       * could never map the rest. */
      unsigned long end = ranges[i].start + ranges[i].count;
      if (ranges[i].start > UINT32_MAX || ranges[i].count == 0)
        continue;
      if (end > UINT32_MAX)
        end = UINT32_MAX;
      (*out)[*n].start = (uint32_t) ranges[i].start;
      (*out)[*n].count = (uint32_t) (end - ranges[i].start);
      (*n)++;
    }
  free (ranges);
  return 0;
}

bool
urun_subid_covers (const struct urun_subid_range *ranges, size_t n,
                   uint32_t start, uint32_t count)
{
  uint64_t next = start;
  uint64_t end = (uint64_t) start + count;
  bool progress = true;

  /* Walk from START through whichever range holds the next ID. */
  while (next < end && progress)
    {
      progress = false;
      for (size_t i = 0; i < n; i++)
        {
          uint64_t r_end = (uint64_t) ranges[i].start + ranges[i].count;
          if (ranges[i].start <= next && next < r_end)
            {
              next = r_end;
              progress = true;
            }
        }
    }
  return next >= end;
}

int
urun_subid_mappings (bool is_gid, uint32_t first, struct urun_id_mapping **out,
                     size_t *n, struct urun_error *err)
{
  cleanup_free struct urun_subid_range *ranges = NULL;
  uint64_t next = first;

  *out = NULL;
  if (urun_subid_ranges (is_gid, &ranges, n, err) < 0)
    return -1;
  if (*n == 0)
    return 0;
  *out = xmalloc0 (*n * sizeof (struct urun_id_mapping));
  for (size_t i = 0; i < *n; i++)
    {
      uint32_t count = ranges[i].count;
      /* Container IDs are 32 bits too: stop at the last one. */
      if (next + count > UINT32_MAX)
        count = (uint32_t) (UINT32_MAX - next);
      (*out)[i] = (struct urun_id_mapping){ (uint32_t) next, ranges[i].start, count };
      next += count;
      if (count == 0)
        {
          *n = i;
          break;
        }
    }
  return 0;
}
