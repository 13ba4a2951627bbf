/* check.c: `urun check` — one probe per thing a container of the calling
 * user needs: user namespaces, subordinate IDs, newuidmap/newgidmap, the
 * state directory, cgroup v2 delegation, /dev/fuse and fuse-overlayfs,
 * criu, and an executable memfd or O_TMPFILE for the self-clone. Each says
 * OK, WARN (works, with less) or FAIL (will not run), and the fix. */
#define _GNU_SOURCE
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "../userns/newidmap.h"
#include "../userns/subid.h"
#include "cleanup.h"
#include "criu.h"
#include "overlay.h"
#include "selfmove.h"
#include "utils.h"

/* Linux 6.3 uapi; bookworm's headers (6.1) lack it. memfd_create(2) */
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

extern char **environ;

static void
add (struct urun_check_report *r, enum urun_check_status status,
     const char *name, char *message, char *fix)
{
  r->results = xrealloc (r->results, (r->n + 1) * sizeof (struct urun_check_result));
  r->results[r->n++] = (struct urun_check_result){ name, status, message, fix };
}

/* The number in /proc/sys/PATH; false when there is no such file. */
static bool
read_sysctl (const char *path, long *value)
{
  cleanup_free char *full = xasprintf ("/proc/sys/%s", path);
  cleanup_fclose FILE *f = fopen (full, "re");

  return f && fscanf (f, "%ld", value) == 1;
}

/* PATH's stdout (up to SIZE - 1 bytes) with ARG; false unless it exits 0. */
static bool
run_capture (const char *path, const char *arg, char *out, size_t size)
{
  char *argv[] = { (char *) path, (char *) arg, NULL };
  posix_spawn_file_actions_t actions;
  size_t n = 0;
  ssize_t got;
  int pipefd[2], status = 1, r;
  pid_t pid;

  *out = '\0';
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return false;
  posix_spawn_file_actions_init (&actions);
  posix_spawn_file_actions_adddup2 (&actions, pipefd[1], 1);
  posix_spawn_file_actions_addopen (&actions, 2, "/dev/null", O_WRONLY, 0);
  r = posix_spawn (&pid, path, &actions, NULL, argv, environ);
  posix_spawn_file_actions_destroy (&actions);
  close (pipefd[1]);
  while (r == 0 && n < size - 1 && (got = read (pipefd[0], out + n, size - 1 - n)) > 0)
    n += (size_t) got;
  out[n] = '\0';
  close (pipefd[0]);
  if (r != 0)
    return false;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED (status) && WEXITSTATUS (status) == 0;
}

/* ---------------------------------------------------------------------------
 * User namespaces */

/* In a child: a user namespace, then a mount namespace inside it — which
 * takes the capabilities a new user namespace grants, and which AppArmor's
 * restriction (Ubuntu 23.10+) withholds. Returns 0, or the errno of the
 * failing STEP (1: user, 2: mount). */
static int
probe_user_namespace (int *step)
{
  int pipefd[2], result[2] = { 0, 0 };
  pid_t pid;

  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return errno;
  pid = fork ();
  if (pid == 0)
    {
      int r[2] = { 0, 0 };
      if (unshare (CLONE_NEWUSER) < 0)
        r[0] = 1, r[1] = errno;
      else if (unshare (CLONE_NEWNS) < 0)
        r[0] = 2, r[1] = errno;
      _exit (write (pipefd[1], r, sizeof r) == sizeof r ? 0 : 1);
    }
  close (pipefd[1]);
  if (pid < 0 || read (pipefd[0], result, sizeof result) != sizeof result)
    result[0] = 1, result[1] = pid < 0 ? errno : EIO;
  close (pipefd[0]);
  if (pid > 0)
    waitpid (pid, NULL, 0);
  *step = result[0];
  return result[1];
}

static void
check_user_namespaces (struct urun_check_report *r)
{
  const char *name = "user namespaces";
  long clone = 1, max = 1, apparmor = 0;
  int step = 0, errnum;

  read_sysctl ("kernel/apparmor_restrict_unprivileged_userns", &apparmor);
  /* Debian's and Ubuntu's own switch, before Debian 11. */
  if (read_sysctl ("kernel/unprivileged_userns_clone", &clone) && clone == 0 && geteuid () != 0)
    {
      add (r, URUN_CHECK_FAIL, name, xstrdup ("disabled for users (kernel.unprivileged_userns_clone = 0)"),
           xstrdup ("as root: `sysctl -w kernel.unprivileged_userns_clone=1`, and in /etc/sysctl.d to keep it"));
      return;
    }
  if (read_sysctl ("user/max_user_namespaces", &max) && max == 0)
    {
      add (r, URUN_CHECK_FAIL, name, xstrdup ("disabled (user.max_user_namespaces = 0)"),
           xstrdup ("as root: `sysctl -w user.max_user_namespaces=15000`, and in /etc/sysctl.d to keep it"));
      return;
    }
  errnum = probe_user_namespace (&step);
  if (errnum == 0)
    {
      add (r, URUN_CHECK_OK, name, xasprintf ("allowed (user.max_user_namespaces = %ld)", max), NULL);
      return;
    }
  if (apparmor == 1)
    {
      add (r, URUN_CHECK_FAIL, name,
           xasprintf ("AppArmor restricts them (kernel.apparmor_restrict_unprivileged_userns = 1): %s: %s",
                      step == 1 ? "creating one" : "capabilities inside", strerror (errnum)),
           xstrdup ("as root: an AppArmor profile for urun that allows `userns,`, or `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`"));
      return;
    }
  add (r, URUN_CHECK_FAIL, name,
       xasprintf (step == 1 ? "cannot create one: %s" : "created, but without capabilities inside: %s", strerror (errnum)),
       xstrdup ("ask an administrator: a seccomp or LSM policy (or a container you run in) forbids them"));
}

/* ---------------------------------------------------------------------------
 * Subordinate IDs and the helpers that map them */

static void
check_subids (struct urun_check_report *r, bool is_gid, bool *has_range)
{
  cleanup_free struct urun_subid_range *ranges = NULL;
  cleanup_free char *user = urun_caller_name ();
  const char *name = is_gid ? "subordinate gids" : "subordinate uids";
  cleanup_error struct urun_error err = URUN_ERROR_INIT;
  cleanup_free char *list = NULL;
  uint64_t total = 0;
  size_t n = 0;
  size_t len = 0;
  FILE *f;

  *has_range = false;
  if (!urun_subid_available ())
    {
      add (r, URUN_CHECK_WARN, name, xstrdup ("libsubid (libsubid.so.4) cannot be loaded: containers map only your own ID"),
           xstrdup ("as root: `apt-get install libsubid4`"));
      return;
    }
  if (urun_subid_ranges (is_gid, &ranges, &n, &err) < 0)
    {
      add (r, URUN_CHECK_WARN, name, urun_format_error (&err), xstrdup ("give your uid a passwd entry"));
      return;
    }
  if (n == 0)
    {
      add (r, URUN_CHECK_WARN, name,
           xasprintf ("none for `%s` in %s: containers map only your own ID", user,
                      is_gid ? URUN_SUBGID_SOURCE : URUN_SUBUID_SOURCE),
           xasprintf ("as root: `usermod --add-sub%cids FIRST-LAST %s` with 65536 IDs no other user has",
                      is_gid ? 'g' : 'u', user));
      return;
    }
  *has_range = true;
  f = open_memstream (&list, &len);
  if (f == NULL)
    abort ();
  for (size_t i = 0; i < n; i++)
    {
      fprintf (f, "%s%u-%u", i ? ", " : "", ranges[i].start, ranges[i].start + ranges[i].count - 1);
      total += ranges[i].count;
    }
  fclose (f);
  if (total < 65536)
    {
      add (r, URUN_CHECK_WARN, name,
           xasprintf ("%s (%llu IDs): files of images owned by IDs above %llu do not map", list,
                      (unsigned long long) total, (unsigned long long) total),
           xasprintf ("as root: a range of 65536 (`usermod --add-sub%cids`)", is_gid ? 'g' : 'u'));
      return;
    }
  add (r, URUN_CHECK_OK, name, xasprintf ("%s (%llu IDs)", list, (unsigned long long) total), NULL);
}

static void
check_idmap_tool (struct urun_check_report *r, enum urun_idmap_tool tool,
                  bool has_range)
{
  const char *name = urun_idmap_tool_name (tool);
  const char *cap = urun_idmap_tool_cap (tool);
  enum urun_check_status bad = has_range ? URUN_CHECK_FAIL : URUN_CHECK_WARN;
  char path[256];

  switch (urun_probe_idmap_tool (tool, path, sizeof path))
    {
    case URUN_IDMAP_SETUID:
      add (r, URUN_CHECK_OK, name, xasprintf ("`%s` (setuid root)", path), NULL);
      return;
    case URUN_IDMAP_FILE_CAPS:
      add (r, URUN_CHECK_OK, name, xasprintf ("`%s` (file capability %s)", path, cap), NULL);
      return;
    case URUN_IDMAP_MISSING:
      add (r, bad, name,
           *path ? xasprintf ("not found at `%s` (from the environment)", path)
                 : xstrdup ("not found: your subordinate IDs cannot be mapped"),
           xstrdup ("as root: `apt-get install uidmap`"));
      return;
    case URUN_IDMAP_NOSUID:
      add (r, bad, name, xasprintf ("`%s` is on a nosuid mount, which ignores its privileges", path),
           xstrdup ("install it on a filesystem mounted without nosuid"));
      return;
    case URUN_IDMAP_UNPRIVILEGED:
      break;
    }
  add (r, bad, name, xasprintf ("`%s` is neither setuid root nor has the file capability %s", path, cap),
       xasprintf ("as root: `chmod u+s %s` or `setcap %s+ep %s`", path, cap, path));
}

static void
check_id_mapping (struct urun_check_report *r)
{
  bool has_uids = false, has_gids = false;

  if (geteuid () == 0)
    {
      add (r, URUN_CHECK_OK, "subordinate IDs", xstrdup ("not needed: you are root"), NULL);
      return;
    }
  check_subids (r, false, &has_uids);
  check_subids (r, true, &has_gids);
  check_idmap_tool (r, URUN_NEWUIDMAP, has_uids);
  check_idmap_tool (r, URUN_NEWGIDMAP, has_gids);
}

/* ---------------------------------------------------------------------------
 * The state directory */

/* As state.c picks it (state.h, urun_state_open_root). */
static char *
default_state_root (bool *is_tmp)
{
  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  struct stat st;

  *is_tmp = false;
  if (geteuid () == 0)
    return xstrdup ("/run/urun");
  if (xdg && *xdg && stat (xdg, &st) == 0 && S_ISDIR (st.st_mode) && st.st_uid == geteuid ())
    return xasprintf ("%s/urun", xdg);
  *is_tmp = true;
  return xasprintf ("/tmp/urun-%d", (int) geteuid ());
}

/* PATH does not exist yet: can we make it? The nearest existing ancestor
 * must let us write. */
static void
check_missing_root (struct urun_check_report *r, const char *name, const char *path)
{
  cleanup_free char *dir = xstrdup (path);
  char *slash;

  while ((slash = strrchr (dir, '/')) != NULL && slash != dir)
    {
      *slash = '\0';
      if (access (dir, F_OK) == 0)
        break;
    }
  if (slash == dir)
    dir[1] = '\0';
  if (access (dir, W_OK | X_OK) == 0)
    {
      add (r, URUN_CHECK_OK, name, xasprintf ("`%s` (made when first needed)", path), NULL);
      return;
    }
  add (r, URUN_CHECK_FAIL, name, xasprintf ("`%s` does not exist and `%s` is not writable", path, dir),
       xstrdup ("pass `--root DIR` with a directory of your own"));
}

static void
check_state_root (struct urun_check_report *r, const char *root)
{
  const char *name = "state directory";
  bool is_tmp = false;
  cleanup_free char *path = root ? xstrdup (root) : default_state_root (&is_tmp);
  struct stat st;

  if (lstat (path, &st) < 0 && errno == ENOENT)
    return check_missing_root (r, name, path);
  if (lstat (path, &st) < 0)
    {
      add (r, URUN_CHECK_FAIL, name, xasprintf ("`%s`: %s", path, strerror (errno)),
           xstrdup ("pass `--root DIR` with a directory of your own"));
      return;
    }
  if (S_ISLNK (st.st_mode) || !S_ISDIR (st.st_mode))
    {
      add (r, URUN_CHECK_FAIL, name,
           xasprintf ("`%s` is %s", path, S_ISLNK (st.st_mode) ? "a symlink, which urun refuses" : "not a directory"),
           xasprintf ("remove `%s`, or pass `--root DIR`", path));
      return;
    }
  if (st.st_uid != geteuid ())
    {
      add (r, URUN_CHECK_FAIL, name, xasprintf ("`%s` belongs to uid %d, not to you", path, (int) st.st_uid),
           xasprintf ("have its owner or root remove `%s`, or pass `--root DIR`", path));
      return;
    }
  if (access (path, W_OK | X_OK) < 0)
    {
      add (r, URUN_CHECK_FAIL, name, xasprintf ("`%s` is not writable", path),
           xasprintf ("`chmod 700 %s`", path));
      return;
    }
  add (r, URUN_CHECK_OK, name,
       xasprintf ("`%s`: yours and writable%s", path,
                  is_tmp ? " (no $XDG_RUNTIME_DIR of yours: fine on batch nodes)" : ""), NULL);
}

/* ---------------------------------------------------------------------------
 * cgroup v2 delegation */

/* The cgroup2 mount point, from /proc/self/mountinfo; NULL without one. */
static char *
cgroup2_mount (void)
{
  cleanup_fclose FILE *f = fopen ("/proc/self/mountinfo", "re");
  cleanup_free char *line = NULL;
  size_t size = 0;

  while (f && getline (&line, &size, f) > 0)
    {
      char *sep = strstr (line, " - cgroup2 ");
      char mnt[PATH_MAX];
      if (sep && sscanf (line, "%*s %*s %*s %*s %4095s", mnt) == 1)
        return xstrdup (mnt);
    }
  return NULL;
}

/* Our cgroup in the v2 hierarchy: the "0::PATH" line of /proc/self/cgroup. */
static char *
own_cgroup (void)
{
  cleanup_fclose FILE *f = fopen ("/proc/self/cgroup", "re");
  cleanup_free char *line = NULL;
  size_t size = 0;

  while (f && getline (&line, &size, f) > 0)
    if (strncmp (line, "0::", 3) == 0)
      {
        line[strcspn (line, "\n")] = '\0';
        return xstrdup (line + 3);
      }
  return NULL;
}

static void
check_cgroup (struct urun_check_report *r)
{
  const char *name = "cgroup v2 delegation";
  cleanup_free char *mnt = cgroup2_mount ();
  cleanup_free char *own = own_cgroup ();
  cleanup_free char *dir = NULL;
  cleanup_free char *controllers = NULL;
  cleanup_free char *file = NULL;
  struct urun_error err = URUN_ERROR_INIT;
  size_t len = 0;

  if (mnt == NULL || own == NULL)
    {
      add (r, geteuid () == 0 ? URUN_CHECK_OK : URUN_CHECK_WARN, name,
           xstrdup ("no cgroup v2 hierarchy: resource limits need root and cgroup v1"),
           geteuid () == 0 ? NULL : xstrdup ("as root: boot with `systemd.unified_cgroup_hierarchy=1`"));
      return;
    }
  dir = xasprintf ("%s%s", mnt, strcmp (own, "/") == 0 ? "" : own);
  file = xasprintf ("%s/cgroup.controllers", dir);
  if (urun_read_file_at (AT_FDCWD, file, &controllers, &len, &err) < 0)
    urun_clear_error (&err);
  if (controllers)
    controllers[strcspn (controllers, "\n")] = '\0';
  if (geteuid () == 0)
    {
      add (r, URUN_CHECK_OK, name, xasprintf ("not needed: you are root (cgroup v2 at `%s`)", mnt), NULL);
      return;
    }
  if (access (dir, W_OK) < 0)
    {
      add (r, URUN_CHECK_WARN, name,
           xasprintf ("your cgroup `%s` is not writable: containers run without resource limits", dir),
           xstrdup ("run urun inside a delegated cgroup: from a systemd user service, or `systemd-run --user --scope -p Delegate=yes urun ...`"));
      return;
    }
  add (r, URUN_CHECK_OK, name,
       xasprintf ("your cgroup `%s` is writable (controllers: %s)", dir,
                  controllers && *controllers ? controllers : "none"), NULL);
}

/* ---------------------------------------------------------------------------
 * Overlays: the kernel's, /dev/fuse and fuse-overlayfs */

static void
check_fuse (struct urun_check_report *r)
{
  struct utsname u;
  int major = 0, minor = 0;
  char tool[PATH_MAX], out[256];
  struct stat st;
  int fd = open ("/dev/fuse", O_RDWR | O_CLOEXEC);
  int errnum = errno;

  uname (&u);
  sscanf (u.release, "%d.%d", &major, &minor);
  if (major > 5 || (major == 5 && minor >= 11))
    add (r, URUN_CHECK_OK, "overlayfs", xasprintf ("the kernel mounts it in user namespaces (Linux %s)", u.release), NULL);
  else
    add (r, URUN_CHECK_WARN, "overlayfs", xasprintf ("not in user namespaces before Linux 5.11 (this is %s): overlay mounts need fuse-overlayfs", u.release),
         xstrdup ("install fuse-overlayfs"));
  if (fd >= 0)
    {
      close (fd);
      add (r, URUN_CHECK_OK, "/dev/fuse", xstrdup ("opens for reading and writing"), NULL);
    }
  else if (stat ("/dev/fuse", &st) == 0)
    add (r, URUN_CHECK_WARN, "/dev/fuse", xasprintf ("mode %04o: %s, so no fuse-overlayfs fallback", st.st_mode & 07777, strerror (errnum)),
         xstrdup ("as root: `chmod 666 /dev/fuse` (and a udev rule to keep it)"));
  else
    add (r, URUN_CHECK_WARN, "/dev/fuse", xstrdup ("missing, so no fuse-overlayfs fallback"), xstrdup ("as root: `modprobe fuse`"));
  if (!urun_overlay_find_fuse (tool, sizeof tool))
    {
      add (r, URUN_CHECK_WARN, "fuse-overlayfs",
           xstrdup ("not installed: when the kernel refuses an overlay, it fails"),
           xstrdup ("as root: `apt-get install fuse-overlayfs`"));
      return;
    }
  run_capture (tool, "--version", out, sizeof out);
  {
    char *v = strstr (out, "fuse-overlayfs: version ");
    char version[32] = "unknown";
    if (v)
      sscanf (v + strlen ("fuse-overlayfs: version "), "%31s", version);
    add (r, URUN_CHECK_OK, "fuse-overlayfs", xasprintf ("`%s` (version %s)", tool, version), NULL);
  }
}

/* ---------------------------------------------------------------------------
 * criu */

/* --criu, $URUN_CRIU, else criu on $PATH or in an sbin directory. */
static bool
find_criu (const char *option, char *buf, size_t size)
{
  const char *env = getenv ("URUN_CRIU");
  cleanup_free char *dirs = NULL;
  const char *path = getenv ("PATH");
  char *save = NULL;

  if ((option && *option) || (env && *env))
    {
      snprintf (buf, size, "%s", option && *option ? option : env);
      return urun_is_executable (buf);
    }
  dirs = xasprintf ("%s:/usr/local/sbin:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
  for (char *d = strtok_r (dirs, ":", &save); d; d = strtok_r (NULL, ":", &save))
    {
      snprintf (buf, size, "%s/criu", d);
      if (*d == '/' && urun_is_executable (buf))
        return true;
    }
  snprintf (buf, size, "criu");
  return false;
}

/* What this host leaves out of checkpoint/restore (criu.h, checkpoint.c). */
static void
check_criu_limits (struct urun_check_report *r)
{
  if (!urun_criu_has_dirty_tracking ())
    add (r, URUN_CHECK_WARN, "criu pre-dump",
         xstrdup ("the kernel does not track written memory (soft-dirty, CONFIG_MEM_SOFT_DIRTY): "
                  "`checkpoint --pre-dump` and `--parent-path` are unavailable, full checkpoints work"),
         xstrdup ("a kernel built with CONFIG_MEM_SOFT_DIRTY=y"));
  /* checkpoint.c, check_rlimit_access: criu's prlimit(2) of another user. */
  if (geteuid () == 0 && prctl (PR_CAPBSET_READ, CAP_SYS_RESOURCE, 0, 0, 0) == 0)
    add (r, URUN_CHECK_WARN, "criu as root",
         xstrdup ("the capability bounding set lacks CAP_SYS_RESOURCE: criu cannot read the rlimits "
                  "(prlimit(2)) of a process of another user, so a container can be checkpointed only "
                  "when its processes run as 0:0 or it has a user namespace"),
         xstrdup ("run urun where the bounding set keeps CAP_SYS_RESOURCE (some VMs and container managers drop it)"));
}

static void
check_criu (struct urun_check_report *r, const char *option)
{
  const char *name = "criu";
  char path[PATH_MAX], out[256], version[32] = "unknown";
  int major = 0, minor = 0;
  char *text = NULL, *v;
  cap_t caps;

  if (!find_criu (option, path, sizeof path))
    {
      add (r, URUN_CHECK_WARN, name, xasprintf ("`%s` not found: checkpoint and restore are unavailable", path),
           xstrdup ("install CRIU 3.18 or later (tests/build-criu.sh builds it), or pass `--criu PATH`"));
      return;
    }
  run_capture (path, "--version", out, sizeof out);
  if ((v = strstr (out, "Version: ")) != NULL)
    sscanf (v + strlen ("Version: "), "%31s", version);
  sscanf (version, "%d.%d", &major, &minor);
  caps = cap_get_file (path);
  if (caps)
    text = cap_to_text (caps, NULL);
  if (major < 3 || (major == 3 && minor < 18))
    add (r, URUN_CHECK_WARN, name, xasprintf ("`%s` is version %s: checkpoint needs 3.18 or later", path, version),
         xstrdup ("install a newer CRIU (tests/build-criu.sh), or pass `--criu PATH`"));
  else
    add (r, URUN_CHECK_OK, name,
         xasprintf ("`%s` version %s, file capabilities: %s", path, version,
                    text && *text && strcmp (text, "=") != 0 ? text : "none"), NULL);
  if (text)
    cap_free (text);
  if (caps)
    cap_free (caps);
  check_criu_limits (r);
}

/* ---------------------------------------------------------------------------
 * The self-clone (selfclone.h): in place when the kernel has PR_SET_MM_MAP
 * (remapped through a mount clone, else copied, whose exe link needs an
 * executable memfd or an unlinked file), else a re-exec from such a copy */

static bool
tmpfile_dir (char *buf, size_t size)
{
  const char *dirs[] = { getenv ("XDG_RUNTIME_DIR"), "/tmp", "/var/tmp" };

  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    {
      struct statvfs vfs;
      int fd;

      if (dirs[i] == NULL || *dirs[i] != '/')
        continue;
      fd = open (dirs[i], O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0500);
      if (fd < 0)
        continue;
      if (fstatvfs (fd, &vfs) == 0 && !(vfs.f_flag & ST_NOEXEC))
        {
          close (fd);
          snprintf (buf, size, "%s", dirs[i]);
          return true;
        }
      close (fd);
    }
  return false;
}

static void
check_selfclone (struct urun_check_report *r)
{
  const char *name = "binary self-clone";
  const char *how = urun_selfmove_supported ()
                        ? "in place, no re-exec (remapped from a read-only mount clone)"
                        : "re-exec from a clone (the kernel has no prctl PR_SET_MM_MAP)";
  long noexec = 0;
  char dir[PATH_MAX];
  int errnum;
  /* MFD_EXEC is new in Linux 6.3; older kernels refuse it with EINVAL and
   * make every memfd executable. memfd_create(2) */
  int fd = memfd_create ("urun-check", MFD_CLOEXEC | MFD_EXEC);

  if (fd < 0 && errno == EINVAL)
    fd = memfd_create ("urun-check", MFD_CLOEXEC);
  errnum = errno;
  read_sysctl ("vm/memfd_noexec", &noexec);
  if (fd >= 0)
    {
      close (fd);
      add (r, URUN_CHECK_OK, name,
           xasprintf ("%s; an executable memfd (vm.memfd_noexec = %ld)", how, noexec), NULL);
      return;
    }
  if (tmpfile_dir (dir, sizeof dir))
    {
      add (r, URUN_CHECK_OK, name,
           xasprintf ("%s; no executable memfd (%s, vm.memfd_noexec = %ld): an unlinked file in `%s` instead",
                      how, strerror (errnum), noexec, dir), NULL);
      return;
    }
  add (r, URUN_CHECK_FAIL, name,
       xasprintf ("neither an executable memfd (%s, vm.memfd_noexec = %ld) nor an O_TMPFILE on a filesystem without noexec",
                  strerror (errnum), noexec),
       xstrdup ("as root: `sysctl -w vm.memfd_noexec=0`, or give $XDG_RUNTIME_DIR or /tmp a filesystem without noexec"));
}

/* ---------------------------------------------------------------------------
 * The report */

void
urun_check_host (const struct urun_check_opts *opts,
                 struct urun_check_report *report)
{
  memset (report, 0, sizeof *report);
  check_user_namespaces (report);
  check_id_mapping (report);
  check_state_root (report, opts->state_root);
  check_cgroup (report);
  check_fuse (report);
  check_criu (report, opts->criu_path);
  check_selfclone (report);
}

static const char *const status_names[] = { "OK", "WARN", "FAIL" };

void
urun_check_print_text (const struct urun_check_report *report, FILE *f)
{
  for (size_t i = 0; i < report->n; i++)
    {
      const struct urun_check_result *c = &report->results[i];
      fprintf (f, "%-5s %s: %s", status_names[c->status], c->name, c->message);
      if (c->fix)
        fprintf (f, " (fix: %s)", c->fix);
      fputc ('\n', f);
    }
}

static void
json_pair (yajl_gen g, const char *key, const char *value)
{
  yajl_gen_string (g, (const unsigned char *) key, strlen (key));
  if (value)
    yajl_gen_string (g, (const unsigned char *) value, strlen (value));
  else
    yajl_gen_null (g);
}

char *
urun_check_json (const struct urun_check_report *report)
{
  static const char *const lower[] = { "ok", "warn", "fail" };
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;
  char *out;

  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_map_open (g);
  yajl_gen_string (g, (const unsigned char *) "ok", 2);
  yajl_gen_bool (g, !urun_check_failed (report));
  yajl_gen_string (g, (const unsigned char *) "checks", 6);
  yajl_gen_array_open (g);
  for (size_t i = 0; i < report->n; i++)
    {
      const struct urun_check_result *c = &report->results[i];
      yajl_gen_map_open (g);
      json_pair (g, "name", c->name);
      json_pair (g, "status", lower[c->status]);
      json_pair (g, "message", c->message);
      json_pair (g, "fix", c->fix);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  out = xmalloc0 (len + 2);
  memcpy (out, buf, len);
  out[len] = '\n';
  yajl_gen_free (g);
  return out;
}

bool
urun_check_failed (const struct urun_check_report *report)
{
  for (size_t i = 0; i < report->n; i++)
    if (report->results[i].status == URUN_CHECK_FAIL)
      return true;
  return false;
}

void
urun_check_free (struct urun_check_report *report)
{
  for (size_t i = 0; i < report->n; i++)
    {
      free (report->results[i].message);
      free (report->results[i].fix);
    }
  free (report->results);
  report->results = NULL;
  report->n = 0;
}
