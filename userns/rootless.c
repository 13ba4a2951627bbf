/* rootless.c: default user namespace and mappings for unprivileged callers,
 * and the identity modes. */
#define _GNU_SOURCE
#include "rootless.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/cleanup.h"
#include "../src/log.h"
#include "../src/utils.h"
#include "mappings.h"

static void
add_user_namespace (struct urun_spec *spec)
{
  struct urun_linux *l = &spec->linux_;

  l->namespaces = xrealloc (l->namespaces, (l->n_namespaces + 1) * sizeof (struct urun_namespace));
  l->namespaces[l->n_namespaces++] = (struct urun_namespace){ .type = URUN_NS_USER };
  urun_debug ("userns: the spec has no user namespace; adding one");
}

/* One short line per run, however many maps fell back; said once the
 * spec passed its checks, so that an error stays the only line. */
static void
say_single_id (bool no_uids, bool no_gids)
{
  static bool said;
  cleanup_free char *name = NULL;

  if (said || (!no_uids && !no_gids))
    return;
  said = true;
  name = urun_caller_name ();
  urun_warn ("no subordinate %s for `%s`: mapping only your own ID (see `urun check`)",
             no_uids && no_gids ? "IDs" : no_uids ? "uids" : "gids", name);
}

static int
set_mappings (struct urun_spec *spec, enum urun_userns_mode mode, bool replace,
              bool *no_uids, bool *no_gids, struct urun_error *err)
{
  struct urun_linux *l = &spec->linux_;

  if (replace || l->n_uid_mappings == 0)
    {
      free (l->uid_mappings);
      l->uid_mappings = NULL;
      if (urun_build_id_mappings (mode, false, &l->uid_mappings, &l->n_uid_mappings, no_uids, err) < 0)
        return -1;
    }
  if (replace || l->n_gid_mappings == 0)
    {
      free (l->gid_mappings);
      l->gid_mappings = NULL;
      if (urun_build_id_mappings (mode, true, &l->gid_mappings, &l->n_gid_mappings, no_gids, err) < 0)
        return -1;
    }
  return 0;
}

/* keep-id: the templates' root user becomes the caller; a spec that names
 * another user keeps it (podman sets the caller too). */
static void
keep_caller_identity (struct urun_spec *spec)
{
  struct urun_user *u = &spec->process.user;

  if (!spec->has_process || u->uid != 0 || u->gid != 0)
    return;
  u->uid = geteuid ();
  u->gid = getegid ();
  urun_debug ("userns: keep-id: the process runs as %d:%d", (int) u->uid, (int) u->gid);
}

/* `--userns` becomes the annotation, so that the container's state says
 * which mode it runs with. */
static void
record_mode (struct urun_spec *spec, const char *flag)
{
  for (size_t i = 0; i < spec->n_annotations; i++)
    if (strcmp (spec->annotations[i].key, URUN_USERNS_ANNOTATION) == 0)
      {
        free (spec->annotations[i].value);
        spec->annotations[i].value = xstrdup (flag);
        return;
      }
  spec->annotations = xrealloc (spec->annotations, (spec->n_annotations + 1) * sizeof (struct urun_kv));
  spec->annotations[spec->n_annotations++] = (struct urun_kv){ xstrdup (URUN_USERNS_ANNOTATION), xstrdup (flag) };
}

static int
get_mode (struct urun_spec *spec, const char *flag, enum urun_userns_mode *mode,
          struct urun_error *err)
{
  const char *value = flag ? flag : urun_spec_annotation (spec, URUN_USERNS_ANNOTATION);

  *mode = URUN_USERNS_SPEC;
  if (value == NULL)
    return 0;
  if (!urun_parse_userns_mode (value, mode) && flag)
    return urun_set_error (err, 0, "--userns: expected `auto` or `keep-id`, not `%s`", value);
  if (*mode == URUN_USERNS_SPEC)
    return urun_set_error (err, 0, "config.json: annotations.%s: expected `auto` or `keep-id`, not `%s`",
                           URUN_USERNS_ANNOTATION, value);
  if (flag)
    record_mode (spec, flag);
  return 0;
}

static int
adapt (struct urun_spec *spec, const char *mode_flag, bool *no_uids,
       bool *no_gids, struct urun_error *err)
{
  const struct urun_namespace *user = urun_spec_namespace (spec, URUN_NS_USER);
  enum urun_userns_mode mode;

  if (get_mode (spec, mode_flag, &mode, err) < 0)
    return -1;
  if (mode == URUN_USERNS_SPEC && geteuid () == 0)
    return 0;
  if (user != NULL && user->path != NULL)
    {
      if (mode != URUN_USERNS_SPEC)
        return urun_set_error (err, 0, "%s: a joined user namespace (`%s`) keeps its own mappings",
                               mode_flag ? "--userns" : "config.json: annotations." URUN_USERNS_ANNOTATION,
                               user->path);
      return 0;
    }
  if (user == NULL)
    add_user_namespace (spec);
  if (mode != URUN_USERNS_SPEC && (spec->linux_.n_uid_mappings || spec->linux_.n_gid_mappings))
    urun_debug ("userns: %s replaces the spec's mappings", mode == URUN_USERNS_AUTO ? "auto" : "keep-id");
  if (set_mappings (spec, mode == URUN_USERNS_SPEC ? URUN_USERNS_AUTO : mode,
                    mode != URUN_USERNS_SPEC, no_uids, no_gids, err) < 0)
    return -1;
  if (mode == URUN_USERNS_KEEP_ID)
    keep_caller_identity (spec);
  return 0;
}

int
urun_rootless_adapt_spec (struct urun_spec *spec, const char *mode_flag,
                          struct urun_error *err)
{
  bool no_uids = false, no_gids = false;

  if (adapt (spec, mode_flag, &no_uids, &no_gids, err) < 0
      || urun_check_id_mappings (spec, err) < 0
      || urun_check_mapped_ids (spec, err) < 0)
    return -1;
  say_single_id (no_uids, no_gids);
  return 0;
}
