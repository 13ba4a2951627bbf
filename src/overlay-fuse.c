/* overlay-fuse.c: urun's side of the overlays — starting fuse-overlayfs for
 * those the kernel refused, outside the container: it joins the container's
 * user namespace and no other, so it holds nothing that keeps the
 * container's mounts alive. When the container's mount namespace goes, the
 * fuse connection is aborted and the daemon exits (reads of /dev/fuse fail
 * with ENODEV, fuse(4)); nothing has to kill it. */
#define _GNU_SOURCE
#include "overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "overlay-internal.h"
#include "sync.h"
#include "utils.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

struct daemon
{
  char tool[PATH_MAX];
  char *options;   /* -o lowerdir=...,upperdir=...,workdir=... */
  const char *tmp_dir; /* rootfs overlay: where its tmpfs goes, else NULL */
  int fuse_fd;
  pid_t pid;       /* of the container process, for its user namespace */
  int err_fd;      /* the write end of the daemon's stderr */
};

/* fuse-overlayfs takes only its directories; -o splits at commas. */
static char *
daemon_options (const struct urun_mount *m, const char *rootfs,
                const char *tmp_dir, struct urun_error *err)
{
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&text, &len);
  const char *bad = NULL;

  if (f == NULL)
    abort ();
  if (m == NULL)
    fprintf (f, "lowerdir=%s,upperdir=%s/upper,workdir=%s/work", rootfs, tmp_dir, tmp_dir);
  for (size_t k = 0; m && k < m->n_options; k++)
    for (size_t j = 0; j < 3; j++)
      if (urun_overlay_option (m->options[k], urun_overlay_dir_keys[j]))
        {
          fprintf (f, "%s%s", ftell (f) ? "," : "", m->options[k]);
          if (strchr (m->options[k], ','))
            bad = m->options[k];
        }
  fclose (f);
  if (m == NULL && (strchr (rootfs, ',') || strchr (tmp_dir, ',')))
    bad = text;
  if (bad == NULL)
    return text;
  urun_set_error (err, 0, "fuse-overlayfs cannot take a directory with `,` in its name (`%s`)", bad);
  free (text);
  return NULL;
}

/* setns(2) into a user namespace takes CAP_SYS_ADMIN in it: we have it in
 * one our uid created. */
static int
join_user_namespace (pid_t pid)
{
  char path[64];
  struct stat theirs, ours;
  cleanup_close int fd = -1;

  snprintf (path, sizeof path, "/proc/%d/ns/user", (int) pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &theirs) < 0 || stat ("/proc/self/ns/user", &ours) < 0)
    return -1;
  if (theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev)
    return 0;
  if (setns (fd, CLONE_NEWUSER) < 0)
    return -1;
  /* Root of that namespace keeps its capabilities across execve, anyone
   * else loses them (capabilities(7)), and fuse-overlayfs needs them to
   * chown and mknod for the container. Unmapped 0: stay as we are. */
  setgroups (0, NULL);
  if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
    errno = 0;
  return 0;
}

/* The rootfs overlay's upper layer: a tmpfs over the state directory, in a
 * mount namespace of the daemon's own. Created from a user namespace other
 * than its parent's, it gets shared mounts as slaves (mount_namespaces(7));
 * private, nothing propagates either way. It dies with the daemon. */
static int
make_private_tmpfs (const char *dir)
{
  cleanup_free char *upper = xasprintf ("%s/upper", dir);
  cleanup_free char *work = xasprintf ("%s/work", dir);

  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return -1;
  if (mount ("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") < 0)
    return -1;
  return mkdir (upper, 0755) < 0 || mkdir (work, 0700) < 0 ? -1 : 0;
}

/* Runs in: a child of urun that becomes the daemon. Its own session (a
 * terminal's ^C for `urun run` is not for it); stdout to /dev/null,
 * stderr to urun until the overlay answers. */
__attribute__ ((noreturn)) static void
exec_daemon (const struct daemon *d)
{
  char dev[32];
  char *argv[] = { (char *) d->tool, (char *) "-f", (char *) "-o", d->options, dev, NULL };
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  sigset_t none;
  const char *step = "redirect stdio";

  snprintf (dev, sizeof dev, "/dev/fd/%d", d->fuse_fd);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  setsid ();
  if (null >= 0 && dup2 (null, 0) >= 0 && dup2 (null, 1) >= 0 && dup2 (d->err_fd, 2) >= 0)
    {
      syscall (SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
      step = "join the container's user namespace";
      if (join_user_namespace (d->pid) == 0)
        {
          step = "mount a tmpfs for the upper layer";
          if (d->tmp_dir == NULL || make_private_tmpfs (d->tmp_dir) == 0)
            {
              step = "run fuse-overlayfs";
              if (fcntl (d->fuse_fd, F_SETFD, 0) == 0)
                execv (d->tool, argv);
            }
        }
    }
  dprintf (2, "%s: %s\n", step, strerror (errno));
  _exit (127);
}

static int
start_daemon (struct daemon *d, int *err_read, struct urun_error *err)
{
  int pipefd[2];
  pid_t child;

  if (!urun_overlay_find_fuse (d->tool, sizeof d->tool))
    return urun_set_error (err, ENOENT, "`fuse-overlayfs` not found");
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return urun_set_error (err, errno, "create a pipe for fuse-overlayfs");
  d->err_fd = pipefd[1];
  child = fork ();
  if (child == 0)
    exec_daemon (d);
  close (pipefd[1]);
  if (child < 0)
    {
      close (pipefd[0]);
      return urun_set_error (err, errno, "fork fuse-overlayfs");
    }
  *err_read = pipefd[0];
  urun_debug ("fuse-overlayfs (pid %d): -o %s", (int) child, d->options);
  return 0;
}

/* After the container process said the overlay does not answer: the
 * daemon's last line of stderr, if it wrote one before it died. */
static void
add_daemon_message (int fd, struct urun_error *err)
{
  struct pollfd pfd = { .fd = fd, .events = POLLIN };
  char msg[1024];
  size_t n = 0;
  ssize_t got;
  char *line, *old;
  int errnum = err->errnum;

  while (n < sizeof msg - 1 && poll (&pfd, 1, 2000) > 0
         && (got = read (fd, msg + n, sizeof msg - 1 - n)) > 0)
    n += (size_t) got;
  while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
    n--;
  msg[n] = '\0';
  line = strrchr (msg, '\n') ? strrchr (msg, '\n') + 1 : msg;
  if (*line == '\0')
    return;
  old = TAKE_PTR (err->msg);
  urun_clear_error (err);
  urun_set_error (err, errnum, "%s (fuse-overlayfs: %s)", old, line);
  free (old);
}

/* One overlay, as the container process reports it: by the kernel (value
 * 0) or through fuse, whose /dev/fuse fd follows. M: NULL for the rootfs. */
static int
serve_one (const struct urun_mount *m, const char *rootfs, int sync_fd,
           pid_t pid, int state_dir_fd, struct urun_error *err)
{
  cleanup_close int fuse_fd = -1;
  cleanup_close int err_read = -1;
  cleanup_free char *tmp_dir = NULL;
  struct daemon d = { .pid = pid, .err_fd = -1 };
  int how = 0, r;

  if (urun_sync_expect (sync_fd, URUN_SYNC_OVERLAY, &how, err) < 0)
    return -1;
  if (how == 0)
    return 0;
  if (urun_sync_expect_fd (sync_fd, URUN_SYNC_OVERLAY_FUSE, &fuse_fd, err) < 0)
    return -1;
  if (m == NULL && (tmp_dir = urun_fd_path (state_dir_fd, err)) == NULL)
    return -1;
  d.fuse_fd = fuse_fd;
  d.tmp_dir = tmp_dir;
  d.options = daemon_options (m, rootfs, tmp_dir, err);
  r = d.options ? start_daemon (&d, &err_read, err) : -1;
  free (d.options);
  if (r < 0)
    return urun_wrap_error (err, "overlay on `%s`", m ? m->destination : "/");
  close (TAKE_FD (fuse_fd));
  if (urun_sync_send (sync_fd, URUN_SYNC_OVERLAY_STARTED, 0, err) < 0)
    return -1;
  if (urun_sync_expect (sync_fd, URUN_SYNC_OVERLAY_READY, NULL, err) < 0)
    {
      add_daemon_message (err_read, err);
      return -1;
    }
  return 0;
}

int
urun_overlay_serve (const struct urun_spec *spec, const char *rootfs,
                    int sync_fd, pid_t pid, int state_dir_fd,
                    struct urun_error *err)
{
  if (!urun_overlay_in_own_mount_ns (spec))
    return 0;
  if (urun_overlay_wants_rootfs (spec)
      && serve_one (NULL, rootfs, sync_fd, pid, state_dir_fd, err) < 0)
    return -1;
  for (size_t i = 0; i < spec->n_mounts; i++)
    if (urun_overlay_is_mount (&spec->mounts[i])
        && serve_one (&spec->mounts[i], rootfs, sync_fd, pid, state_dir_fd, err) < 0)
      return -1;
  return 0;
}
