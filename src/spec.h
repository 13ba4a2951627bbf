/* spec.h: config.json as typed C structs (OCI runtime-spec 1.2, Linux).
 * spec.c is the only file that sees JSON; every other file reads these. */
#ifndef URUN_SPEC_H
#define URUN_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* An optional number: SET is false when the field was absent. */
struct urun_opt_i64
{
  bool set;
  int64_t value;
};

struct urun_opt_u64
{
  bool set;
  uint64_t value;
};

/* A JSON object of strings (annotations, sysctl, unified), in file order. */
struct urun_kv
{
  char *key;
  char *value;
};

struct urun_user
{
  uid_t uid;
  gid_t gid;
  bool has_umask;
  mode_t umask;
  gid_t *additional_gids;
  size_t n_additional_gids;
  char *username;
};

/* Capability sets as bit masks: bit N is capability N (capability.h). */
struct urun_capabilities
{
  uint64_t bounding;
  uint64_t effective;
  uint64_t inheritable;
  uint64_t permitted;
  uint64_t ambient;
  /* Names this libcap does not know, comma-separated (truncated): the spec
   * wants them logged as a warning, not refused (config.md). */
  char unknown[128];
};

struct urun_rlimit
{
  int resource; /* RLIMIT_* */
  uint64_t soft;
  uint64_t hard;
};

struct urun_io_priority
{
  bool set;
  int class; /* IOPRIO_CLASS_RT, _BE, _IDLE */
  int priority;
};

struct urun_scheduler
{
  bool set;
  int policy; /* SCHED_* */
  int nice;
  int priority;
  uint64_t flags; /* SCHED_FLAG_* */
  uint64_t runtime;
  uint64_t deadline;
  uint64_t period;
};

struct urun_process
{
  bool terminal;
  bool has_console_size;
  unsigned console_height;
  unsigned console_width;
  struct urun_user user;
  char **args; /* NULL-terminated */
  size_t n_args;
  char *command_line;
  char **env; /* NULL-terminated, "KEY=value" */
  size_t n_env;
  char *cwd;
  bool has_capabilities;
  struct urun_capabilities capabilities;
  struct urun_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  char *apparmor_profile;
  struct urun_opt_i64 oom_score_adj;
  char *selinux_label;
  struct urun_io_priority io_priority;
  struct urun_scheduler scheduler;
  char *exec_cpu_affinity_initial;
  char *exec_cpu_affinity_final;
};

struct urun_root
{
  char *path; /* as written; may be relative to the bundle */
  bool readonly;
};

struct urun_id_mapping
{
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

struct urun_mount
{
  char *destination;
  char *type;   /* NULL when absent (a bind mount) */
  char *source; /* NULL when absent */
  char **options; /* NULL-terminated, as written */
  size_t n_options;
  struct urun_id_mapping *uid_mappings; /* idmapped mounts */
  size_t n_uid_mappings;
  struct urun_id_mapping *gid_mappings;
  size_t n_gid_mappings;
};

enum urun_ns_type
{
  URUN_NS_USER,
  URUN_NS_MOUNT,
  URUN_NS_PID,
  URUN_NS_NETWORK,
  URUN_NS_IPC,
  URUN_NS_UTS,
  URUN_NS_CGROUP,
  URUN_NS_TIME,
  URUN_NS_COUNT
};

struct urun_namespace
{
  enum urun_ns_type type;
  char *path; /* NULL: create a new one */
};

struct urun_device
{
  char *path;
  char type; /* 'c', 'b', 'u' or 'p' */
  int64_t major;
  int64_t minor;
  bool has_file_mode;
  mode_t file_mode;
  bool has_uid;
  uid_t uid;
  bool has_gid;
  gid_t gid;
};

struct urun_hook
{
  char *path;
  char **args; /* NULL-terminated, may be NULL */
  size_t n_args;
  char **env;  /* NULL-terminated, may be NULL */
  size_t n_env;
  struct urun_opt_i64 timeout; /* seconds, > 0 when set */
};

enum urun_hook_kind
{
  URUN_HOOK_PRESTART,
  URUN_HOOK_CREATE_RUNTIME,
  URUN_HOOK_CREATE_CONTAINER,
  URUN_HOOK_START_CONTAINER,
  URUN_HOOK_POSTSTART,
  URUN_HOOK_POSTSTOP,
  URUN_HOOK_KIND_COUNT
};

struct urun_hook_list
{
  struct urun_hook *hooks;
  size_t n_hooks;
};

struct urun_seccomp_arg
{
  unsigned index;
  uint64_t value;
  uint64_t value_two;
  char *op; /* "SCMP_CMP_EQ", ... validated by spec.c */
};

struct urun_seccomp_syscall
{
  char **names; /* NULL-terminated */
  size_t n_names;
  char *action; /* "SCMP_ACT_ERRNO", ... validated by spec.c */
  bool has_errno_ret;
  uint32_t errno_ret;
  struct urun_seccomp_arg *args;
  size_t n_args;
};

struct urun_seccomp
{
  char *default_action;
  bool has_default_errno_ret;
  uint32_t default_errno_ret;
  char **architectures; /* NULL-terminated, may be NULL */
  size_t n_architectures;
  char **flags; /* NULL-terminated, may be NULL */
  size_t n_flags;
  char *listener_path;
  char *listener_metadata;
  struct urun_seccomp_syscall *syscalls;
  size_t n_syscalls;
};

struct urun_device_rule
{
  bool allow;
  char type; /* 'a', 'c', 'b' or 0 when absent (= 'a') */
  struct urun_opt_i64 major; /* unset: any */
  struct urun_opt_i64 minor;
  char *access; /* "rwm" subset, NULL: all */
};

struct urun_weight_device
{
  int64_t major;
  int64_t minor;
  struct urun_opt_u64 weight;
  struct urun_opt_u64 leaf_weight;
};

struct urun_throttle_device
{
  int64_t major;
  int64_t minor;
  uint64_t rate;
};

struct urun_hugepage_limit
{
  char *page_size; /* "2MB", "1GB" */
  uint64_t limit;
};

struct urun_net_priority
{
  char *name;
  uint32_t priority;
};

struct urun_resources
{
  struct urun_device_rule *devices;
  size_t n_devices;
  struct
  {
    struct urun_opt_i64 limit, reservation, swap, kernel, kernel_tcp;
    struct urun_opt_u64 swappiness;
    bool has_disable_oom_killer, disable_oom_killer;
    bool has_use_hierarchy, use_hierarchy;
    bool has_check_before_update, check_before_update;
  } memory;
  struct
  {
    struct urun_opt_u64 shares, period, realtime_period;
    struct urun_opt_i64 quota, burst, realtime_runtime, idle;
    char *cpus;
    char *mems;
  } cpu;
  struct urun_opt_i64 pids_limit;
  struct
  {
    struct urun_opt_u64 weight, leaf_weight;
    struct urun_weight_device *weight_devices;
    size_t n_weight_devices;
    struct urun_throttle_device *throttle_read_bps, *throttle_write_bps,
        *throttle_read_iops, *throttle_write_iops;
    size_t n_throttle_read_bps, n_throttle_write_bps, n_throttle_read_iops,
        n_throttle_write_iops;
  } block_io;
  struct urun_hugepage_limit *hugepage_limits;
  size_t n_hugepage_limits;
  struct
  {
    struct urun_opt_u64 class_id;
    struct urun_net_priority *priorities;
    size_t n_priorities;
  } network;
  struct urun_kv *unified;
  size_t n_unified;
};

struct urun_linux
{
  struct urun_namespace *namespaces;
  size_t n_namespaces;
  struct urun_id_mapping *uid_mappings;
  size_t n_uid_mappings;
  struct urun_id_mapping *gid_mappings;
  size_t n_gid_mappings;
  struct urun_device *devices;
  size_t n_devices;
  char *cgroups_path;
  bool has_resources;
  struct urun_resources resources;
  char *rootfs_propagation; /* "private", "rprivate", "slave", ... or NULL */
  bool has_seccomp;
  struct urun_seccomp seccomp;
  struct urun_kv *sysctl;
  size_t n_sysctl;
  char **masked_paths; /* NULL-terminated, may be NULL */
  size_t n_masked_paths;
  char **readonly_paths;
  size_t n_readonly_paths;
  char *mount_label;
  bool has_personality;
  unsigned long personality_domain; /* PER_LINUX or PER_LINUX32 */
  char **personality_flags; /* NULL-terminated or NULL; none defined yet */
  size_t n_personality_flags;
  struct
  {
    bool set;
    int64_t monotonic_secs, boottime_secs;
    uint32_t monotonic_nanosecs, boottime_nanosecs;
  } time_offsets;
};

struct urun_spec
{
  char *oci_version;
  bool has_process;
  struct urun_process process;
  bool has_root;
  struct urun_root root;
  char *hostname;
  char *domainname;
  struct urun_mount *mounts;
  size_t n_mounts;
  struct urun_hook_list hooks[URUN_HOOK_KIND_COUNT];
  struct urun_kv *annotations;
  size_t n_annotations;
  bool has_linux;
  struct urun_linux linux_;
};

/* Parse and validate the config.json at PATH.  Errors read
 * "config.json: process.args[1]: expected a string" (NAME is the label used
 * in messages, e.g. "config.json"). Returns NULL on failure. */
struct urun_spec *urun_load_spec (const char *path, const char *name,
                                  struct urun_error *err);

/* The same from a buffer (for tests, fuzzing and stored copies). */
struct urun_spec *urun_parse_spec (const char *json, size_t len,
                                   const char *name, struct urun_error *err);

/* Parse a lone process object (`exec --process FILE`), same rules and paths
 * ("process.json: user.uid: ..."). */
struct urun_process *urun_parse_process (const char *json, size_t len,
                                         const char *name,
                                         struct urun_error *err);

/* A process object (`exec --process FILE`) laid over the process of
 * BASE_CONFIG (the container's config.json): every member it has replaces
 * the base's, env entries replace the base's of the same key, and what it
 * leaves out is inherited (a process without "user" runs as the
 * container's user). */
struct urun_process *urun_parse_process_over (const char *json, size_t len,
                                              const char *name,
                                              const char *base_config,
                                              size_t base_len,
                                              struct urun_error *err);

/* Set "KEY=value" in P's env, replacing an entry of the same KEY. */
int urun_process_set_env (struct urun_process *p, const char *entry);

void urun_free_spec (struct urun_spec *spec);
void urun_free_process (struct urun_process *process);

/* The namespace entry of TYPE, or NULL when the spec does not list it. */
const struct urun_namespace *urun_spec_namespace (const struct urun_spec *spec,
                                                  enum urun_ns_type type);

/* "pid", "network", ... as written in config.json. */
const char *urun_ns_type_name (enum urun_ns_type type);

/* Value of the annotation KEY, or NULL. */
const char *urun_spec_annotation (const struct urun_spec *spec,
                                  const char *key);

static inline void
spec_release (struct urun_spec **p)
{
  urun_free_spec (*p);
}
#define cleanup_spec __attribute__ ((cleanup (spec_release)))

#endif
