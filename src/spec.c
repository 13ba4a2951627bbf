/* spec.c: config.json -> struct urun_spec — the document, root, mounts,
 * hooks and annotations; process and linux live in their sibling files. */
#define _GNU_SOURCE
#include "spec-parse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const hook_keys[URUN_HOOK_KIND_COUNT] = {
  [URUN_HOOK_PRESTART] = "prestart",
  [URUN_HOOK_CREATE_RUNTIME] = "createRuntime",
  [URUN_HOOK_CREATE_CONTAINER] = "createContainer",
  [URUN_HOOK_START_CONTAINER] = "startContainer",
  [URUN_HOOK_POSTSTART] = "poststart",
  [URUN_HOOK_POSTSTOP] = "poststop",
};

static int
parse_root (struct spec_ctx *c, yajl_val v, void *item)
{
  struct urun_root *root = item;

  if (spec_object (c, v) < 0)
    return -1;
  if (spec_field (v, "path") == NULL)
    return spec_fail_missing (c, "path");
  if (spec_get_string (c, v, "path", &root->path) < 0
      || spec_get_bool (c, v, "readonly", &root->readonly) < 0)
    return -1;
  return 0;
}

static int
parse_mount (struct spec_ctx *c, yajl_val v, void *item)
{
  struct urun_mount *m = item;

  if (spec_object (c, v) < 0)
    return -1;
  if (spec_field (v, "destination") == NULL)
    return spec_fail_missing (c, "destination");
  if (spec_get_abs_path (c, v, "destination", &m->destination) < 0
      || spec_get_string (c, v, "type", &m->type) < 0
      || spec_get_string (c, v, "source", &m->source) < 0
      || spec_get_strv (c, v, "options", &m->options, &m->n_options) < 0
      || spec_get_id_mappings (c, v, "uidMappings", &m->uid_mappings,
                               &m->n_uid_mappings)
             < 0
      || spec_get_id_mappings (c, v, "gidMappings", &m->gid_mappings,
                               &m->n_gid_mappings)
             < 0)
    return -1;
  return 0;
}

static int
parse_hook (struct spec_ctx *c, yajl_val v, void *item)
{
  struct urun_hook *h = item;

  if (spec_object (c, v) < 0)
    return -1;
  if (spec_field (v, "path") == NULL)
    return spec_fail_missing (c, "path");
  if (spec_get_abs_path (c, v, "path", &h->path) < 0
      || spec_get_strv (c, v, "args", &h->args, &h->n_args) < 0
      || spec_get_env (c, v, "env", &h->env, &h->n_env) < 0
      || spec_get_opt_i64 (c, v, "timeout", 1, "a positive integer",
                           &h->timeout)
             < 0)
    return -1;
  return 0;
}

static int
parse_hooks (struct spec_ctx *c, yajl_val v, void *item)
{
  struct urun_hook_list *lists = item;

  if (spec_object (c, v) < 0)
    return -1;
  for (int k = 0; k < URUN_HOOK_KIND_COUNT; k++)
    if (SPEC_GET_ITEMS (c, v, hook_keys[k], lists[k].hooks, lists[k].n_hooks,
                        parse_hook)
        < 0)
      return -1;
  return 0;
}

static int
parse_process_member (struct spec_ctx *c, yajl_val doc, struct urun_spec *s)
{
  yajl_val v = spec_field (doc, "process");

  if (v == NULL)
    return 0;
  s->has_process = true;
  return SPEC_AT_KEY (c, "process", spec_parse_process_at (c, v, &s->process));
}

static int
parse_linux_member (struct spec_ctx *c, yajl_val doc, struct urun_spec *s)
{
  yajl_val v = spec_field (doc, "linux");

  if (v == NULL)
    return 0;
  s->has_linux = true;
  return SPEC_AT_KEY (c, "linux", spec_parse_linux (c, v, &s->linux_));
}

static int
parse_document (struct spec_ctx *c, yajl_val doc, struct urun_spec *s)
{
  if (spec_object (c, doc) < 0)
    return -1;
  if (spec_field (doc, "ociVersion") == NULL)
    return spec_fail_missing (c, "ociVersion");
  if (spec_get_string (c, doc, "ociVersion", &s->oci_version) < 0
      || parse_process_member (c, doc, s) < 0
      || spec_get_member (c, doc, "root", &s->has_root, parse_root, &s->root)
             < 0
      || spec_get_string (c, doc, "hostname", &s->hostname) < 0
      || spec_get_string (c, doc, "domainname", &s->domainname) < 0
      || SPEC_GET_ITEMS (c, doc, "mounts", s->mounts, s->n_mounts, parse_mount)
             < 0
      || spec_get_member (c, doc, "hooks", NULL, parse_hooks, s->hooks) < 0
      || spec_get_kv (c, doc, "annotations", &s->annotations,
                      &s->n_annotations)
             < 0
      || parse_linux_member (c, doc, s) < 0)
    return -1;
  return 0;
}

struct urun_spec *
urun_parse_spec (const char *json, size_t len, const char *name,
                 struct urun_error *err)
{
  cleanup_yajl yajl_val tree = NULL;
  cleanup_spec struct urun_spec *spec = NULL;
  struct spec_ctx c = { .name = name, .err = err };

  tree = spec_parse_tree (json, len, name, err);
  if (tree == NULL)
    return NULL;
  spec = calloc (1, sizeof *spec);
  if (spec == NULL)
    {
      spec_fail_oom (&c);
      return NULL;
    }
  if (parse_document (&c, tree, spec) < 0)
    return NULL;
  return TAKE_PTR (spec);
}

/* Read all of FD (the file PATH) into *BUF, *LEN bytes. */
static int
read_all (int fd, const char *path, char **buf, size_t *len,
          struct urun_error *err)
{
  size_t size = 0;

  *len = 0;
  for (;;)
    {
      ssize_t n;

      if (*len == size)
        {
          char *bigger = realloc (*buf, size = size ? size * 2 : 16384);

          if (bigger == NULL)
            return urun_set_error (err, ENOMEM, "read `%s`", path);
          *buf = bigger;
        }
      n = read (fd, *buf + *len, size - *len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return urun_set_error (err, errno, "read `%s`", path);
      if (n == 0)
        return 0;
      *len += (size_t) n;
    }
}

struct urun_spec *
urun_load_spec (const char *path, const char *name, struct urun_error *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *json = NULL;
  size_t len = 0;

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      urun_set_error (err, errno, "open `%s`", path);
      return NULL;
    }
  if (read_all (fd, path, &json, &len, err) < 0)
    return NULL;
  return urun_parse_spec (json, len, name, err);
}

static void
free_mounts (struct urun_mount *mounts, size_t n)
{
  if (mounts == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    {
      free (mounts[i].destination);
      free (mounts[i].type);
      free (mounts[i].source);
      strv_free (mounts[i].options);
      free (mounts[i].uid_mappings);
      free (mounts[i].gid_mappings);
    }
  free (mounts);
}

static void
free_hooks (struct urun_hook_list *list)
{
  if (list->hooks == NULL)
    return;
  for (size_t i = 0; i < list->n_hooks; i++)
    {
      free (list->hooks[i].path);
      strv_free (list->hooks[i].args);
      strv_free (list->hooks[i].env);
    }
  free (list->hooks);
}

void
urun_free_spec (struct urun_spec *spec)
{
  if (spec == NULL)
    return;
  free (spec->oci_version);
  spec_free_process_fields (&spec->process);
  free (spec->root.path);
  free (spec->hostname);
  free (spec->domainname);
  free_mounts (spec->mounts, spec->n_mounts);
  for (int k = 0; k < URUN_HOOK_KIND_COUNT; k++)
    free_hooks (&spec->hooks[k]);
  spec_free_kv (spec->annotations, spec->n_annotations);
  spec_free_linux_fields (&spec->linux_);
  free (spec);
}

const struct urun_namespace *
urun_spec_namespace (const struct urun_spec *spec, enum urun_ns_type type)
{
  for (size_t i = 0; i < spec->linux_.n_namespaces; i++)
    if (spec->linux_.namespaces[i].type == type)
      return &spec->linux_.namespaces[i];
  return NULL;
}

/* The last one wins when a key is repeated, as with a JSON decoder that
 * fills a map (runc's). */
const char *
urun_spec_annotation (const struct urun_spec *spec, const char *key)
{
  for (size_t i = spec->n_annotations; i > 0; i--)
    if (strcmp (spec->annotations[i - 1].key, key) == 0)
      return spec->annotations[i - 1].value;
  return NULL;
}
