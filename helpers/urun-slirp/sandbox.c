/* sandbox.c: --enable-sandbox — the helper's own mount namespace with an
   empty tmpfs root holding only /etc (for resolv.conf, which libslirp
   re-reads when it changes) and the directory resolv.conf really lives in,
   then no capabilities.  Mounting needs CAP_SYS_ADMIN over a mount
   namespace: root and podman's rootless helper have it; anyone else gets it
   in a user namespace of our own (one that the container's root has no
   power over), or failing that, as slirp4netns does, in the target's. */
#define _GNU_SOURCE
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

/* The new root, a tmpfs mounted over /tmp of our private mount namespace. */
#define NEW_ROOT "/tmp"

static bool
has_cap (cap_value_t cap)
{
  cap_flag_value_t v = CAP_CLEAR;
  cap_t caps = cap_get_proc ();

  if (caps == NULL)
    return false;
  cap_get_flag (caps, cap, CAP_EFFECTIVE, &v);
  cap_free (caps);
  return v == CAP_SET;
}

static int
write_file (const char *path, const char *text, struct urun_error *err)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  size_t len = strlen (text);

  if (fd < 0)
    return urun_set_error (err, errno, "open `%s`", path);
  if (write (fd, text, len) != (ssize_t) len)
    return urun_set_error (err, errno, "write `%s`", path);
  return 0;
}

/* A user namespace mapping only ourselves.  Unprivileged gid_map needs
   setgroups=deny first (Linux 3.19+, user_namespaces(7)). */
static int
own_userns (struct urun_error *err)
{
  char map[64];
  uid_t uid = geteuid ();
  gid_t gid = getegid ();

  if (unshare (CLONE_NEWUSER) < 0)
    return urun_set_error (err, errno, "create user namespace");
  if (write_file ("/proc/self/setgroups", "deny", err) < 0)
    return -1;
  snprintf (map, sizeof map, "%u %u 1", uid, uid);
  if (write_file ("/proc/self/uid_map", map, err) < 0)
    return -1;
  snprintf (map, sizeof map, "%u %u 1", gid, gid);
  return write_file ("/proc/self/gid_map", map, err);
}

/* The target's user namespace, as slirp4netns: --userns-path, the PID's,
   or the owner of the netns path (NS_GET_USERNS, Linux 4.9). */
static int
target_userns (const struct urun_slirp_config *cfg, struct urun_error *err)
{
  char path[64];
  cleanup_close int fd = -1;
  cleanup_close int netfd = -1;

  if (cfg->userns_path != NULL)
    fd = open (cfg->userns_path, O_RDONLY | O_CLOEXEC);
  else if (cfg->target_pid > 0)
    {
      snprintf (path, sizeof path, "/proc/%d/ns/user", cfg->target_pid);
      fd = open (path, O_RDONLY | O_CLOEXEC);
    }
  else if (cfg->netns_path != NULL
           && (netfd = open (cfg->netns_path, O_RDONLY | O_CLOEXEC)) >= 0)
    fd = ioctl (netfd, NS_GET_USERNS);
  if (fd < 0)
    return urun_set_error (err, errno, "open the target's user namespace");
  if (setns (fd, CLONE_NEWUSER) < 0)
    return urun_set_error (err, errno, "join the target's user namespace");
  return 0;
}

/* Returns 1 when we keep CAP_NET_BIND_SERVICE (privileged over the host's
   network namespace), 0 when we entered a user namespace. */
static int
unshare_mount_ns (const struct urun_slirp_config *cfg, struct urun_error *err)
{
  struct urun_error own = URUN_ERROR_INIT;
  int keep_bind = has_cap (CAP_NET_BIND_SERVICE);

  if (!has_cap (CAP_SYS_ADMIN))
    {
      keep_bind = 0;
      if (own_userns (&own) < 0 && target_userns (cfg, err) < 0)
        {
          urun_wrap_error (err, "get mount privilege (own user namespace: "
                           "%s)", own.msg ? own.msg : "failed");
          urun_clear_error (&own);
          return -1;
        }
      urun_clear_error (&own);
    }
  if (unshare (CLONE_NEWNS) < 0)
    return urun_set_error (err, errno, "create mount namespace");
  return keep_bind;
}

/* Bind SRC read-only at NEW_ROOT/SRC.  A read-only bind takes a second
   MS_REMOUNT|MS_BIND, and inside a user namespace the remount must keep the
   flags the mount already has or it fails with EPERM (mount_namespaces(7),
   "locked" flags). */
static int
bind_ro (const char *src, struct urun_error *err)
{
  char dst[PATH_MAX];
  unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV
                        | MS_NOEXEC;
  struct statvfs sv;
  char *p;

  snprintf (dst, sizeof dst, NEW_ROOT "%s", src);
  /* mkdir -p of the parents */
  for (p = strchr (dst + strlen (NEW_ROOT) + 1, '/'); p;
       p = strchr (p + 1, '/'))
    {
      *p = '\0';
      mkdir (dst, 0755);
      *p = '/';
    }
  if (mkdir (dst, 0755) < 0 && errno != EEXIST)
    return urun_set_error (err, errno, "create `%s`", dst);
  if (mount (src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
    return urun_set_error (err, errno, "bind `%s`", src);
  if (statvfs (dst, &sv) == 0)
    flags |= ((sv.f_flag & ST_NOATIME) ? MS_NOATIME : 0)
             | ((sv.f_flag & ST_NODIRATIME) ? MS_NODIRATIME : 0)
             | ((sv.f_flag & ST_RELATIME) ? MS_RELATIME : 0);
  if (mount (NULL, dst, NULL, flags, NULL) < 0)
    return urun_set_error (err, errno, "remount `%s` read-only", dst);
  return 0;
}

/* /etc, and the directory resolv.conf's real file is in when that is
   elsewhere (systemd-resolved: /run/systemd/resolve). */
static int
bind_resolver_files (struct urun_error *err)
{
  cleanup_free char *real = realpath ("/etc/resolv.conf", NULL);

  if (bind_ro ("/etc", err) < 0)
    return -1;
  if (real == NULL)
    {
      fprintf (stderr, "urun-slirp: warning: no /etc/resolv.conf: DNS "
               "forwarding will not answer\n");
      return 0;
    }
  if (strncmp (real, "/etc/", 5) == 0)
    return 0;
  return bind_ro (dirname (real), err);
}

/* pivot_root(2) has no glibc wrapper. */
static int
pivot_into_new_root (struct urun_error *err)
{
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return urun_set_error (err, errno, "make `/` private");
  if (mount ("tmpfs", NEW_ROOT, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
             "size=64k,mode=0755") < 0)
    return urun_set_error (err, errno, "mount tmpfs on `" NEW_ROOT "`");
  if (bind_resolver_files (err) < 0)
    return -1;
  if (mkdir (NEW_ROOT "/old", 0700) < 0 || chdir (NEW_ROOT) < 0)
    return urun_set_error (err, errno, "prepare `" NEW_ROOT "`");
  if (syscall (SYS_pivot_root, ".", "old") < 0)
    return urun_set_error (err, errno, "pivot_root to `" NEW_ROOT "`");
  if (chdir ("/") < 0 || umount2 ("/old", MNT_DETACH) < 0
      || rmdir ("/old") < 0)
    return urun_set_error (err, errno, "detach the old root");
  /* Our own tmpfs: remounting it read-only cannot hit locked flags. */
  if (mount (NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV
             | MS_NOEXEC, NULL) < 0)
    return urun_set_error (err, errno, "remount `/` read-only");
  return 0;
}

/* No capability left, in any set, but CAP_NET_BIND_SERVICE for root (to
   forward host ports below 1024, as slirp4netns keeps it).  The bounding
   set goes first: dropping from it needs CAP_SETPCAP. */
int
urun_drop_capabilities (bool keep_bind, struct urun_error *err)
{
  cap_value_t bind = CAP_NET_BIND_SERVICE;
  cap_t caps;
  int ret;

  /* The running kernel's count, not our headers' CAP_LAST_CAP. */
  for (cap_value_t c = 0; c < (cap_value_t) cap_max_bits (); c++)
    if (!(keep_bind && c == bind) && cap_drop_bound (c) < 0 && errno != EINVAL)
      return urun_set_error (err, errno, "drop capability %d from the "
                             "bounding set", c);
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
    return urun_set_error (err, errno, "clear ambient capabilities");
  caps = cap_init ();
  if (caps == NULL)
    return urun_set_error (err, errno, "allocate capability set");
  if (keep_bind)
    {
      cap_set_flag (caps, CAP_EFFECTIVE, 1, &bind, CAP_SET);
      cap_set_flag (caps, CAP_PERMITTED, 1, &bind, CAP_SET);
    }
  ret = cap_set_proc (caps);
  cap_free (caps);
  if (ret < 0)
    return urun_set_error (err, errno, "drop capabilities");
  return 0;
}

int
urun_enter_sandbox (const struct urun_slirp_config *cfg,
                    struct urun_error *err)
{
  int keep_bind = unshare_mount_ns (cfg, err);

  if (keep_bind < 0)
    return -1;
  if (pivot_into_new_root (err) < 0)
    return urun_wrap_error (err, "pivot into an empty root");
  if (urun_drop_capabilities (keep_bind, err) < 0)
    return -1;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return urun_set_error (err, errno, "set no_new_privs");
  return 0;
}
