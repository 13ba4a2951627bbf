/* rootless.c: default user namespace and mappings for unprivileged callers. */
#define _GNU_SOURCE
#include "rootless.h"

#include <errno.h>
#include <pwd.h>
#include <shadow/subid.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/cleanup.h"
#include "../src/log.h"
#include "../src/utils.h"

int
urun_subid_mappings (bool is_gid, uint32_t first, struct urun_id_mapping **out,
                     size_t *n, struct urun_error *err)
{
  struct passwd *pw = getpwuid (geteuid ());
  struct subid_range *ranges = NULL;
  int count;
  uint32_t next = first;

  *out = NULL;
  *n = 0;
  if (pw == NULL)
    return urun_set_error (err, errno, "look up the name of uid %d", (int) geteuid ());
  /* libsubid asks the configured source: /etc/subuid or an NSS module
   * (`subid:` in nsswitch.conf), which hand-parsing would miss. */
  count = is_gid ? subid_get_gid_ranges (pw->pw_name, &ranges)
                 : subid_get_uid_ranges (pw->pw_name, &ranges);
  if (count <= 0)
    {
      free (ranges);
      return 0;
    }
  *out = xmalloc0 (count * sizeof (struct urun_id_mapping));
  for (int i = 0; i < count; i++)
    {
      (*out)[i] = (struct urun_id_mapping){ next, (uint32_t) ranges[i].start,
                                            (uint32_t) ranges[i].count };
      next += (uint32_t) ranges[i].count;
    }
  *n = (size_t) count;
  free (ranges);
  return 0;
}

/* The caller's own ID as root, then its subordinate range(s). */
static int
default_mappings (bool is_gid, struct urun_id_mapping **out, size_t *n,
                  struct urun_error *err)
{
  cleanup_free struct urun_id_mapping *sub = NULL;
  size_t n_sub = 0;
  uint32_t own = is_gid ? getegid () : geteuid ();

  if (urun_subid_mappings (is_gid, 1, &sub, &n_sub, err) < 0)
    return -1;
  *out = xmalloc0 ((n_sub + 1) * sizeof (struct urun_id_mapping));
  (*out)[0] = (struct urun_id_mapping){ 0, own, 1 };
  if (n_sub)
    memcpy (*out + 1, sub, n_sub * sizeof (struct urun_id_mapping));
  *n = n_sub + 1;
  return 0;
}

static void
add_user_namespace (struct urun_spec *spec)
{
  struct urun_linux *l = &spec->linux_;

  l->namespaces = xrealloc (l->namespaces, (l->n_namespaces + 1) * sizeof (struct urun_namespace));
  l->namespaces[l->n_namespaces++] = (struct urun_namespace){ .type = URUN_NS_USER };
  urun_debug ("rootless: the spec has no user namespace; adding one");
}

int
urun_rootless_adapt_spec (struct urun_spec *spec, struct urun_error *err)
{
  struct urun_linux *l = &spec->linux_;
  const struct urun_namespace *user = urun_spec_namespace (spec, URUN_NS_USER);

  if (geteuid () == 0)
    return 0;
  if (user == NULL)
    add_user_namespace (spec);
  else if (user->path != NULL)
    return 0; /* joined: its maps exist already */
  if (l->n_uid_mappings == 0 && default_mappings (false, &l->uid_mappings, &l->n_uid_mappings, err) < 0)
    return -1;
  if (l->n_gid_mappings == 0 && default_mappings (true, &l->gid_mappings, &l->n_gid_mappings, err) < 0)
    return -1;
  return 0;
}
