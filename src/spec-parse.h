/* spec-parse.h: private to spec*.c — reading a yajl tree while keeping the
 * JSON path ("process.args[1]") that every error message starts with. */
#ifndef URUN_SPEC_PARSE_H
#define URUN_SPEC_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_tree.h>

#include "cleanup.h"
#include "spec.h"

URUN_DEFINE_CLEANUP (yajl, yajl_val, if (*p) yajl_tree_free (*p))
#define cleanup_yajl __attribute__ ((cleanup (yajl_release)))

/* One parse: the file's label, the error to fill and the current path. */
struct spec_ctx
{
  const char *name;
  struct urun_error *err;
  size_t len;
  char path[512];
};

/* Parse the value V of an array element into ITEM (a zeroed element). */
typedef int (*spec_item_fn) (struct spec_ctx *c, yajl_val v, void *item);

/* The path stack: push returns the old length to hand back to spec_pop. */
size_t spec_push_key (struct spec_ctx *c, const char *key);
size_t spec_push_index (struct spec_ctx *c, size_t index);
void spec_pop (struct spec_ctx *c, size_t saved);

/* Evaluate EXPR (an int) with KEY appended to the path. */
#define SPEC_AT_KEY(c, key, expr)                                             \
  ({                                                                          \
    size_t spec_saved_ = spec_push_key ((c), (key));                          \
    int spec_ret_ = (expr);                                                   \
    spec_pop ((c), spec_saved_);                                              \
    spec_ret_;                                                                \
  })

/* "NAME: PATH: message", errnum 0; returns -1. */
int spec_fail (struct spec_ctx *c, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
int spec_fail_missing (struct spec_ctx *c, const char *key);
int spec_fail_oom (struct spec_ctx *c);
/* `unknown WHAT "S" (expected one of: a, b, c)` */
int spec_fail_unknown (struct spec_ctx *c, const char *what, const char *s,
                       const char *const *names, size_t n_names);

/* Index of S in NAMES, or -1. */
int spec_lookup (const char *s, const char *const *names, size_t n_names);

/* OBJ's member KEY (the last one if repeated); NULL when absent or null. */
yajl_val spec_field (yajl_val obj, const char *key);
size_t spec_array_len (yajl_val arr);

/* Value readers: V is present; errors are reported at the current path. */
int spec_object (struct spec_ctx *c, yajl_val v);
/* V is an object holding every key of KEYS (NULL-terminated). */
int spec_require (struct spec_ctx *c, yajl_val v, const char *const *keys);
int spec_array (struct spec_ctx *c, yajl_val v);
int spec_string (struct spec_ctx *c, yajl_val v, char **out);
int spec_int (struct spec_ctx *c, yajl_val v, int64_t min, int64_t max,
              const char *what, int64_t *out);
int spec_uint (struct spec_ctx *c, yajl_val v, uint64_t max, const char *what,
               uint64_t *out);
int spec_strv (struct spec_ctx *c, yajl_val v, char ***out, size_t *n);
int spec_each (struct spec_ctx *c, yajl_val arr, void *items, size_t size,
               spec_item_fn fn);
void *spec_calloc (struct spec_ctx *c, size_t n, size_t size);

/* Member readers: an absent KEY leaves *OUT untouched and returns 0. */
int spec_get_array (struct spec_ctx *c, yajl_val obj, const char *key,
                    yajl_val *out);
int spec_get_string (struct spec_ctx *c, yajl_val obj, const char *key,
                     char **out);
int spec_get_abs_path (struct spec_ctx *c, yajl_val obj, const char *key,
                       char **out);
int spec_get_bool (struct spec_ctx *c, yajl_val obj, const char *key,
                   bool *out);
int spec_get_u32 (struct spec_ctx *c, yajl_val obj, const char *key,
                  uint32_t *out, bool *has);
int spec_get_int (struct spec_ctx *c, yajl_val obj, const char *key,
                  int64_t min, int64_t max, const char *what, int64_t *out);
int spec_get_uint (struct spec_ctx *c, yajl_val obj, const char *key,
                   uint64_t max, const char *what, uint64_t *out);
int spec_get_opt_i64 (struct spec_ctx *c, yajl_val obj, const char *key,
                      int64_t min, const char *what, struct urun_opt_i64 *out);
int spec_get_opt_u64 (struct spec_ctx *c, yajl_val obj, const char *key,
                      uint64_t max, const char *what,
                      struct urun_opt_u64 *out);
int spec_get_strv (struct spec_ctx *c, yajl_val obj, const char *key,
                   char ***out, size_t *n);
int spec_get_env (struct spec_ctx *c, yajl_val obj, const char *key,
                  char ***out, size_t *n);
int spec_get_kv (struct spec_ctx *c, yajl_val obj, const char *key,
                 struct urun_kv **out, size_t *n);
/* The index in NAMES of the string OBJ.KEY, else `unknown WHAT "x" (...)`. */
int spec_get_enum (struct spec_ctx *c, yajl_val obj, const char *key,
                   const char *what, const char *const *names, size_t n_names,
                   int *out);
int spec_get_id_mappings (struct spec_ctx *c, yajl_val obj, const char *key,
                          struct urun_id_mapping **out, size_t *n);
/* Call FN on OBJ.KEY with KEY on the path and set *HAS (may be NULL), when
 * the member is present. */
int spec_get_member (struct spec_ctx *c, yajl_val obj, const char *key,
                     bool *has, spec_item_fn fn, void *out);

/* Parse the array OBJ.KEY into a new ITEMS[N], calling FN per element.
 * ITEMS and N are set before the elements are parsed, so that the owner's
 * free function releases a partly filled array after an error. */
#define SPEC_GET_ITEMS(c, obj, key, items, n, fn)                             \
  ({                                                                          \
    yajl_val spec_arr_ = NULL;                                                \
    int spec_r_ = spec_get_array ((c), (obj), (key), &spec_arr_);             \
    if (spec_r_ == 0 && spec_arr_ != NULL)                                    \
      {                                                                       \
        (n) = spec_array_len (spec_arr_);                                     \
        (items) = spec_calloc ((c), (n), sizeof *(items));                    \
        spec_r_ = (items) == NULL                                             \
                      ? -1                                                    \
                      : SPEC_AT_KEY ((c), (key),                              \
                                     spec_each ((c), spec_arr_, (items),      \
                                                sizeof *(items), (fn)));      \
      }                                                                       \
    spec_r_;                                                                  \
  })

#define SPEC_N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

/* Bounds named in "expected ..." messages. */
#define SPEC_U16 "an unsigned 16-bit integer"
#define SPEC_U32 "an unsigned 32-bit integer"
#define SPEC_U64 "an unsigned 64-bit integer"
#define SPEC_I32 "a 32-bit integer"
#define SPEC_I64 "a 64-bit integer"
#define SPEC_I64_UNLIMITED "-1 (unlimited) or a non-negative 64-bit integer"

/* Owned by the sibling files; each frees what it parsed. */
int spec_parse_process_at (struct spec_ctx *c, yajl_val v,
                           struct urun_process *p);
void spec_free_process_fields (struct urun_process *p);
int spec_parse_linux (struct spec_ctx *c, yajl_val v, struct urun_linux *l);
void spec_free_linux_fields (struct urun_linux *l);
int spec_parse_resources (struct spec_ctx *c, yajl_val v,
                          struct urun_resources *r);
void spec_free_resources (struct urun_resources *r);
int spec_parse_seccomp (struct spec_ctx *c, yajl_val v,
                        struct urun_seccomp *s);
void spec_free_seccomp (struct urun_seccomp *s);
void spec_free_kv (struct urun_kv *kv, size_t n);
/* Parse JSON/LEN into a tree; errors "NAME: invalid JSON: ...". */
yajl_val spec_parse_tree (const char *json, size_t len, const char *name,
                          struct urun_error *err);

#endif
