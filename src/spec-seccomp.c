/* spec-seccomp.c: linux.seccomp of config.json. Actions and operators are
 * checked here; architectures and flags are left to seccomp.c. */
#define _GNU_SOURCE
#include "spec-parse.h"

#include <stdlib.h>
#include <string.h>

static const char *const actions[] = {
  "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
  "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY",
};

static const char *const operators[] = {
  "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
  "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};

/* Copy the string OBJ.KEY (required) when it is one of NAMES. */
static int
get_name (struct spec_ctx *c, yajl_val obj, const char *key, const char *what,
          const char *const *names, size_t n_names, char **out)
{
  int i = 0;

  if (spec_field (obj, key) == NULL)
    return spec_fail_missing (c, key);
  if (spec_get_enum (c, obj, key, what, names, n_names, &i) < 0)
    return -1;
  *out = strdup (names[i]);
  return *out == NULL ? spec_fail_oom (c) : 0;
}

/* Argument values are uint64; yajl keeps only integers that fit a long long,
 * so spec_uint reads the number's text. */
static int
parse_arg (struct spec_ctx *c, yajl_val v, void *item)
{
  struct urun_seccomp_arg *a = item;

  uint64_t index = 0;

  static const char *const keys[] = { "index", "value", NULL };

  if (spec_require (c, v, keys) < 0
      || spec_get_uint (c, v, "index", 5, "an integer from 0 to 5", &index) < 0
      || spec_get_uint (c, v, "value", UINT64_MAX, SPEC_U64, &a->value) < 0
      || spec_get_uint (c, v, "valueTwo", UINT64_MAX, SPEC_U64, &a->value_two)
             < 0
      || get_name (c, v, "op", "operator", operators,
                   SPEC_N_ELEMENTS (operators), &a->op)
             < 0)
    return -1;
  a->index = (unsigned) index;
  return 0;
}

static int
parse_syscall (struct spec_ctx *c, yajl_val v, void *item)
{
  struct urun_seccomp_syscall *s = item;

  if (spec_object (c, v) < 0)
    return -1;
  if (spec_array_len (spec_field (v, "names")) == 0)
    return SPEC_AT_KEY (c, "names",
                        spec_fail (c, "expected a non-empty array"));
  if (spec_get_strv (c, v, "names", &s->names, &s->n_names) < 0
      || get_name (c, v, "action", "action", actions,
                   SPEC_N_ELEMENTS (actions), &s->action)
             < 0
      || spec_get_u32 (c, v, "errnoRet", &s->errno_ret, &s->has_errno_ret) < 0
      || SPEC_GET_ITEMS (c, v, "args", s->args, s->n_args, parse_arg) < 0)
    return -1;
  return 0;
}

int
spec_parse_seccomp (struct spec_ctx *c, yajl_val v, struct urun_seccomp *s)
{
  if (spec_object (c, v) < 0
      || get_name (c, v, "defaultAction", "action", actions,
                   SPEC_N_ELEMENTS (actions), &s->default_action)
             < 0
      || spec_get_u32 (c, v, "defaultErrnoRet", &s->default_errno_ret,
                       &s->has_default_errno_ret)
             < 0
      || spec_get_strv (c, v, "architectures", &s->architectures,
                        &s->n_architectures)
             < 0
      || spec_get_strv (c, v, "flags", &s->flags, &s->n_flags) < 0
      || spec_get_string (c, v, "listenerPath", &s->listener_path) < 0
      || spec_get_string (c, v, "listenerMetadata", &s->listener_metadata) < 0
      || SPEC_GET_ITEMS (c, v, "syscalls", s->syscalls, s->n_syscalls,
                         parse_syscall)
             < 0)
    return -1;
  return 0;
}

void
spec_free_seccomp (struct urun_seccomp *s)
{
  free (s->default_action);
  strv_free (s->architectures);
  strv_free (s->flags);
  free (s->listener_path);
  free (s->listener_metadata);
  for (size_t i = 0; s->syscalls && i < s->n_syscalls; i++)
    {
      strv_free (s->syscalls[i].names);
      free (s->syscalls[i].action);
      for (size_t j = 0; s->syscalls[i].args && j < s->syscalls[i].n_args; j++)
        free (s->syscalls[i].args[j].op);
      free (s->syscalls[i].args);
    }
  free (s->syscalls);
}
