/* sysctl.c: validate and write linux.sysctl. */
#define _GNU_SOURCE
#include "sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>

#include "cleanup.h"
#include "rootpath.h"
#include "utils.h"

/* The IPC sysctls of ipc_namespaces(7) and mqueue's fs.mqueue.*. */
static const char *const ipc_keys[] = {
  "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
  "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

static bool
has_own_namespace (const struct urun_spec *spec, enum urun_ns_type type)
{
  const struct urun_namespace *ns = urun_spec_namespace (spec, type);

  return ns != NULL;
}

static enum urun_ns_type
namespace_of_key (const char *key)
{
  if (strncmp (key, "net.", 4) == 0)
    return URUN_NS_NETWORK;
  if (strncmp (key, "fs.mqueue.", 10) == 0)
    return URUN_NS_IPC;
  for (size_t i = 0; i < sizeof ipc_keys / sizeof ipc_keys[0]; i++)
    if (strcmp (key, ipc_keys[i]) == 0)
      return URUN_NS_IPC;
  if (strcmp (key, "kernel.hostname") == 0 || strcmp (key, "kernel.domainname") == 0)
    return URUN_NS_UTS;
  return URUN_NS_COUNT;
}

int
urun_sysctl_check (const struct urun_spec *spec, struct urun_error *err)
{
  for (size_t i = 0; i < spec->linux_.n_sysctl; i++)
    {
      const char *key = spec->linux_.sysctl[i].key;
      enum urun_ns_type type = namespace_of_key (key);

      if (strstr (key, "..") || key[0] == '.' || key[0] == '/' || strchr (key, '='))
        return urun_set_error (err, 0, "config.json: linux.sysctl: invalid key `%s`", key);
      if (type == URUN_NS_COUNT)
        return urun_set_error (err, 0, "config.json: linux.sysctl: `%s` is not namespaced and would change the host", key);
      if (!has_own_namespace (spec, type))
        return urun_set_error (err, 0, "config.json: linux.sysctl: `%s` needs the container's own %s namespace",
                               key, urun_ns_type_name (type));
    }
  return 0;
}

/* "net.ipv4.conf.eth0/1.forwarding" -> "proc/sys/net/ipv4/conf/eth0.1/forwarding":
 * in sysctl notation '/' stands for a dot inside a name. sysctl.d(5) */
static char *
key_to_path (const char *key)
{
  char *path = xasprintf ("proc/sys/%s", key);

  for (char *p = path + strlen ("proc/sys/"); *p; p++)
    *p = *p == '.' ? '/' : *p == '/' ? '.' : *p;
  return path;
}

int
urun_sysctl_apply (const struct urun_spec *spec, int root_fd,
                   struct urun_error *err)
{
  for (size_t i = 0; i < spec->linux_.n_sysctl; i++)
    {
      cleanup_free char *path = key_to_path (spec->linux_.sysctl[i].key);
      cleanup_close int fd = urun_openat_in_root (root_fd, path, O_WRONLY | O_NOFOLLOW);

      if (urun_write_procfs (fd, path, spec->linux_.sysctl[i].value, err) < 0)
        return urun_wrap_error (err, "linux.sysctl `%s`", spec->linux_.sysctl[i].key);
    }
  return 0;
}
