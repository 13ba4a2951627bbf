/* spec-linux.c: the "linux" object of config.json — namespaces, id maps,
 * devices, paths, personality; resources and seccomp have their own files. */
#define _GNU_SOURCE
#include "spec-parse.h"

#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>

/* In the order of the spec's list, which error messages repeat. */
static const char *const ns_names[] = {
  "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time",
};
static const enum urun_ns_type ns_types[] = {
  URUN_NS_PID, URUN_NS_NETWORK, URUN_NS_MOUNT,  URUN_NS_IPC,
  URUN_NS_UTS, URUN_NS_USER,    URUN_NS_CGROUP, URUN_NS_TIME,
};

static const char *const device_types[] = { "c", "b", "u", "p" };

static const char *const propagations[] = {
  "shared",  "rshared",  "slave",      "rslave",
  "private", "rprivate", "unbindable", "runbindable",
};

static const char *const personality_domains[] = { "LINUX", "LINUX32" };
static const unsigned long personality_values[] = { PER_LINUX, PER_LINUX32 };

const char *
urun_ns_type_name (enum urun_ns_type type)
{
  for (size_t i = 0; i < SPEC_N_ELEMENTS (ns_types); i++)
    if (ns_types[i] == type)
      return ns_names[i];
  return NULL;
}

static int
parse_namespace (struct spec_ctx *c, yajl_val v, void *item)
{
  struct urun_namespace *ns = item;

  int i = 0;

  if (spec_object (c, v) < 0)
    return -1;
  if (spec_field (v, "type") == NULL)
    return spec_fail_missing (c, "type");
  if (spec_get_enum (c, v, "type", "namespace type", ns_names,
                     SPEC_N_ELEMENTS (ns_names), &i)
      < 0)
    return -1;
  ns->type = ns_types[i];
  return spec_get_abs_path (c, v, "path", &ns->path);
}

static int
parse_namespaces (struct spec_ctx *c, yajl_val v, struct urun_linux *l)
{
  if (SPEC_GET_ITEMS (c, v, "namespaces", l->namespaces, l->n_namespaces,
                      parse_namespace)
      < 0)
    return -1;
  for (size_t i = 0; i < l->n_namespaces; i++)
    for (size_t j = 0; j < i; j++)
      if (l->namespaces[i].type == l->namespaces[j].type)
        return SPEC_AT_KEY (
            c, "namespaces",
            spec_fail (c, "\"%s\" listed twice",
                       urun_ns_type_name (l->namespaces[i].type)));
  return 0;
}

static int
parse_device (struct spec_ctx *c, yajl_val v, void *item)
{
  struct urun_device *d = item;

  uint32_t n = 0;
  int t = 0;
  static const char *const keys[] = { "type", "path", NULL };

  if (spec_require (c, v, keys) < 0
      || spec_get_enum (c, v, "type", "device type", device_types,
                        SPEC_N_ELEMENTS (device_types), &t)
             < 0
      || spec_get_abs_path (c, v, "path", &d->path) < 0)
    return -1;
  d->type = device_types[t][0];
  /* A FIFO has no device number; the others must say which device. */
  if (d->type != 'p' && spec_field (v, "major") == NULL)
    return spec_fail_missing (c, "major");
  if (d->type != 'p' && spec_field (v, "minor") == NULL)
    return spec_fail_missing (c, "minor");
  if (spec_get_int (c, v, "major", INT64_MIN, INT64_MAX, SPEC_I64, &d->major)
          < 0
      || spec_get_int (c, v, "minor", INT64_MIN, INT64_MAX, SPEC_I64,
                       &d->minor)
             < 0
      || spec_get_u32 (c, v, "fileMode", &n, &d->has_file_mode) < 0)
    return -1;
  if (n > 07777)
    return SPEC_AT_KEY (c, "fileMode",
                        spec_fail (c, "expected a file mode (0 to 07777)"));
  d->file_mode = n;
  if (spec_get_u32 (c, v, "uid", &n, &d->has_uid) < 0)
    return -1;
  d->uid = n;
  if (spec_get_u32 (c, v, "gid", &n, &d->has_gid) < 0)
    return -1;
  d->gid = n;
  return 0;
}

static int
parse_offset_fields (struct spec_ctx *c, yajl_val v, int64_t *secs,
                     uint64_t *nanosecs)
{
  if (spec_object (c, v) < 0
      || spec_get_int (c, v, "secs", INT64_MIN, INT64_MAX, SPEC_I64, secs) < 0
      || spec_get_uint (c, v, "nanosecs", 999999999,
                        "an integer from 0 to 999999999", nanosecs)
             < 0)
    return -1;
  return 0;
}

static int
parse_time_offset (struct spec_ctx *c, yajl_val obj, const char *key,
                   int64_t *secs, uint32_t *nanosecs)
{
  yajl_val v = spec_field (obj, key);
  uint64_t ns = 0;

  if (v == NULL)
    return 0;
  if (SPEC_AT_KEY (c, key, parse_offset_fields (c, v, secs, &ns)) < 0)
    return -1;
  *nanosecs = (uint32_t) ns;
  return 0;
}

static int
parse_time_offsets (struct spec_ctx *c, yajl_val v, void *item)
{
  struct urun_linux *l = item;

  if (spec_object (c, v) < 0)
    return -1;
  if (parse_time_offset (c, v, "monotonic", &l->time_offsets.monotonic_secs,
                         &l->time_offsets.monotonic_nanosecs)
          < 0
      || parse_time_offset (c, v, "boottime", &l->time_offsets.boottime_secs,
                            &l->time_offsets.boottime_nanosecs)
             < 0)
    return -1;
  l->time_offsets.set = true;
  return 0;
}

static int
parse_personality (struct spec_ctx *c, yajl_val v, void *item)
{
  struct urun_linux *l = item;

  int i = 0;

  if (spec_object (c, v) < 0)
    return -1;
  if (spec_field (v, "domain") == NULL)
    return spec_fail_missing (c, "domain");
  if (spec_get_enum (c, v, "domain", "personality domain", personality_domains,
                     SPEC_N_ELEMENTS (personality_domains), &i)
          < 0
      || spec_get_strv (c, v, "flags", &l->personality_flags,
                        &l->n_personality_flags)
             < 0)
    return -1;
  l->has_personality = true;
  l->personality_domain = personality_values[i];
  return 0;
}

/* maskedPaths and readonlyPaths: strings that must be absolute. */
static int
parse_abs_paths (struct spec_ctx *c, yajl_val obj, const char *key,
                 char ***out, size_t *n)
{
  if (spec_get_strv (c, obj, key, out, n) < 0)
    return -1;
  for (size_t i = 0; i < *n; i++)
    if ((*out)[i][0] != '/')
      {
        spec_push_key (c, key);
        spec_push_index (c, i);
        return spec_fail (c, "expected an absolute path");
      }
  return 0;
}

static int
parse_propagation (struct spec_ctx *c, yajl_val v, struct urun_linux *l)
{
  int i = -1;

  if (spec_get_enum (c, v, "rootfsPropagation", "propagation", propagations,
                     SPEC_N_ELEMENTS (propagations), &i)
      < 0)
    return -1;
  if (i < 0)
    return 0;
  l->rootfs_propagation = strdup (propagations[i]);
  return l->rootfs_propagation == NULL ? spec_fail_oom (c) : 0;
}

static int
resources_fn (struct spec_ctx *c, yajl_val v, void *out)
{
  return spec_parse_resources (c, v, out);
}

static int
seccomp_fn (struct spec_ctx *c, yajl_val v, void *out)
{
  return spec_parse_seccomp (c, v, out);
}

/* Namespaces and what the kernel needs to build them. */
static int
parse_isolation (struct spec_ctx *c, yajl_val v, struct urun_linux *l)
{
  if (parse_namespaces (c, v, l) < 0
      || spec_get_id_mappings (c, v, "uidMappings", &l->uid_mappings,
                               &l->n_uid_mappings)
             < 0
      || spec_get_id_mappings (c, v, "gidMappings", &l->gid_mappings,
                               &l->n_gid_mappings)
             < 0
      || spec_get_member (c, v, "timeOffsets", NULL, parse_time_offsets, l) < 0
      || SPEC_GET_ITEMS (c, v, "devices", l->devices, l->n_devices,
                         parse_device)
             < 0
      || spec_get_string (c, v, "cgroupsPath", &l->cgroups_path) < 0
      || spec_get_member (c, v, "resources", &l->has_resources, resources_fn,
                          &l->resources)
             < 0)
    return -1;
  return 0;
}

/* The container's view of the filesystem and its security settings. */
static int
parse_confinement (struct spec_ctx *c, yajl_val v, struct urun_linux *l)
{
  if (parse_propagation (c, v, l) < 0
      || spec_get_member (c, v, "seccomp", &l->has_seccomp, seccomp_fn,
                          &l->seccomp)
             < 0
      || spec_get_kv (c, v, "sysctl", &l->sysctl, &l->n_sysctl) < 0
      || parse_abs_paths (c, v, "maskedPaths", &l->masked_paths,
                          &l->n_masked_paths)
             < 0
      || parse_abs_paths (c, v, "readonlyPaths", &l->readonly_paths,
                          &l->n_readonly_paths)
             < 0
      || spec_get_string (c, v, "mountLabel", &l->mount_label) < 0
      || spec_get_member (c, v, "personality", NULL, parse_personality, l) < 0)
    return -1;
  return 0;
}

int
spec_parse_linux (struct spec_ctx *c, yajl_val v, struct urun_linux *l)
{
  if (spec_object (c, v) < 0)
    return -1;
  if (parse_isolation (c, v, l) < 0 || parse_confinement (c, v, l) < 0)
    return -1;
  return 0;
}

void
spec_free_linux_fields (struct urun_linux *l)
{
  for (size_t i = 0; l->namespaces && i < l->n_namespaces; i++)
    free (l->namespaces[i].path);
  free (l->namespaces);
  free (l->uid_mappings);
  free (l->gid_mappings);
  for (size_t i = 0; l->devices && i < l->n_devices; i++)
    free (l->devices[i].path);
  free (l->devices);
  free (l->cgroups_path);
  spec_free_resources (&l->resources);
  free (l->rootfs_propagation);
  spec_free_seccomp (&l->seccomp);
  spec_free_kv (l->sysctl, l->n_sysctl);
  strv_free (l->masked_paths);
  strv_free (l->readonly_paths);
  free (l->mount_label);
  strv_free (l->personality_flags);
}
