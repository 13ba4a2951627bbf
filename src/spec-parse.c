/* spec-parse.c: typed reads from a yajl tree; errors name the JSON path. */
#define _GNU_SOURCE
#include "spec-parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__ ((format (printf, 2, 3))) static size_t
push (struct spec_ctx *c, const char *fmt, ...)
{
  size_t saved = c->len;
  size_t room = sizeof c->path - c->len;
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (c->path + c->len, room, fmt, ap);
  va_end (ap);
  if (n > 0)
    c->len += (size_t) n < room ? (size_t) n : room - 1;
  return saved;
}

size_t
spec_push_key (struct spec_ctx *c, const char *key)
{
  return push (c, "%s%s", c->len > 0 ? "." : "", key);
}

size_t
spec_push_index (struct spec_ctx *c, size_t index)
{
  return push (c, "[%zu]", index);
}

static size_t
spec_push_map_key (struct spec_ctx *c, const char *key)
{
  return push (c, "[\"%s\"]", key);
}

void
spec_pop (struct spec_ctx *c, size_t saved)
{
  c->len = saved;
  c->path[saved] = '\0';
}

int
spec_fail (struct spec_ctx *c, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;
  int r;

  va_start (ap, fmt);
  r = vasprintf (&msg, fmt, ap);
  va_end (ap);
  if (r < 0)
    return spec_fail_oom (c);
  if (c->len == 0)
    return urun_set_error (c->err, 0, "%s: %s", c->name, msg);
  return urun_set_error (c->err, 0, "%s: %s: %s", c->name, c->path, msg);
}

int
spec_fail_missing (struct spec_ctx *c, const char *key)
{
  return SPEC_AT_KEY (c, key, spec_fail (c, "missing required field"));
}

int
spec_fail_oom (struct spec_ctx *c)
{
  return urun_set_error (c->err, ENOMEM, "%s: allocate memory", c->name);
}

int
spec_fail_unknown (struct spec_ctx *c, const char *what, const char *s,
                   const char *const *names, size_t n_names)
{
  char list[512] = "";
  size_t len = 0;

  for (size_t i = 0; i < n_names && len < sizeof list; i++)
    len += snprintf (list + len, sizeof list - len, "%s%s", i ? ", " : "",
                     names[i]);
  return spec_fail (c, "unknown %s \"%s\" (expected one of: %s)", what, s,
                    list);
}

int
spec_lookup (const char *s, const char *const *names, size_t n_names)
{
  for (size_t i = 0; i < n_names; i++)
    if (strcmp (s, names[i]) == 0)
      return (int) i;
  return -1;
}

yajl_val
spec_field (yajl_val obj, const char *key)
{
  yajl_val found = NULL;

  if (!YAJL_IS_OBJECT (obj))
    return NULL;
  for (size_t i = 0; i < obj->u.object.len; i++)
    if (strcmp (obj->u.object.keys[i], key) == 0)
      found = obj->u.object.values[i];
  return YAJL_IS_NULL (found) ? NULL : found;
}

size_t
spec_array_len (yajl_val arr)
{
  return YAJL_IS_ARRAY (arr) ? arr->u.array.len : 0;
}

void *
spec_calloc (struct spec_ctx *c, size_t n, size_t size)
{
  void *p = calloc (n > 0 ? n : 1, size);

  if (p == NULL)
    spec_fail_oom (c);
  return p;
}

int
spec_object (struct spec_ctx *c, yajl_val v)
{
  return YAJL_IS_OBJECT (v) ? 0 : spec_fail (c, "expected an object");
}

int
spec_require (struct spec_ctx *c, yajl_val v, const char *const *keys)
{
  if (spec_object (c, v) < 0)
    return -1;
  for (; *keys; keys++)
    if (spec_field (v, *keys) == NULL)
      return spec_fail_missing (c, *keys);
  return 0;
}

int
spec_array (struct spec_ctx *c, yajl_val v)
{
  return YAJL_IS_ARRAY (v) ? 0 : spec_fail (c, "expected an array");
}

int
spec_string (struct spec_ctx *c, yajl_val v, char **out)
{
  char *s;

  if (!YAJL_IS_STRING (v))
    return spec_fail (c, "expected a string");
  s = strdup (v->u.string);
  if (s == NULL)
    return spec_fail_oom (c);
  free (*out);
  *out = s;
  return 0;
}

static int
spec_abs_path (struct spec_ctx *c, yajl_val v, char **out)
{
  if (!YAJL_IS_STRING (v) || v->u.string[0] != '/')
    return spec_fail (c, "expected an absolute path");
  return spec_string (c, v, out);
}

static int
spec_bool (struct spec_ctx *c, yajl_val v, bool *out)
{
  if (!YAJL_IS_TRUE (v) && !YAJL_IS_FALSE (v))
    return spec_fail (c, "expected true or false");
  *out = YAJL_IS_TRUE (v);
  return 0;
}

/* The number's own text when it is written as an integer ("1", not "1.0" or
 * "1e3"): yajl keeps only values that fit a long long, so read the text. */
static const char *
integer_text (yajl_val v)
{
  const char *s;

  if (!YAJL_IS_NUMBER (v))
    return NULL;
  s = YAJL_GET_NUMBER (v);
  if (s == NULL || *s == '\0' || strpbrk (s, ".eE") != NULL)
    return NULL;
  return s;
}

int
spec_int (struct spec_ctx *c, yajl_val v, int64_t min, int64_t max,
          const char *what, int64_t *out)
{
  const char *s = integer_text (v);
  char *end = NULL;
  long long n;

  if (s == NULL)
    return spec_fail (c, "expected %s", what);
  errno = 0;
  n = strtoll (s, &end, 10);
  if (errno != 0 || *end != '\0' || n < min || n > max)
    return spec_fail (c, "expected %s", what);
  *out = n;
  return 0;
}

int
spec_uint (struct spec_ctx *c, yajl_val v, uint64_t max, const char *what,
           uint64_t *out)
{
  const char *s = integer_text (v);
  char *end = NULL;
  unsigned long long n;

  if (s == NULL || *s == '-')
    return spec_fail (c, "expected %s", what);
  errno = 0;
  n = strtoull (s, &end, 10);
  if (errno != 0 || *end != '\0' || n > max)
    return spec_fail (c, "expected %s", what);
  *out = n;
  return 0;
}

static int
parse_strv (struct spec_ctx *c, yajl_val v, bool is_env, char ***out,
            size_t *n)
{
  size_t len;

  if (spec_array (c, v) < 0)
    return -1;
  len = v->u.array.len;
  *out = spec_calloc (c, len + 1, sizeof **out);
  if (*out == NULL)
    return -1;
  *n = len;
  for (size_t i = 0; i < len; i++)
    {
      yajl_val s = v->u.array.values[i];
      size_t saved = spec_push_index (c, i);
      int r = spec_string (c, s, &(*out)[i]);

      if (r == 0 && is_env && strchr ((*out)[i], '=') == NULL)
        r = spec_fail (c, "expected \"KEY=value\"");
      spec_pop (c, saved);
      if (r < 0)
        return -1;
    }
  return 0;
}

int
spec_strv (struct spec_ctx *c, yajl_val v, char ***out, size_t *n)
{
  return parse_strv (c, v, false, out, n);
}

static int
spec_env (struct spec_ctx *c, yajl_val v, char ***out, size_t *n)
{
  return parse_strv (c, v, true, out, n);
}

static int
spec_kv (struct spec_ctx *c, yajl_val v, struct urun_kv **out, size_t *n)
{
  if (spec_object (c, v) < 0)
    return -1;
  *out = spec_calloc (c, v->u.object.len, sizeof **out);
  if (*out == NULL)
    return -1;
  *n = v->u.object.len;
  for (size_t i = 0; i < v->u.object.len; i++)
    {
      const char *key = v->u.object.keys[i];
      size_t saved = spec_push_map_key (c, key);
      int r = spec_string (c, v->u.object.values[i], &(*out)[i].value);

      spec_pop (c, saved);
      if (r < 0)
        return -1;
      (*out)[i].key = strdup (key);
      if ((*out)[i].key == NULL)
        return spec_fail_oom (c);
    }
  return 0;
}

int
spec_each (struct spec_ctx *c, yajl_val arr, void *items, size_t size,
           spec_item_fn fn)
{
  for (size_t i = 0; i < arr->u.array.len; i++)
    {
      size_t saved = spec_push_index (c, i);
      int r = fn (c, arr->u.array.values[i], (char *) items + i * size);

      spec_pop (c, saved);
      if (r < 0)
        return -1;
    }
  return 0;
}

void
spec_free_kv (struct urun_kv *kv, size_t n)
{
  if (kv == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    {
      free (kv[i].key);
      free (kv[i].value);
    }
  free (kv);
}

yajl_val
spec_parse_tree (const char *json, size_t len, const char *name,
                 struct urun_error *err)
{
  cleanup_free char *text = NULL;
  char msg[1024] = "";
  size_t end;
  yajl_val tree;

  if (memchr (json, '\0', len) != NULL)
    {
      urun_set_error (err, 0, "%s: invalid JSON: NUL byte in text", name);
      return NULL;
    }
  text = strndup (json, len);
  if (text == NULL)
    {
      urun_set_error (err, ENOMEM, "%s: allocate memory", name);
      return NULL;
    }
  tree = yajl_tree_parse (text, msg, sizeof msg);
  if (tree != NULL)
    return tree;
  /* yajl's message is several lines (the text and a caret); keep the first. */
  end = strcspn (msg, "\n");
  while (end > 0 && strchr (". ", msg[end - 1]) != NULL)
    end--;
  msg[end] = '\0';
  urun_set_error (err, 0, "%s: invalid JSON: %s", name,
                  end > 0 ? msg : "unknown error");
  return NULL;
}

/* Member readers: find KEY, then read it with KEY on the path. */

int
spec_get_array (struct spec_ctx *c, yajl_val obj, const char *key,
                yajl_val *out)
{
  yajl_val v = spec_field (obj, key);

  if (v == NULL)
    return 0;
  if (SPEC_AT_KEY (c, key, spec_array (c, v)) < 0)
    return -1;
  *out = v;
  return 0;
}

int
spec_get_string (struct spec_ctx *c, yajl_val obj, const char *key, char **out)
{
  yajl_val v = spec_field (obj, key);

  return v == NULL ? 0 : SPEC_AT_KEY (c, key, spec_string (c, v, out));
}

int
spec_get_abs_path (struct spec_ctx *c, yajl_val obj, const char *key,
                   char **out)
{
  yajl_val v = spec_field (obj, key);

  return v == NULL ? 0 : SPEC_AT_KEY (c, key, spec_abs_path (c, v, out));
}

int
spec_get_bool (struct spec_ctx *c, yajl_val obj, const char *key, bool *out)
{
  yajl_val v = spec_field (obj, key);

  return v == NULL ? 0 : SPEC_AT_KEY (c, key, spec_bool (c, v, out));
}

int
spec_get_int (struct spec_ctx *c, yajl_val obj, const char *key, int64_t min,
              int64_t max, const char *what, int64_t *out)
{
  yajl_val v = spec_field (obj, key);

  if (v == NULL)
    return 0;
  return SPEC_AT_KEY (c, key, spec_int (c, v, min, max, what, out));
}

int
spec_get_uint (struct spec_ctx *c, yajl_val obj, const char *key, uint64_t max,
               const char *what, uint64_t *out)
{
  yajl_val v = spec_field (obj, key);

  if (v == NULL)
    return 0;
  return SPEC_AT_KEY (c, key, spec_uint (c, v, max, what, out));
}

int
spec_get_u32 (struct spec_ctx *c, yajl_val obj, const char *key, uint32_t *out,
              bool *has)
{
  uint64_t n;
  yajl_val v = spec_field (obj, key);

  if (v == NULL)
    return 0;
  if (SPEC_AT_KEY (c, key, spec_uint (c, v, UINT32_MAX, SPEC_U32, &n)) < 0)
    return -1;
  *out = (uint32_t) n;
  if (has != NULL)
    *has = true;
  return 0;
}

int
spec_get_opt_i64 (struct spec_ctx *c, yajl_val obj, const char *key,
                  int64_t min, const char *what, struct urun_opt_i64 *out)
{
  yajl_val v = spec_field (obj, key);

  if (v == NULL)
    return 0;
  if (SPEC_AT_KEY (c, key, spec_int (c, v, min, INT64_MAX, what, &out->value))
      < 0)
    return -1;
  out->set = true;
  return 0;
}

int
spec_get_opt_u64 (struct spec_ctx *c, yajl_val obj, const char *key,
                  uint64_t max, const char *what, struct urun_opt_u64 *out)
{
  yajl_val v = spec_field (obj, key);

  if (v == NULL)
    return 0;
  if (SPEC_AT_KEY (c, key, spec_uint (c, v, max, what, &out->value)) < 0)
    return -1;
  out->set = true;
  return 0;
}

int
spec_get_strv (struct spec_ctx *c, yajl_val obj, const char *key, char ***out,
               size_t *n)
{
  yajl_val v = spec_field (obj, key);

  return v == NULL ? 0 : SPEC_AT_KEY (c, key, spec_strv (c, v, out, n));
}

int
spec_get_env (struct spec_ctx *c, yajl_val obj, const char *key, char ***out,
              size_t *n)
{
  yajl_val v = spec_field (obj, key);

  return v == NULL ? 0 : SPEC_AT_KEY (c, key, spec_env (c, v, out, n));
}

int
spec_get_kv (struct spec_ctx *c, yajl_val obj, const char *key,
             struct urun_kv **out, size_t *n)
{
  yajl_val v = spec_field (obj, key);

  return v == NULL ? 0 : SPEC_AT_KEY (c, key, spec_kv (c, v, out, n));
}

static int
parse_id_mapping (struct spec_ctx *c, yajl_val v, void *item)
{
  struct urun_id_mapping *m = item;

  static const char *const keys[] = { "containerID", "hostID", "size", NULL };

  if (spec_require (c, v, keys) < 0
      || spec_get_u32 (c, v, "containerID", &m->container_id, NULL) < 0
      || spec_get_u32 (c, v, "hostID", &m->host_id, NULL) < 0
      || spec_get_u32 (c, v, "size", &m->size, NULL) < 0)
    return -1;
  if (m->size == 0)
    return SPEC_AT_KEY (
        c, "size", spec_fail (c, "expected an integer from 1 to 4294967295"));
  return 0;
}

int
spec_get_id_mappings (struct spec_ctx *c, yajl_val obj, const char *key,
                      struct urun_id_mapping **out, size_t *n)
{
  return SPEC_GET_ITEMS (c, obj, key, *out, *n, parse_id_mapping);
}

int
spec_get_enum (struct spec_ctx *c, yajl_val obj, const char *key,
               const char *what, const char *const *names, size_t n_names,
               int *out)
{
  cleanup_free char *s = NULL;
  int i;

  if (spec_get_string (c, obj, key, &s) < 0)
    return -1;
  if (s == NULL)
    return 0;
  i = spec_lookup (s, names, n_names);
  if (i < 0)
    return SPEC_AT_KEY (c, key,
                        spec_fail_unknown (c, what, s, names, n_names));
  *out = i;
  return 0;
}

int
spec_get_member (struct spec_ctx *c, yajl_val obj, const char *key, bool *has,
                 spec_item_fn fn, void *out)
{
  yajl_val v = spec_field (obj, key);

  if (v == NULL)
    return 0;
  if (has != NULL)
    *has = true;
  return SPEC_AT_KEY (c, key, fn (c, v, out));
}
