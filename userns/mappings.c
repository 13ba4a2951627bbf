/* mappings.c: building ID mappings for the identity modes, and checking a
 * spec's mappings before any namespace exists. */
#define _GNU_SOURCE
#include "mappings.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/cleanup.h"
#include "../src/utils.h"
#include "idmap.h"
#include "newidmap.h"
#include "subid.h"

/* The kernel takes at most 340 lines per map since Linux 4.15 (5 before).
 * user_namespaces(7) */
#define MAX_MAP_LINES 340

/* The last usable ID: (uid_t) -1 is "no ID", and a range may not reach it
 * (map_write refuses first + count wrapping to 0). user_namespaces(7) */
#define LAST_ID (UINT32_MAX - 1)

bool
urun_parse_userns_mode (const char *value, enum urun_userns_mode *mode)
{
  if (strcmp (value, "auto") == 0)
    *mode = URUN_USERNS_AUTO;
  else if (strcmp (value, "keep-id") == 0)
    *mode = URUN_USERNS_KEEP_ID;
  else
    return false;
  return true;
}

/* Append a range, clipped so that it ends at LAST_ID at the latest. */
static void
push (struct urun_id_mapping *out, size_t *n, uint64_t container, uint64_t host,
      uint64_t size)
{
  if (container + size > (uint64_t) LAST_ID + 1)
    size = container > LAST_ID ? 0 : (uint64_t) LAST_ID + 1 - container;
  if (size == 0)
    return;
  out[(*n)++] = (struct urun_id_mapping){ (uint32_t) container, (uint32_t) host, (uint32_t) size };
}

/* SUB maps container IDs 0.. onto the subordinate ranges; make room for the
 * caller at container ID OWN: what lies at OWN and above moves up by one. */
static void
insert_caller (const struct urun_id_mapping *sub, size_t n_sub, uint32_t own,
               struct urun_id_mapping *out, size_t *n)
{
  for (size_t i = 0; i < n_sub; i++)
    {
      uint64_t c = sub[i].container_id, end = c + sub[i].size;
      if (end <= own)
        push (out, n, c, sub[i].host_id, sub[i].size);
      else if (c >= own)
        push (out, n, c + 1, sub[i].host_id, sub[i].size);
      else
        {
          push (out, n, c, sub[i].host_id, own - c);
          push (out, n, (uint64_t) own + 1, sub[i].host_id + (own - c), end - own);
        }
    }
  push (out, n, own, own, 1);
}

int
urun_build_id_mappings (enum urun_userns_mode mode, bool is_gid,
                        struct urun_id_mapping **out, size_t *n,
                        bool *is_single, struct urun_error *err)
{
  cleanup_free struct urun_id_mapping *sub = NULL;
  uint32_t own = is_gid ? getegid () : geteuid ();
  bool keep_id = mode == URUN_USERNS_KEEP_ID;
  size_t n_sub = 0;

  if (urun_subid_mappings (is_gid, keep_id ? 0 : 1, &sub, &n_sub, err) < 0)
    return -1;
  *is_single = n_sub == 0;
  *n = 0;
  *out = xmalloc0 ((n_sub + 2) * sizeof (struct urun_id_mapping));
  if (keep_id)
    {
      insert_caller (sub, n_sub, own, *out, n);
      return 0;
    }
  push (*out, n, 0, own, 1);
  for (size_t i = 0; i < n_sub; i++)
    push (*out, n, sub[i].container_id, sub[i].host_id, sub[i].size);
  return 0;
}

static bool
overlaps (uint32_t a, uint32_t a_size, uint32_t b, uint32_t b_size)
{
  return (uint64_t) a < (uint64_t) b + b_size && (uint64_t) b < (uint64_t) a + a_size;
}

/* The kernel refuses overlaps on either side. user_namespaces(7) */
static int
check_ranges (const char *key, const struct urun_id_mapping *map, size_t n,
              struct urun_error *err)
{
  if (n > MAX_MAP_LINES)
    return urun_set_error (err, 0, "config.json: linux.%s: %zu ranges, more than the kernel's limit of %d",
                           key, n, MAX_MAP_LINES);
  for (size_t i = 0; i < n; i++)
    {
      const struct urun_id_mapping *m = &map[i];
      if (m->size == 0)
        return urun_set_error (err, 0, "config.json: linux.%s[%zu].size: 0 maps nothing", key, i);
      if ((uint64_t) m->container_id + m->size - 1 > LAST_ID || (uint64_t) m->host_id + m->size - 1 > LAST_ID)
        return urun_set_error (err, 0, "config.json: linux.%s[%zu]: the range goes past %u, the last ID",
                               key, i, (unsigned) LAST_ID);
      for (size_t j = 0; j < i; j++)
        {
          const struct urun_id_mapping *o = &map[j];
          if (overlaps (m->container_id, m->size, o->container_id, o->size))
            return urun_set_error (err, 0, "config.json: linux.%s[%zu]: container IDs %u-%u overlap linux.%s[%zu] (%u-%u)",
                                   key, i, m->container_id, m->container_id + m->size - 1,
                                   key, j, o->container_id, o->container_id + o->size - 1);
          if (overlaps (m->host_id, m->size, o->host_id, o->size))
            return urun_set_error (err, 0, "config.json: linux.%s[%zu]: host IDs %u-%u overlap linux.%s[%zu] (%u-%u)",
                                   key, i, m->host_id, m->host_id + m->size - 1,
                                   key, j, o->host_id, o->host_id + o->size - 1);
        }
    }
  return 0;
}

/* "100000-165535, 200000-200999" */
static char *
format_ranges (const struct urun_subid_range *r, size_t n)
{
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&text, &len);

  if (f == NULL)
    abort ();
  for (size_t i = 0; i < n; i++)
    fprintf (f, "%s%u-%u", i ? ", " : "", r[i].start, r[i].start + r[i].count - 1);
  fclose (f);
  return text;
}

static int
not_owned (const char *key, size_t i, const struct urun_id_mapping *m, bool is_gid,
           const struct urun_subid_range *ranges, size_t n, struct urun_error *err)
{
  cleanup_free char *name = urun_caller_name ();
  cleanup_free char *have = format_ranges (ranges, n);
  const char *source = is_gid ? URUN_SUBGID_SOURCE : URUN_SUBUID_SOURCE;
  const char *kind = is_gid ? "gids" : "uids";

  if (n == 0)
    return urun_set_error (err, 0, "config.json: linux.%s[%zu]: host IDs %u-%u are not yours: `%s` has no subordinate %s in %s (see `urun check`)",
                           key, i, m->host_id, m->host_id + m->size - 1, name, kind, source);
  return urun_set_error (err, 0, "config.json: linux.%s[%zu]: host IDs %u-%u are not yours: `%s` has the subordinate %s %s in %s",
                         key, i, m->host_id, m->host_id + m->size - 1, name, kind, have, source);
}

/* An unprivileged caller may map its own ID and its subordinate ranges,
 * and anything more than its own ID goes through the setuid helper. */
static int
check_owned (const char *key, const struct urun_id_mapping *map, size_t n,
             bool is_gid, struct urun_error *err)
{
  cleanup_free struct urun_subid_range *ranges = NULL;
  uint32_t own = is_gid ? getegid () : geteuid ();
  size_t n_ranges = 0;
  const char *how = NULL;

  if (urun_subid_ranges (is_gid, &ranges, &n_ranges, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      if (map[i].size == 1 && map[i].host_id == own)
        continue;
      if (!urun_subid_covers (ranges, n_ranges, map[i].host_id, map[i].size))
        return not_owned (key, i, &map[i], is_gid, ranges, n_ranges, err);
    }
  if (urun_id_map_needs_helper (map, n, own)
      && urun_check_idmap_tool (is_gid ? URUN_NEWGIDMAP : URUN_NEWUIDMAP, &how, err) < 0)
    return urun_wrap_error (err, "config.json: linux.%s", key);
  return 0;
}

/* The user namespace the container creates, or NULL (none, or joined). */
static const struct urun_namespace *
new_user_namespace (const struct urun_spec *spec)
{
  const struct urun_namespace *user = urun_spec_namespace (spec, URUN_NS_USER);

  return user && user->path == NULL ? user : NULL;
}

int
urun_check_id_mappings (const struct urun_spec *spec, struct urun_error *err)
{
  const struct urun_linux *l = &spec->linux_;

  if (new_user_namespace (spec) == NULL)
    return 0;
  if (check_ranges ("uidMappings", l->uid_mappings, l->n_uid_mappings, err) < 0
      || check_ranges ("gidMappings", l->gid_mappings, l->n_gid_mappings, err) < 0)
    return -1;
  if (geteuid () == 0)
    return 0;
  if (check_owned ("uidMappings", l->uid_mappings, l->n_uid_mappings, false, err) < 0)
    return -1;
  return check_owned ("gidMappings", l->gid_mappings, l->n_gid_mappings, true, err);
}

static bool
is_mapped (const struct urun_id_mapping *map, size_t n, uint32_t id)
{
  for (size_t i = 0; i < n; i++)
    if (id >= map[i].container_id && (uint64_t) id < (uint64_t) map[i].container_id + map[i].size)
      return true;
  return false;
}

/* Said after an unmapped ID when the map holds one ID only: the fallback
 * for a user without subordinate IDs. */
static const char *
single_id_hint (const struct urun_id_mapping *map, size_t n)
{
  if (n == 1 && map[0].size == 1)
    return "; only your own ID is (no subordinate IDs: see `urun check`)";
  return "";
}

static int
check_id (const struct urun_linux *l, bool is_gid, uint32_t id, const char *what,
          struct urun_error *err)
{
  const struct urun_id_mapping *map = is_gid ? l->gid_mappings : l->uid_mappings;
  size_t n = is_gid ? l->n_gid_mappings : l->n_uid_mappings;

  if (is_mapped (map, n, id))
    return 0;
  return urun_set_error (err, 0, "config.json: %s: %s %u is not mapped in the user namespace%s",
                         what, is_gid ? "gid" : "uid", id, single_id_hint (map, n));
}

static int
check_user (const struct urun_spec *spec, struct urun_error *err)
{
  const struct urun_user *u = &spec->process.user;
  char what[64];

  if (!spec->has_process)
    return 0;
  if (check_id (&spec->linux_, false, u->uid, "process.user.uid", err) < 0
      || check_id (&spec->linux_, true, u->gid, "process.user.gid", err) < 0)
    return -1;
  for (size_t i = 0; i < u->n_additional_gids; i++)
    {
      snprintf (what, sizeof what, "process.user.additionalGids[%zu]", i);
      if (check_id (&spec->linux_, true, u->additional_gids[i], what, err) < 0)
        return -1;
    }
  return 0;
}

static bool
is_bind (const struct urun_mount *m)
{
  if (m->type && strcmp (m->type, "bind") == 0)
    return true;
  for (size_t i = 0; i < m->n_options; i++)
    if (strcmp (m->options[i], "bind") == 0 || strcmp (m->options[i], "rbind") == 0)
      return true;
  return false;
}

/* uid=N and gid=N of a filesystem mount (tmpfs, devpts, ...). */
static int
check_mount_options (const struct urun_spec *spec, size_t i, struct urun_error *err)
{
  const struct urun_mount *m = &spec->mounts[i];

  if (is_bind (m))
    return 0;
  for (size_t k = 0; k < m->n_options; k++)
    {
      const char *o = m->options[k];
      bool is_gid = strncmp (o, "gid=", 4) == 0;
      cleanup_free char *what = NULL;
      uint64_t id;

      if (!is_gid && strncmp (o, "uid=", 4) != 0)
        continue;
      if (!urun_parse_u64 (o + 4, &id) || id > LAST_ID)
        continue; /* the filesystem says what it thinks of it */
      what = xasprintf ("mounts[%zu] (`%s` on `%s`): option `%s`", i,
                        m->type ? m->type : "none", m->destination, o);
      if (check_id (&spec->linux_, is_gid, (uint32_t) id, what, err) < 0)
        return -1;
    }
  return 0;
}

int
urun_check_mapped_ids (const struct urun_spec *spec, struct urun_error *err)
{
  const struct urun_linux *l = &spec->linux_;

  if (new_user_namespace (spec) == NULL || l->n_uid_mappings == 0 || l->n_gid_mappings == 0)
    return 0;
  if (check_user (spec, err) < 0)
    return -1;
  for (size_t i = 0; i < spec->n_mounts; i++)
    if (check_mount_options (spec, i, err) < 0)
      return -1;
  return 0;
}
