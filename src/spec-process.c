/* spec-process.c: "process" of config.json, and process.json for exec. */
#define _GNU_SOURCE
#include "spec-parse.h"

#include <linux/ioprio.h>
#include <linux/sched.h>
#include <sched.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>

static const struct
{
  const char *name;
  int resource;
} rlimits[] = {
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_STACK", RLIMIT_STACK },
};

/* SCHED_ISO is in the spec's list but was never merged into Linux; the
 * kernel reserves policy 4 for it and rejects it (uapi linux/sched.h). */
#define SCHED_ISO_RESERVED 4
static const char *const sched_policies[] = {
  "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",       "SCHED_BATCH",
  "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE",
};
static const int sched_policy_values[] = {
  SCHED_OTHER,        SCHED_FIFO, SCHED_RR,       SCHED_BATCH,
  SCHED_ISO_RESERVED, SCHED_IDLE, SCHED_DEADLINE,
};

static const char *const sched_flags[] = {
  "SCHED_FLAG_RESET_ON_FORK",  "SCHED_FLAG_RECLAIM",
  "SCHED_FLAG_DL_OVERRUN",     "SCHED_FLAG_KEEP_POLICY",
  "SCHED_FLAG_KEEP_PARAMS",    "SCHED_FLAG_UTIL_CLAMP_MIN",
  "SCHED_FLAG_UTIL_CLAMP_MAX",
};
static const uint64_t sched_flag_values[] = {
  SCHED_FLAG_RESET_ON_FORK,  SCHED_FLAG_RECLAIM,     SCHED_FLAG_DL_OVERRUN,
  SCHED_FLAG_KEEP_POLICY,    SCHED_FLAG_KEEP_PARAMS, SCHED_FLAG_UTIL_CLAMP_MIN,
  SCHED_FLAG_UTIL_CLAMP_MAX,
};

static const char *const ioprio_classes[] = {
  "IOPRIO_CLASS_RT",
  "IOPRIO_CLASS_BE",
  "IOPRIO_CLASS_IDLE",
};
static const int ioprio_class_values[] = {
  IOPRIO_CLASS_RT,
  IOPRIO_CLASS_BE,
  IOPRIO_CLASS_IDLE,
};

static int
parse_gid (struct spec_ctx *c, yajl_val v, void *item)
{
  uint64_t gid = 0;

  if (spec_uint (c, v, UINT32_MAX, SPEC_U32, &gid) < 0)
    return -1;
  *(gid_t *) item = (gid_t) gid;
  return 0;
}

static int
parse_user (struct spec_ctx *c, yajl_val v, struct urun_user *u)
{
  uint32_t umask = 0;
  uint32_t id = 0;
  static const char *const keys[] = { "uid", "gid", NULL };

  if (spec_require (c, v, keys) < 0
      || spec_get_u32 (c, v, "uid", &id, NULL) < 0)
    return -1;
  u->uid = id;
  if (spec_get_u32 (c, v, "gid", &id, NULL) < 0)
    return -1;
  u->gid = id;
  if (spec_get_u32 (c, v, "umask", &umask, &u->has_umask) < 0)
    return -1;
  u->umask = umask;
  if (SPEC_GET_ITEMS (c, v, "additionalGids", u->additional_gids,
                      u->n_additional_gids, parse_gid)
      < 0)
    return -1;
  return spec_get_string (c, v, "username", &u->username);
}

/* Is NAME one of the comma-separated LIST? */
static bool
listed (const char *list, const char *name)
{
  const size_t n = strlen (name);

  while (*list != '\0')
    {
      const size_t len = strcspn (list, ",");

      if (len == n && strncmp (list, name, n) == 0)
        return true;
      list += len;
      list += *list == ',';
    }
  return false;
}

/* Remember NAME among the unknown ones (once, while it fits). */
static void
note_unknown_cap (struct urun_capabilities *caps, const char *name)
{
  const size_t len = strlen (caps->unknown);

  if (*name == '\0')
    name = "\"\"";
  if (listed (caps->unknown, name) || len + strlen (name) + 2 > sizeof caps->unknown)
    return;
  snprintf (caps->unknown + len, sizeof caps->unknown - len, "%s%s", len ? "," : "", name);
}

/* Capability names are "CAP_SYS_ADMIN"; libcap also takes "cap_sys_admin"
 * and "21", which the spec does not allow. A name that is not a string is
 * an error; an unknown one (a newer kernel's, a typo) is ignored with a
 * warning when the capabilities are applied: "Any value which cannot be
 * mapped to a relevant kernel interface, or cannot be granted otherwise
 * MUST be logged as a warning" (runtime-spec 1.1+, config.md). */
static int
parse_cap_set (struct spec_ctx *c, yajl_val obj, const char *key,
               uint64_t *mask, struct urun_capabilities *caps)
{
  cleanup_strv char **names = NULL;
  size_t n = 0;

  if (spec_get_strv (c, obj, key, &names, &n) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      cap_value_t cap;

      if (strncmp (names[i], "CAP_", 4) != 0
          || cap_from_name (names[i], &cap) < 0 || cap < 0 || cap > 63)
        note_unknown_cap (caps, names[i]);
      else
        *mask |= UINT64_C (1) << cap;
    }
  return 0;
}

static int
parse_capabilities (struct spec_ctx *c, yajl_val v, void *item)
{
  struct urun_capabilities *caps = item;

  if (spec_object (c, v) < 0)
    return -1;
  if (parse_cap_set (c, v, "bounding", &caps->bounding, caps) < 0
      || parse_cap_set (c, v, "effective", &caps->effective, caps) < 0
      || parse_cap_set (c, v, "inheritable", &caps->inheritable, caps) < 0
      || parse_cap_set (c, v, "permitted", &caps->permitted, caps) < 0
      || parse_cap_set (c, v, "ambient", &caps->ambient, caps) < 0)
    return -1;
  return 0;
}

static int
parse_rlimit (struct spec_ctx *c, yajl_val v, void *item)
{
  struct urun_rlimit *rl = item;

  cleanup_free char *type = NULL;
  static const char *const keys[] = { "type", "soft", "hard", NULL };
  size_t i;

  if (spec_require (c, v, keys) < 0
      || spec_get_string (c, v, "type", &type) < 0)
    return -1;
  for (i = 0; i < SPEC_N_ELEMENTS (rlimits); i++)
    if (strcmp (type, rlimits[i].name) == 0)
      break;
  if (i == SPEC_N_ELEMENTS (rlimits))
    return SPEC_AT_KEY (c, "type",
                        spec_fail (c, "unknown rlimit \"%s\"", type));
  rl->resource = rlimits[i].resource;
  if (spec_get_uint (c, v, "soft", UINT64_MAX, SPEC_U64, &rl->soft) < 0
      || spec_get_uint (c, v, "hard", UINT64_MAX, SPEC_U64, &rl->hard) < 0)
    return -1;
  return 0;
}

static const char *
rlimit_name (int resource)
{
  for (size_t i = 0; i < SPEC_N_ELEMENTS (rlimits); i++)
    if (rlimits[i].resource == resource)
      return rlimits[i].name;
  return "?";
}

static int
parse_rlimits (struct spec_ctx *c, yajl_val obj, struct urun_process *p)
{
  if (SPEC_GET_ITEMS (c, obj, "rlimits", p->rlimits, p->n_rlimits,
                      parse_rlimit)
      < 0)
    return -1;
  for (size_t i = 0; i < p->n_rlimits; i++)
    for (size_t j = 0; j < i; j++)
      if (p->rlimits[i].resource == p->rlimits[j].resource)
        return SPEC_AT_KEY (c, "rlimits",
                            spec_fail (c, "\"%s\" listed twice",
                                       rlimit_name (p->rlimits[i].resource)));
  return 0;
}

static int
parse_io_priority (struct spec_ctx *c, yajl_val v, void *item)
{
  struct urun_io_priority *io = item;

  int64_t prio = 0;
  int i = 0;

  if (spec_object (c, v) < 0)
    return -1;
  if (spec_field (v, "class") == NULL)
    return spec_fail_missing (c, "class");
  if (spec_get_enum (c, v, "class", "I/O priority class", ioprio_classes,
                     SPEC_N_ELEMENTS (ioprio_classes), &i)
      < 0)
    return -1;
  if (spec_get_int (c, v, "priority", 0, 7, "an integer from 0 to 7", &prio)
      < 0)
    return -1;
  io->set = true;
  io->class = ioprio_class_values[i];
  io->priority = (int) prio;
  return 0;
}

static int
parse_sched_flags (struct spec_ctx *c, yajl_val v, uint64_t *flags)
{
  cleanup_strv char **names = NULL;
  size_t n = 0;

  if (spec_get_strv (c, v, "flags", &names, &n) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      int f
          = spec_lookup (names[i], sched_flags, SPEC_N_ELEMENTS (sched_flags));

      if (f < 0)
        {
          spec_push_key (c, "flags");
          spec_push_index (c, i);
          return spec_fail_unknown (c, "scheduler flag", names[i], sched_flags,
                                    SPEC_N_ELEMENTS (sched_flags));
        }
      *flags |= sched_flag_values[f];
    }
  return 0;
}

static int
parse_scheduler (struct spec_ctx *c, yajl_val v, void *item)
{
  struct urun_scheduler *s = item;

  int64_t nice = 0, prio = 0;
  int i = 0;

  if (spec_object (c, v) < 0)
    return -1;
  if (spec_field (v, "policy") == NULL)
    return spec_fail_missing (c, "policy");
  if (spec_get_enum (c, v, "policy", "scheduler policy", sched_policies,
                     SPEC_N_ELEMENTS (sched_policies), &i)
      < 0)
    return -1;
  if (spec_get_int (c, v, "nice", -20, 19, "an integer from -20 to 19", &nice)
          < 0
      || spec_get_int (c, v, "priority", INT32_MIN, INT32_MAX, SPEC_I32, &prio)
             < 0
      || parse_sched_flags (c, v, &s->flags) < 0
      || spec_get_uint (c, v, "runtime", UINT64_MAX, SPEC_U64, &s->runtime) < 0
      || spec_get_uint (c, v, "deadline", UINT64_MAX, SPEC_U64, &s->deadline)
             < 0
      || spec_get_uint (c, v, "period", UINT64_MAX, SPEC_U64, &s->period) < 0)
    return -1;
  s->set = true;
  s->policy = sched_policy_values[i];
  s->nice = (int) nice;
  s->priority = (int) prio;
  return 0;
}

static int
parse_console_size (struct spec_ctx *c, yajl_val v, void *item)
{
  struct urun_process *p = item;

  uint32_t n = 0;
  static const char *const keys[] = { "height", "width", NULL };

  if (spec_require (c, v, keys) < 0
      || spec_get_u32 (c, v, "height", &n, NULL) < 0)
    return -1;
  p->console_height = n;
  if (spec_get_u32 (c, v, "width", &n, NULL) < 0)
    return -1;
  p->console_width = n;
  p->has_console_size = true;
  return 0;
}

static int
parse_exec_cpu_affinity (struct spec_ctx *c, yajl_val v, void *item)
{
  struct urun_process *p = item;

  if (spec_object (c, v) < 0)
    return -1;
  if (spec_get_string (c, v, "initial", &p->exec_cpu_affinity_initial) < 0
      || spec_get_string (c, v, "final", &p->exec_cpu_affinity_final) < 0)
    return -1;
  return 0;
}

static int
parse_args (struct spec_ctx *c, yajl_val obj, struct urun_process *p)
{
  yajl_val v = spec_field (obj, "args");

  if (spec_array_len (v) == 0)
    return SPEC_AT_KEY (c, "args",
                        spec_fail (c, "expected a non-empty array"));
  return SPEC_AT_KEY (c, "args", spec_strv (c, v, &p->args, &p->n_args));
}

static int
parse_cwd (struct spec_ctx *c, yajl_val obj, struct urun_process *p)
{
  if (spec_get_abs_path (c, obj, "cwd", &p->cwd) < 0)
    return -1;
  if (p->cwd == NULL)
    p->cwd = strdup ("/");
  return p->cwd == NULL ? spec_fail_oom (c) : 0;
}

/* The members that describe the program and its terminal. */
static int
parse_program (struct spec_ctx *c, yajl_val v, struct urun_process *p)
{
  yajl_val user = spec_field (v, "user");

  if (spec_get_bool (c, v, "terminal", &p->terminal) < 0
      || spec_get_member (c, v, "consoleSize", NULL, parse_console_size, p)
             < 0)
    return -1;
  /* The spec requires "user"; like runc, read its absence as uid 0, gid 0. */
  if (user != NULL
      && SPEC_AT_KEY (c, "user", parse_user (c, user, &p->user)) < 0)
    return -1;
  if (parse_args (c, v, p) < 0
      || spec_get_string (c, v, "commandLine", &p->command_line) < 0
      || spec_get_env (c, v, "env", &p->env, &p->n_env) < 0
      || parse_cwd (c, v, p) < 0)
    return -1;
  return 0;
}

/* The members that set up credentials, limits and scheduling. */
static int
parse_privileges (struct spec_ctx *c, yajl_val v, struct urun_process *p)
{
  if (spec_get_member (c, v, "capabilities", &p->has_capabilities,
                       parse_capabilities, &p->capabilities)
          < 0
      || parse_rlimits (c, v, p) < 0
      || spec_get_bool (c, v, "noNewPrivileges", &p->no_new_privileges) < 0
      || spec_get_string (c, v, "apparmorProfile", &p->apparmor_profile) < 0
      || spec_get_int (c, v, "oomScoreAdj", -1000, 1000,
                       "an integer from -1000 to 1000",
                       &p->oom_score_adj.value)
             < 0
      || spec_get_string (c, v, "selinuxLabel", &p->selinux_label) < 0
      || spec_get_member (c, v, "ioPriority", NULL, parse_io_priority,
                          &p->io_priority)
             < 0
      || spec_get_member (c, v, "scheduler", NULL, parse_scheduler,
                          &p->scheduler)
             < 0
      || spec_get_member (c, v, "execCPUAffinity", NULL,
                          parse_exec_cpu_affinity, p)
             < 0)
    return -1;
  p->oom_score_adj.set = spec_field (v, "oomScoreAdj") != NULL;
  return 0;
}

int
spec_parse_process_at (struct spec_ctx *c, yajl_val v, struct urun_process *p)
{
  if (spec_object (c, v) < 0)
    return -1;
  if (parse_program (c, v, p) < 0 || parse_privileges (c, v, p) < 0)
    return -1;
  return 0;
}

void
spec_free_process_fields (struct urun_process *p)
{
  free (p->user.additional_gids);
  free (p->user.username);
  strv_free (p->args);
  free (p->command_line);
  strv_free (p->env);
  free (p->cwd);
  free (p->rlimits);
  free (p->apparmor_profile);
  free (p->selinux_label);
  free (p->exec_cpu_affinity_initial);
  free (p->exec_cpu_affinity_final);
}

void
urun_free_process (struct urun_process *process)
{
  if (process == NULL)
    return;
  spec_free_process_fields (process);
  free (process);
}

URUN_DEFINE_CLEANUP (process, struct urun_process *, urun_free_process (*p))

struct urun_process *
urun_parse_process (const char *json, size_t len, const char *name,
                    struct urun_error *err)
{
  cleanup_yajl yajl_val tree = NULL;
  __attribute__ ((cleanup (process_release))) struct urun_process *p = NULL;
  struct spec_ctx c = { .name = name, .err = err };

  tree = spec_parse_tree (json, len, name, err);
  if (tree == NULL)
    return NULL;
  p = calloc (1, sizeof *p);
  if (p == NULL)
    {
      spec_fail_oom (&c);
      return NULL;
    }
  if (spec_parse_process_at (&c, tree, p) < 0)
    return NULL;
  return TAKE_PTR (p);
}

/* Give OBJ's member KEY the value V (replacing and freeing the old one, or
 * appending). V now belongs to OBJ. */
static int
set_member (yajl_val obj, const char *key, yajl_val v)
{
  __typeof__ (obj->u.object) *o = &obj->u.object;
  const char **keys;
  yajl_val *values;
  char *key_copy;

  for (size_t i = 0; i < o->len; i++)
    if (strcmp (o->keys[i], key) == 0)
      {
        yajl_tree_free (o->values[i]);
        o->values[i] = v;
        return 0;
      }
  keys = realloc (o->keys, (o->len + 1) * sizeof *keys);
  if (keys == NULL)
    return -1;
  o->keys = keys;
  values = realloc (o->values, (o->len + 1) * sizeof *values);
  if (values == NULL)
    return -1;
  o->values = values;
  key_copy = strdup (key);
  if (key_copy == NULL)
    return -1;
  o->keys[o->len] = key_copy;
  o->values[o->len++] = v;
  return 0;
}

/* Move every member of OVERLAY but "env" into BASE. */
static int
overlay_members (struct spec_ctx *c, yajl_val base, yajl_val overlay)
{
  for (size_t i = 0; i < overlay->u.object.len; i++)
    {
      if (strcmp (overlay->u.object.keys[i], "env") == 0)
        continue;
      if (set_member (base, overlay->u.object.keys[i], overlay->u.object.values[i]) < 0)
        return spec_fail_oom (c);
      overlay->u.object.values[i] = NULL; /* now BASE's */
    }
  return 0;
}

int
urun_process_set_env (struct urun_process *p, const char *entry)
{
  size_t key_len = strcspn (entry, "=");
  char *copy = strdup (entry);
  char **env;

  if (copy == NULL)
    return -1;
  for (size_t i = 0; i < p->n_env; i++)
    if (strncmp (p->env[i], entry, key_len) == 0 && p->env[i][key_len] == '=')
      {
        free (p->env[i]);
        p->env[i] = copy;
        return 0;
      }
  env = realloc (p->env, (p->n_env + 2) * sizeof (char *));
  if (env == NULL)
    {
      free (copy);
      return -1;
    }
  p->env = env;
  p->env[p->n_env++] = copy;
  p->env[p->n_env] = NULL;
  return 0;
}

/* The overlay's env, each entry replacing the base's of the same key. */
static int
overlay_env (struct spec_ctx *c, yajl_val overlay, struct urun_process *p)
{
  cleanup_strv char **env = NULL;
  size_t n = 0;

  if (spec_get_env (c, overlay, "env", &env, &n) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (urun_process_set_env (p, env[i]) < 0)
      return spec_fail_oom (c);
  return 0;
}

struct urun_process *
urun_parse_process_over (const char *json, size_t len, const char *name,
                         const char *base_config, size_t base_len,
                         struct urun_error *err)
{
  cleanup_yajl yajl_val overlay = NULL;
  cleanup_yajl yajl_val base = NULL;
  __attribute__ ((cleanup (process_release))) struct urun_process *p = NULL;
  struct spec_ctx c = { .name = name, .err = err };
  yajl_val base_process;

  overlay = spec_parse_tree (json, len, name, err);
  if (overlay == NULL || spec_object (&c, overlay) < 0)
    return NULL;
  base = spec_parse_tree (base_config, base_len, "config.json", err);
  if (base == NULL)
    return NULL;
  base_process = spec_field (base, "process");
  if (base_process == NULL || !YAJL_IS_OBJECT (base_process))
    {
      spec_fail (&c, "the container's config.json has no process to inherit from");
      return NULL;
    }
  if (overlay_members (&c, base_process, overlay) < 0)
    return NULL;
  p = calloc (1, sizeof *p);
  if (p == NULL)
    {
      spec_fail_oom (&c);
      return NULL;
    }
  if (spec_parse_process_at (&c, base_process, p) < 0 || overlay_env (&c, overlay, p) < 0)
    return NULL;
  return TAKE_PTR (p);
}
