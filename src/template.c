/* template.c: `urun spec` and `urun features` documents, through yajl_gen. */
#define _GNU_SOURCE
#include "template.h"

#include <string.h>
#include <sys/capability.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "../userns/rootless.h"
#include "cleanup.h"
#include "utils.h"

static void
str (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

static void
pair (yajl_gen g, const char *key, const char *value)
{
  str (g, key);
  str (g, value);
}

/* A NULL-terminated list of strings as a JSON array under KEY. */
static void
str_array (yajl_gen g, const char *key, const char *const *items)
{
  str (g, key);
  yajl_gen_array_open (g);
  for (; *items; items++)
    str (g, *items);
  yajl_gen_array_close (g);
}

static char *
finish (yajl_gen g)
{
  const unsigned char *buf;
  size_t len;
  char *out;

  yajl_gen_get_buf (g, &buf, &len);
  out = xmalloc0 (len + 2);
  memcpy (out, buf, len);
  out[len] = '\n';
  yajl_gen_free (g);
  return out;
}

static const char *const default_caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };

static void
gen_process (yajl_gen g)
{
  str (g, "process");
  yajl_gen_map_open (g);
  str (g, "terminal");
  yajl_gen_bool (g, 0);
  str (g, "user");
  yajl_gen_map_open (g);
  str (g, "uid");
  yajl_gen_integer (g, 0);
  str (g, "gid");
  yajl_gen_integer (g, 0);
  yajl_gen_map_close (g);
  str_array (g, "args", (const char *const[]){ "sh", NULL });
  str_array (g, "env", (const char *const[]){ "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL });
  pair (g, "cwd", "/");
  str (g, "capabilities");
  yajl_gen_map_open (g);
  str_array (g, "bounding", default_caps);
  str_array (g, "effective", default_caps);
  str_array (g, "permitted", default_caps);
  yajl_gen_map_close (g);
  str (g, "rlimits");
  yajl_gen_array_open (g);
  yajl_gen_map_open (g);
  pair (g, "type", "RLIMIT_NOFILE");
  str (g, "hard");
  yajl_gen_integer (g, 1024);
  str (g, "soft");
  yajl_gen_integer (g, 1024);
  yajl_gen_map_close (g);
  yajl_gen_array_close (g);
  str (g, "noNewPrivileges");
  yajl_gen_bool (g, 1);
  yajl_gen_map_close (g);
}

static void
gen_mount (yajl_gen g, const char *dest, const char *type, const char *source,
           const char *const *options)
{
  yajl_gen_map_open (g);
  pair (g, "destination", dest);
  pair (g, "type", type);
  pair (g, "source", source);
  str_array (g, "options", options);
  yajl_gen_map_close (g);
}

static void
gen_mounts (yajl_gen g, bool rootless, bool has_subgid)
{
  str (g, "mounts");
  yajl_gen_array_open (g);
  gen_mount (g, "/proc", "proc", "proc", (const char *const[]){ NULL });
  gen_mount (g, "/dev", "tmpfs", "tmpfs", (const char *const[]){ "nosuid", "strictatime", "mode=755", "size=65536k", NULL });
  /* gid=5 (tty) only exists in the namespace when a subordinate range maps it. */
  if (!rootless || has_subgid)
    gen_mount (g, "/dev/pts", "devpts", "devpts", (const char *const[]){ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL });
  else
    gen_mount (g, "/dev/pts", "devpts", "devpts", (const char *const[]){ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL });
  gen_mount (g, "/dev/shm", "tmpfs", "shm", (const char *const[]){ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL });
  gen_mount (g, "/dev/mqueue", "mqueue", "mqueue", (const char *const[]){ "nosuid", "noexec", "nodev", NULL });
  if (rootless)
    gen_mount (g, "/sys", "none", "/sys", (const char *const[]){ "rbind", "nosuid", "noexec", "nodev", "ro", NULL });
  else
    gen_mount (g, "/sys", "sysfs", "sysfs", (const char *const[]){ "nosuid", "noexec", "nodev", "ro", NULL });
  gen_mount (g, "/sys/fs/cgroup", "cgroup", "cgroup", (const char *const[]){ "nosuid", "noexec", "nodev", "relatime", "ro", NULL });
  yajl_gen_array_close (g);
}

static void
gen_mappings (yajl_gen g, const char *key, const struct urun_id_mapping *m, size_t n)
{
  str (g, key);
  yajl_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    {
      yajl_gen_map_open (g);
      str (g, "containerID");
      yajl_gen_integer (g, m[i].container_id);
      str (g, "hostID");
      yajl_gen_integer (g, m[i].host_id);
      str (g, "size");
      yajl_gen_integer (g, m[i].size);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
}

static const char *const masked_paths[] = {
  "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
  "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
  "/proc/scsi", NULL,
};
static const char *const readonly_paths[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

static void
gen_namespaces (yajl_gen g, bool rootless)
{
  static const char *const root_ns[] = { "pid", "network", "ipc", "uts", "mount", "cgroup", NULL };
  /* As runc: rootless keeps the host network (no slirp by default). */
  static const char *const rootless_ns[] = { "pid", "ipc", "uts", "mount", "cgroup", "user", NULL };

  str (g, "namespaces");
  yajl_gen_array_open (g);
  for (const char *const *t = rootless ? rootless_ns : root_ns; *t; t++)
    {
      yajl_gen_map_open (g);
      pair (g, "type", *t);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
}

/* The caller as root, then its subordinate ranges. */
static int
gen_rootless_mappings (yajl_gen g, struct urun_error *err)
{
  for (int is_gid = 0; is_gid <= 1; is_gid++)
    {
      cleanup_free struct urun_id_mapping *sub = NULL;
      struct urun_id_mapping all[17];
      size_t n = 0;

      if (urun_subid_mappings (is_gid, 1, &sub, &n, err) < 0)
        return -1;
      all[0] = (struct urun_id_mapping){ 0, is_gid ? getegid () : geteuid (), 1 };
      n = n > 16 ? 16 : n;
      memcpy (all + 1, sub, n * sizeof *sub);
      gen_mappings (g, is_gid ? "gidMappings" : "uidMappings", all, n + 1);
    }
  return 0;
}

static int
has_subordinate_gids (bool *has, struct urun_error *err)
{
  cleanup_free struct urun_id_mapping *sub = NULL;
  size_t n = 0;

  if (urun_subid_mappings (true, 1, &sub, &n, err) < 0)
    return -1;
  *has = n > 0;
  return 0;
}

char *
urun_default_spec_json (bool rootless, struct urun_error *err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  bool has_subgid = false;

  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_map_open (g);
  pair (g, "ociVersion", "1.2.0");
  gen_process (g);
  str (g, "root");
  yajl_gen_map_open (g);
  pair (g, "path", "rootfs");
  str (g, "readonly");
  yajl_gen_bool (g, 1);
  yajl_gen_map_close (g);
  pair (g, "hostname", "urun");
  if (rootless && has_subordinate_gids (&has_subgid, err) < 0)
    {
      yajl_gen_free (g);
      return NULL;
    }
  gen_mounts (g, rootless, has_subgid);
  str (g, "linux");
  yajl_gen_map_open (g);
  if (rootless && gen_rootless_mappings (g, err) < 0)
    {
      yajl_gen_free (g);
      return NULL;
    }
  gen_namespaces (g, rootless);
  str_array (g, "maskedPaths", masked_paths);
  str_array (g, "readonlyPaths", readonly_paths);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  return finish (g);
}

/* The cgroupfs driver on v1 and v2; --systemd-cgroup's driver for the
 * system's manager (root) and the user's (rootless), cgroups-systemd.c. */
static void
gen_cgroup_features (yajl_gen g)
{
  static const char *const keys[] = { "v1", "v2", "systemd", "systemdUser", "rdma" };
  static const bool values[] = { true, true, true, true, false };

  str (g, "cgroup");
  yajl_gen_map_open (g);
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    {
      str (g, keys[i]);
      yajl_gen_bool (g, values[i]);
    }
  yajl_gen_map_close (g);
}

/* {"enabled": false}: features this build does not apply. */
static void
gen_disabled (yajl_gen g, const char *key)
{
  str (g, key);
  yajl_gen_map_open (g);
  str (g, "enabled");
  yajl_gen_bool (g, 0);
  yajl_gen_map_close (g);
}

static void
gen_seccomp_features (yajl_gen g)
{
  str (g, "seccomp");
  yajl_gen_map_open (g);
  str (g, "enabled");
  yajl_gen_bool (g, 1);
  str_array (g, "actions", (const char *const[]){
    "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE",
    "SCMP_ACT_TRAP", NULL });
  str_array (g, "operators", (const char *const[]){
    "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
    "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL });
  str_array (g, "archs", (const char *const[]){
    "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", NULL });
  str_array (g, "knownFlags", (const char *const[]){
    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL });
  yajl_gen_map_close (g);
}

char *
urun_features_json (void)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  int last = (int) cap_max_bits ();

  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_map_open (g);
  pair (g, "ociVersionMin", "1.0.0");
  pair (g, "ociVersionMax", "1.2.0");
  str_array (g, "hooks", (const char *const[]){ "prestart", "createRuntime", "createContainer",
                                                 "startContainer", "poststart", "poststop", NULL });
  str_array (g, "mountOptions", (const char *const[]){
    "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec",
    "noatime", "nodev", "nodiratime", "noexec", "nosuid", "nosymfollow",
    "private", "rbind", "relatime", "ro", "rprivate", "rshared", "rslave",
    "runbindable", "rw", "shared", "slave", "strictatime", "suid", "symfollow",
    "sync", "unbindable", NULL });
  str (g, "linux");
  yajl_gen_map_open (g);
  str_array (g, "namespaces", (const char *const[]){ "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts", NULL });
  str (g, "capabilities");
  yajl_gen_array_open (g);
  for (int cap = 0; cap < last; cap++)
    {
      char *name = cap_to_name (cap);
      cleanup_free char *upper = xasprintf ("%s", name);
      for (char *p = upper; *p; p++)
        *p = (*p >= 'a' && *p <= 'z') ? (char) (*p - 32) : *p;
      str (g, upper);
      cap_free (name);
    }
  yajl_gen_array_close (g);
  gen_cgroup_features (g);
  gen_seccomp_features (g);
  gen_disabled (g, "apparmor");
  gen_disabled (g, "selinux");
  gen_disabled (g, "intelRdt");
  yajl_gen_map_close (g);
  str (g, "annotations");
  yajl_gen_map_open (g);
  pair (g, "run.urun.version", URUN_VERSION);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  return finish (g);
}
