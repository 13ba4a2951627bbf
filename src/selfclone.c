/* selfclone.c: the binary a container can reach through /proc/<pid>/exe —
 * before urun enters any container namespace, it runs from a clone the
 * container cannot write (CVE-2019-5736: a container that reopens the exe
 * link of a runtime process inside it for writing replaces the runtime on
 * the host). First choice, in place and without a copy: every mapping of
 * the binary and the exe link re-made from a detached read-only clone of
 * its mount (selfmove.h), in urun when it may mount, else in the container's
 * process once it is root of its user namespace. Where no mount clone can
 * be had, the code is copied into anonymous memory and the exe link points
 * at an empty sealed file. Without PR_SET_MM_MAP, a clone of the whole
 * binary and a re-exec from it. Leaves no mount attached anywhere and no
 * file linked into any directory. */
#define _GNU_SOURCE
#include "selfclone.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "selfmove.h"
#include "utils.h"

/* Linux 6.3 uapi; bookworm's headers (6.1) lack it. memfd_create(2) */
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define MARKER_ENV "_URUN_CLONED"
#define FORCE_ENV "URUN_SELFCLONE"

/* The seals that freeze a memfd's content: no write, no truncate, no growth;
 * F_SEAL_SEAL also stops anyone from changing the set. memfd_create(2) */
#define CONTENT_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* In fallback order: each failure moves on to a later kind. */
enum clone_kind
{
  KIND_REMAP,
  KIND_ANON,
  KIND_MOUNT,
  KIND_LEGACY,
  KIND_MEMFD,
  KIND_TMPFILE,
  KIND_NONE,
  KIND_AUTO,
  KIND_OFF,
};

static const char *const kind_names[] = {
  [KIND_REMAP] = "remap",     [KIND_ANON] = "anon",   [KIND_MOUNT] = "mount",
  [KIND_LEGACY] = "legacy",   [KIND_MEMFD] = "memfd", [KIND_TMPFILE] = "tmpfile",
  [KIND_NONE] = "none",       [KIND_AUTO] = "auto",   [KIND_OFF] = "off",
};

enum protection
{
  PROTECTED_NOT,
  PROTECTED_SEALED,   /* a memfd with CONTENT_SEALS */
  PROTECTED_READONLY, /* any file on a read-only mount or filesystem */
};

static enum clone_kind
kind_from_name (const char *name)
{
  for (int k = KIND_REMAP; k <= KIND_OFF; k++)
    if (k != KIND_NONE && strcmp (name, kind_names[k]) == 0)
      return (enum clone_kind) k;
  return KIND_NONE;
}

/* The test-only switch; unset or empty means auto. */
static int
forced_kind (enum clone_kind *kind, struct urun_error *err)
{
  const char *value = getenv (FORCE_ENV);

  *kind = KIND_AUTO;
  if (value == NULL || *value == '\0')
    return 0;
  *kind = kind_from_name (value);
  if (*kind == KIND_NONE)
    return urun_set_error (err, 0, "%s: expected `auto`, `remap`, `anon`, `mount`, `legacy`, "
                           "`memfd`, `tmpfile` or `off`, not `%s`", FORCE_ENV, value);
  return 0;
}

/* The marker exec_clone leaves for the process it turns into: "KIND:PID".
 * execve(2) keeps the PID, so a marker naming another PID was inherited from
 * somewhere else and proves nothing. It is removed at once: nothing urun
 * starts inherits it. Returns the kind we were re-executed from, or
 * KIND_NONE. */
static enum clone_kind
take_marker (void)
{
  const char *value = getenv (MARKER_ENV);
  enum clone_kind kind = KIND_NONE;
  char name[16];
  int pid;

  if (value == NULL)
    return KIND_NONE;
  if (sscanf (value, "%15[a-z]:%d", name, &pid) == 2 && pid == (int) getpid ())
    kind = kind_from_name (name);
  /* Only the re-executing kinds set it. */
  if (kind < KIND_MOUNT || kind > KIND_TMPFILE)
    kind = KIND_NONE;
  if (kind == KIND_NONE)
    urun_debug ("selfclone: ignoring the stale marker %s=%s", MARKER_ENV, value);
  unsetenv (MARKER_ENV);
  return kind;
}

static enum protection
protection_of (int exe_fd)
{
  struct statvfs vfs;
  int seals = fcntl (exe_fd, F_GET_SEALS);

  /* F_GET_SEALS fails (EINVAL) on anything but a memfd. fcntl(2) */
  if (seals >= 0 && (seals & CONTENT_SEALS) == CONTENT_SEALS)
    return PROTECTED_SEALED;
  if (fstatvfs (exe_fd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
    return PROTECTED_READONLY;
  return PROTECTED_NOT;
}

/* In the process exec_clone became: check that /proc/self/exe is what the
 * marker says. An error, not a second clone: a clone that does not protect
 * would otherwise re-execute forever. */
static int
check_clone (enum clone_kind kind, int exe_fd, struct urun_error *err)
{
  enum protection p = protection_of (exe_fd);
  struct stat st;
  bool ok;

  if (kind == KIND_MEMFD)
    ok = p == PROTECTED_SEALED;
  else if (kind == KIND_TMPFILE)
    ok = fstat (exe_fd, &st) == 0 && st.st_nlink == 0 && (st.st_mode & 0222) == 0;
  else
    ok = p == PROTECTED_READONLY;
  if (!ok)
    return urun_set_error (err, 0, "re-executed from the %s clone, but "
                           "`/proc/self/exe` is not protected", kind_names[kind]);
  urun_debug ("selfclone: running from the %s clone", kind_names[kind]);
  return 0;
}

/* Copy all of IN_FD into OUT_FD without reading it into userspace.
 * copy_file_range(2) can share extents (reflink) on one filesystem; across
 * filesystems it fails with EXDEV (Linux < 5.3 and again since 5.19), and a
 * memfd is always on another one. sendfile(2) then splices in the kernel
 * between any two files (Linux 2.6.33+). */
static int
copy_binary (int out_fd, int in_fd, off_t size, struct urun_error *err)
{
  bool use_sendfile = false;
  off_t done = 0;

  while (done < size)
    {
      off_t in_off = done;
      ssize_t n;

      if (use_sendfile)
        n = sendfile (out_fd, in_fd, &in_off, (size_t) (size - done));
      else
        n = copy_file_range (in_fd, &in_off, out_fd, NULL, (size_t) (size - done), 0);
      if (n < 0 && !use_sendfile && done == 0
          && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP))
        {
          use_sendfile = true;
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return urun_set_error (err, errno, "copy `/proc/self/exe`");
      if (n == 0)
        return urun_set_error (err, EIO, "copy `/proc/self/exe`: it shrank to %jd of %jd bytes",
                               (intmax_t) done, (intmax_t) size);
      done += n;
    }
  return 0;
}

/* How much of the binary execve(2) and ld.so read: the ELF and program
 * headers and what the segments map, rounded up to a page. Section headers,
 * symbols and debug info (three quarters of a debugoptimized build) stay
 * behind; the loaders never look at them. elf(5). Any surprise: the whole
 * file. */
static off_t
image_size (int fd, off_t size)
{
  char buf[4096] __attribute__ ((aligned (8)));
  const ElfW (Ehdr) *eh = (const void *) buf;
  const long page = sysconf (_SC_PAGESIZE);
  ssize_t n = pread (fd, buf, sizeof buf, 0);
  off_t end;

  if (n < (ssize_t) sizeof *eh || memcmp (eh->e_ident, ELFMAG, SELFMAG) != 0
      || eh->e_phentsize != sizeof (ElfW (Phdr))
      || eh->e_phoff > (size_t) n || eh->e_phnum > ((size_t) n - eh->e_phoff) / sizeof (ElfW (Phdr)))
    return size;
  end = (off_t) (eh->e_phoff + eh->e_phnum * sizeof (ElfW (Phdr)));
  for (int i = 0; i < eh->e_phnum; i++)
    {
      const ElfW (Phdr) *ph = (const void *) (buf + eh->e_phoff + i * sizeof *ph);
      if ((off_t) (ph->p_offset + ph->p_filesz) > end)
        end = (off_t) (ph->p_offset + ph->p_filesz);
    }
  end = (end + page - 1) / page * page;
  return end < size ? end : size;
}

/* A read-only clone of the binary's mount, made with the mount API
 * (open_tree, Linux 5.2; mount_setattr, Linux 5.12; ENOSYS before) and
 * never attached: it lives in an anonymous mount namespace, appears in no
 * mountinfo, and after the exec only our exe link keeps it. It is the same
 * inode as the binary, so nothing is copied. Needs CAP_SYS_ADMIN over our
 * mount namespace (EPERM otherwise). open_tree(2), mount_setattr(2) */
static int
clone_mount (int dir_fd, const char *path, struct urun_error *err)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
  cleanup_close int fd = -1;

  fd = open_tree (dir_fd, path, AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (fd < 0)
    return urun_set_error (err, errno, "clone the mount of `/proc/self/exe`");
  if (mount_setattr (fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    return urun_set_error (err, errno, "make the clone of `/proc/self/exe` read-only");
  return TAKE_FD (fd);
}

/* The mount flags of FLAG (statvfs) that a remount must repeat. */
static unsigned long
locked_flags (unsigned long flag)
{
  static const struct { unsigned long st, ms; } map[] = {
    { ST_NOSUID, MS_NOSUID },     { ST_NODEV, MS_NODEV },
    { ST_NOEXEC, MS_NOEXEC },     { ST_NOATIME, MS_NOATIME },
    { ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
  };
  unsigned long ms = 0;

  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (flag & map[i].st)
      ms |= map[i].ms;
  return ms;
}

/* Bind the binary read-only onto TARGET, open it, and detach the mount at
 * once. Returns the O_PATH fd of the binary on the detached mount. */
static int
bind_readonly (int exe_fd, const char *target, struct urun_error *err)
{
  char source[64];
  struct statvfs vfs;
  unsigned long keep = 0;
  int fd, saved;

  snprintf (source, sizeof source, "/proc/self/fd/%d", exe_fd);
  if (mount (source, target, NULL, MS_BIND, NULL) < 0)
    return urun_set_error (err, errno, "bind `/proc/self/exe` on `%s`", target);
  if (fstatvfs (exe_fd, &vfs) == 0)
    keep = locked_flags (vfs.f_flag);
  /* A bind mount ignores MS_RDONLY; it takes a second MS_REMOUNT|MS_BIND.
   * In a user namespace the remount must repeat the flags the original
   * mount had (nosuid, nodev, noexec, atime), which are locked, or EPERM.
   * mount(2), mount_namespaces(7) */
  if (mount (NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, NULL) < 0)
    {
      saved = errno;
      umount2 (target, MNT_DETACH);
      return urun_set_error (err, saved, "remount `%s` read-only", target);
    }
  fd = open (target, O_PATH | O_CLOEXEC);
  saved = errno;
  if (umount2 (target, MNT_DETACH) < 0)
    {
      saved = errno;
      if (fd >= 0)
        close (fd);
      return urun_set_error (err, saved, "detach the mount on `%s`", target);
    }
  if (fd < 0)
    return urun_set_error (err, saved, "open `%s`", target);
  return fd;
}

/* The same clone for kernels without the mount API (ENOSYS): a bind mount
 * onto a fresh empty file, read-only, detached (MNT_DETACH) as soon as it is
 * open and the file unlinked, so that only our fd keeps it. Unlike the
 * mount API it is attached for a moment, and propagates to peer mounts for
 * that moment; crun's /tmp/crun.XXXXXX bind stayed (crun issue 1383). */
static int
clone_legacy (int exe_fd, struct urun_error *err)
{
  const char *dir = getenv ("XDG_RUNTIME_DIR");
  cleanup_free char *target = NULL;
  cleanup_close int target_fd = -1;
  int fd;

  if (dir == NULL || *dir != '/')
    dir = "/tmp";
  target = xasprintf ("%s/urun-selfclone.XXXXXX", dir);
  target_fd = mkostemp (target, O_CLOEXEC);
  if (target_fd < 0)
    return urun_set_error (err, errno, "create `%s`", target);
  fd = bind_readonly (exe_fd, target, err);
  unlink (target);
  return fd;
}

/* A sealed copy in memory. execveat(2) may run it through this very
 * read-write fd: a file made by memfd_create(2) does not count as open for
 * writing (no ETXTBSY), unlike the O_TMPFILE copy below. */
static int
clone_memfd (int exe_fd, off_t size, struct urun_error *err)
{
  const unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
  cleanup_close int fd = -1;

  /* Since Linux 6.3 a memfd is executable only when asked (MFD_EXEC), and
   * vm.memfd_noexec=2 refuses that with EACCES; older kernels reject the
   * unknown flag with EINVAL and make every memfd executable.
   * memfd_create(2), Documentation/userspace-api/mfd_noexec.rst */
  fd = memfd_create ("urun", flags | MFD_EXEC);
  if (fd < 0 && errno == EINVAL)
    fd = memfd_create ("urun", flags);
  if (fd < 0)
    return urun_set_error (err, errno, "create an executable memfd");
  if (copy_binary (fd, exe_fd, size, err) < 0)
    return -1;
  if (fcntl (fd, F_ADD_SEALS, F_SEAL_SEAL | CONTENT_SEALS) < 0)
    return urun_set_error (err, errno, "seal the memfd");
  return TAKE_FD (fd);
}

/* An unlinked file on an exec-allowed filesystem, in the first of
 * $XDG_RUNTIME_DIR (private to the user), /tmp and /var/tmp that takes one.
 * O_TMPFILE (Linux 3.11) with O_EXCL can never be linked into a directory.
 * The creating open may write even with mode 0500. open(2) */
static int
open_tmpfile (struct urun_error *err)
{
  const char *dirs[] = { getenv ("XDG_RUNTIME_DIR"), "/tmp", "/var/tmp" };
  int last = ENOENT;

  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    {
      struct statvfs vfs;
      int fd;

      if (dirs[i] == NULL || *dirs[i] != '/')
        continue;
      fd = open (dirs[i], O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0500);
      if (fd < 0)
        {
          last = errno;
          continue;
        }
      if (fstatvfs (fd, &vfs) == 0 && !(vfs.f_flag & ST_NOEXEC))
        return fd;
      close (fd);
      last = EACCES;
    }
  return urun_set_error (err, last, "create an unlinked file in $XDG_RUNTIME_DIR, "
                         "`/tmp` or `/var/tmp`");
}

/* Root writes a mode 0500 file anyway (CAP_DAC_OVERRIDE), but not an
 * immutable one: that takes dropping the flag first, with
 * CAP_LINUX_IMMUTABLE, which is not in the OCI default capabilities. Best
 * effort: needs that capability and FS_IOC_SETFLAGS (tmpfs since Linux 6.0).
 * ioctl_iflags(2) */
static void
try_make_immutable (int fd)
{
  int flags;

  if (geteuid () != 0 || ioctl (fd, FS_IOC_GETFLAGS, &flags) < 0)
    return;
  flags |= FS_IMMUTABLE_FL;
  if (ioctl (fd, FS_IOC_SETFLAGS, &flags) < 0)
    urun_debug ("selfclone: cannot make the unlinked copy immutable: %s", strerror (errno));
}

/* For when memfds cannot be executed: a copy in an unlinked file. */
static int
clone_tmpfile (int exe_fd, off_t size, struct urun_error *err)
{
  cleanup_close int fd = open_tmpfile (err);
  char path[64];
  int ro;

  if (fd < 0 || copy_binary (fd, exe_fd, size, err) < 0)
    return -1;
  try_make_immutable (fd);
  /* execve(2) fails with ETXTBSY while any fd has the file open for
   * writing: reopen it read-only and close the writable fd. */
  snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  ro = open (path, O_RDONLY | O_CLOEXEC);
  if (ro < 0)
    return urun_set_error (err, errno, "reopen `%s` read-only", path);
  return ro;
}

static int
make_clone (enum clone_kind kind, int exe_fd, struct urun_error *err)
{
  struct stat st;

  if (kind == KIND_MOUNT)
    return clone_mount (exe_fd, "", err);
  if (kind == KIND_LEGACY)
    return clone_legacy (exe_fd, err);
  if (fstat (exe_fd, &st) < 0)
    return urun_set_error (err, errno, "stat `/proc/self/exe`");
  if (kind == KIND_MEMFD)
    return clone_memfd (exe_fd, image_size (exe_fd, st.st_size), err);
  return clone_tmpfile (exe_fd, image_size (exe_fd, st.st_size), err);
}

/* Only returns on failure. The fd is close-on-exec: execveat(2) with
 * AT_EMPTY_PATH runs it all the same, as long as it is not a script. */
static int
exec_clone (int fd, enum clone_kind kind, char **argv, struct urun_error *err)
{
  char marker[32];
  int saved;

  snprintf (marker, sizeof marker, "%s:%d", kind_names[kind], (int) getpid ());
  if (setenv (MARKER_ENV, marker, 1) < 0)
    return urun_set_error (err, errno, "set %s", MARKER_ENV);
  fflush (NULL);
  execveat (fd, "", argv, environ, AT_EMPTY_PATH);
  saved = errno;
  unsetenv (MARKER_ENV);
  return urun_set_error (err, saved, "re-execute from the %s clone", kind_names[kind]);
}

/* The remap kind needs a mount clone; without one (no mount API, no mount
 * privilege) the anonymous copy does the same job at the cost of the copy.
 * Both need PR_SET_MM_MAP (EOPNOTSUPP: the kernel has none): then the mount
 * clone and a re-exec. Mount API missing: the legacy bind. Any other
 * failure to mount (EPERM: no CAP_SYS_ADMIN over our mount namespace) skips
 * the legacy bind, which would fail the same way. Every later kind protects
 * as well, only at the cost of a copy and a re-exec. */
static enum clone_kind
fallback_of (enum clone_kind kind, int errnum)
{
  if (kind <= KIND_ANON && errnum == EOPNOTSUPP)
    return KIND_MOUNT;
  if (kind == KIND_MOUNT)
    return errnum == ENOSYS ? KIND_LEGACY : KIND_MEMFD;
  return kind < KIND_TMPFILE ? kind + 1 : KIND_NONE;
}

static long
elapsed_us (const struct timespec *since)
{
  struct timespec now;

  clock_gettime (CLOCK_MONOTONIC, &now);
  return (now.tv_sec - since->tv_sec) * 1000000L + (now.tv_nsec - since->tv_nsec) / 1000;
}

/* An in-place kind urun could not finish itself (rootless: no capability
 * in its user namespace), left to the container's process once it is root
 * of its own (urun_selfclone_finish), with where it finds the binary. */
static struct
{
  enum clone_kind kind; /* KIND_NONE: nothing left */
  struct urun_selfmove_binary binary;
} pending = { .kind = KIND_NONE };

/* Setting the exe link (PR_SET_MM_MAP) and cloning a mount both take
 * CAP_SYS_ADMIN in our user namespace. capget(2) */
static bool
holds_cap_sys_admin (void)
{
  struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
  struct __user_cap_data_struct data[2] = { { 0 } };

  if (syscall (SYS_capget, &header, data) < 0)
    return false;
  return data[CAP_SYS_ADMIN / 32].effective & (1U << (CAP_SYS_ADMIN % 32));
}

/* What the exe link of the anon kind points at: an empty sealed memfd,
 * else (memfds not executable) an empty unlinked file. Empty, because
 * nothing runs it; a copy of the binary would cost what the re-exec saves.
 * A container that runs it (`/proc/self/exe` as its command) gets ENOEXEC. */
static int
empty_exe_file (const char **what, struct urun_error *err)
{
  int fd = clone_memfd (-1, 0, err);

  *what = "an empty sealed memfd";
  if (fd < 0 && err->errnum == EACCES)
    {
      urun_clear_error (err);
      *what = "an empty unlinked file";
      fd = clone_tmpfile (-1, 0, err);
    }
  return fd;
}

/* A read-only clone of the mount of the binary that pending names.
 * open_tree(2) clones only mounts of our own mount namespace: a child finds
 * the binary again by its path in its copy of urun's, and checks that it
 * is still the same inode. */
static int
clone_pending_mount (struct urun_error *err)
{
  const struct urun_selfmove_binary *b = &pending.binary;
  cleanup_close int fd = clone_mount (AT_FDCWD, b->path, err);
  struct stat st;

  if (fd < 0)
    return -1;
  if (fstat (fd, &st) < 0)
    return urun_set_error (err, errno, "stat `%s`", b->path);
  if (st.st_dev != b->dev || st.st_ino != b->ino)
    return urun_set_error (err, ESTALE, "`%s` is not the running binary any more", b->path);
  return TAKE_FD (fd);
}

/* The in-place kinds, once urun_selfmove_prepare ran. remap: the binary
 * mapped again through TREE_FD, a read-only clone of its mount, and the
 * exe link pointed there (a container that runs /proc/self/exe runs a
 * read-only urun). anon: the code copied into anonymous memory and the exe
 * link pointed at an empty file. */
static int
move_in_place (enum clone_kind kind, int tree_fd, struct urun_error *err)
{
  const char *what = "the binary on a detached read-only mount";
  cleanup_close int fd = -1;
  struct timespec start;
  char path[64];

  clock_gettime (CLOCK_MONOTONIC, &start);
  if (kind == KIND_REMAP)
    {
      /* open_tree's fd is an O_PATH one; mmap(2) wants it open for reading. */
      snprintf (path, sizeof path, "/proc/self/fd/%d", tree_fd);
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return urun_set_error (err, errno, "open the read-only clone of `/proc/self/exe`");
    }
  else if ((fd = empty_exe_file (&what, err)) < 0)
    return -1;
  if (urun_selfmove_finish (kind == KIND_REMAP ? fd : -1, fd, err) < 0)
    return -1;
  urun_debug ("selfclone: running from the %s clone: /proc/self/exe is %s (%ld us)",
              kind_names[kind], what, elapsed_us (&start));
  return 0;
}

/* urun_selfmove_prepare, in urun before any fork: a child inherits the
 * copies. A child's own would be slower (its first writes to every page
 * fault, copy on write) and would compete for the CPUs with newuidmap and
 * newgidmap, which urun runs meanwhile. */
static int
prepare (struct urun_error *err)
{
  struct timespec start;

  clock_gettime (CLOCK_MONOTONIC, &start);
  if (urun_selfmove_prepare (&pending.binary, err) < 0)
    return -1;
  urun_debug ("selfclone: written mappings copied in %ld us", elapsed_us (&start));
  return 0;
}

/* The remap kind in a child: 0 once it runs from the clone. */
static int
remap_pending (bool may_leave_mount_ns, struct urun_error *err)
{
  cleanup_close int tree_fd = -1;

  /* A mount namespace of our user namespace's, to clone the mount in:
   * the caller enters the container's one afterwards. */
  if (may_leave_mount_ns && unshare (CLONE_NEWNS) < 0)
    return urun_set_error (err, errno, "create a mount namespace");
  if ((tree_fd = clone_pending_mount (err)) < 0)
    return -1;
  return move_in_place (KIND_REMAP, tree_fd, err);
}

void
urun_selfclone_try_remap (bool may_leave_mount_ns)
{
  cleanup_error struct urun_error why = URUN_ERROR_INIT;
  cleanup_free char *text = NULL;

  if (pending.kind != KIND_REMAP)
    return;
  if (remap_pending (may_leave_mount_ns, &why) == 0)
    {
      pending.kind = KIND_NONE;
      return;
    }
  text = urun_format_error (&why);
  urun_debug ("selfclone: no remap clone (%s); falling back to anon", text ? text : "?");
  pending.kind = KIND_ANON;
}

int
urun_selfclone_finish (struct urun_error *err)
{
  urun_selfclone_try_remap (false);
  if (pending.kind == KIND_NONE)
    return 0;
  pending.kind = KIND_NONE;
  if (move_in_place (KIND_ANON, -1, err) < 0)
    return urun_wrap_error (err, "protect the urun binary");
  return 0;
}

/* The in-place kinds in urun: done now with CAP_SYS_ADMIN, else left to
 * the container's process (pending). */
static int
start_in_place (enum clone_kind kind, int exe_fd, struct urun_error *err)
{
  cleanup_close int tree_fd = -1;

  if (!urun_selfmove_supported ())
    return urun_set_error (err, EOPNOTSUPP, "the kernel has no prctl PR_SET_MM_MAP");
  if (urun_selfmove_binary_of (exe_fd, &pending.binary, err) < 0 || prepare (err) < 0)
    return -1;
  if (holds_cap_sys_admin ())
    {
      if (kind == KIND_REMAP && (tree_fd = clone_mount (exe_fd, "", err)) < 0)
        return -1;
      return move_in_place (kind, tree_fd, err);
    }
  /* A child finds the binary's mount again by path (clone_pending_mount). */
  if (kind == KIND_REMAP && pending.binary.path[0] == '\0')
    return urun_set_error (err, 0, "`/proc/self/exe`: the binary was deleted");
  pending.kind = kind;
  urun_debug ("selfclone: no CAP_SYS_ADMIN here: the %s clone follows in the container's "
              "user namespace", kind_names[kind]);
  return 0;
}

/* One step of the chain: in place, or a clone to re-execute from (which
 * returns only on failure). */
static int
try_kind (enum clone_kind kind, int exe_fd, char **argv, struct urun_error *err)
{
  cleanup_close int fd = -1;
  struct timespec start;

  if (kind <= KIND_ANON)
    return start_in_place (kind, exe_fd, err);
  clock_gettime (CLOCK_MONOTONIC, &start);
  fd = make_clone (kind, exe_fd, err);
  if (fd < 0)
    return -1;
  urun_debug ("selfclone: made the %s clone in %ld us; re-executing from it",
              kind_names[kind], elapsed_us (&start));
  return exec_clone (fd, kind, argv, err);
}

/* Try KIND and its fallbacks until one protects. Returns 0 after the
 * in-place kind, < 0 when the last kind failed too, with its error. */
static int
protect (enum clone_kind kind, int exe_fd, char **argv, struct urun_error *err)
{
  for (;;)
    {
      cleanup_error struct urun_error why = URUN_ERROR_INIT;
      cleanup_free char *text = NULL;
      enum clone_kind next;

      if (try_kind (kind, exe_fd, argv, &why) == 0)
        return 0;
      next = fallback_of (kind, why.errnum);
      if (next == KIND_NONE)
        {
          *err = why;
          why = (struct urun_error) URUN_ERROR_INIT;
          return -1;
        }
      text = urun_format_error (&why);
      urun_debug ("selfclone: no %s clone (%s); falling back to %s",
                  kind_names[kind], text ? text : "?", kind_names[next]);
      kind = next;
    }
}

int
urun_ensure_cloned_binary (int argc, char **argv, struct urun_error *err)
{
  cleanup_close int exe_fd = -1;
  enum clone_kind first, ran;
  enum protection p;

  if (argc < 1 || argv[argc] != NULL)
    return urun_set_error (err, EINVAL, "protect the urun binary: bad command line");
  if (forced_kind (&first, err) < 0)
    return -1;
  ran = take_marker ();
  if (first == KIND_OFF && ran == KIND_NONE)
    {
      urun_debug ("selfclone: off (%s=off): running from the binary itself", FORCE_ENV);
      return 0;
    }
  exe_fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  /* An execute-only binary (mode 0111) can still be cloned by mount. */
  if (exe_fd < 0 && errno == EACCES)
    exe_fd = open ("/proc/self/exe", O_PATH | O_CLOEXEC);
  if (exe_fd < 0)
    return urun_set_error (err, errno, "protect the urun binary: open `/proc/self/exe`");
  if (ran != KIND_NONE)
    return check_clone (ran, exe_fd, err) < 0
               ? urun_wrap_error (err, "protect the urun binary") : 0;
  if (first == KIND_AUTO && (p = protection_of (exe_fd)) != PROTECTED_NOT)
    {
      urun_debug ("selfclone: already protected: running from %s",
                  p == PROTECTED_SEALED ? "a sealed memfd" : "a read-only mount");
      return 0;
    }
  if (protect (first == KIND_AUTO ? KIND_REMAP : first, exe_fd, argv, err) < 0)
    return urun_wrap_error (err, "protect the urun binary");
  return 0;
}
