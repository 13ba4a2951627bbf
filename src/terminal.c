/* terminal.c: pty creation, /dev/console, console socket, run's proxy. */
#define _GNU_SOURCE
#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "fdpass.h"
#include "mounts.h"
#include "rootpath.h"

static int
open_ptmx (int root_fd, struct urun_error *err)
{
  cleanup_close int fd = urun_openat_in_root (root_fd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY);
  struct statfs sfs;

  if (fd < 0)
    return urun_set_error (err, errno, "process.terminal: open `/dev/pts/ptmx` (is devpts mounted on /dev/pts?)");
  if (fstatfs (fd, &sfs) < 0 || sfs.f_type != DEVPTS_SUPER_MAGIC)
    return urun_set_error (err, 0, "process.terminal: `/dev/pts/ptmx` is not on devpts");
  return TAKE_FD (fd);
}

/* /dev/console may be a symlink the rootfs brought or a process sharing it
 * swapped in: followed inside the root, it still must end on a file or a
 * device, and not on procfs or sysfs, where the pty would stand in for a
 * file the kernel is asked through (the CVE-2025-52565 class). */
static int
check_console_target (int fd, struct urun_error *err)
{
  struct statfs sfs;
  struct stat st;

  if (fstat (fd, &st) < 0 || fstatfs (fd, &sfs) < 0)
    return urun_set_error (err, errno, "stat `/dev/console`");
  if (sfs.f_type == PROC_SUPER_MAGIC || sfs.f_type == SYSFS_MAGIC)
    return urun_set_error (err, 0, "`/dev/console` leads to %s: not binding the pty there",
                           sfs.f_type == PROC_SUPER_MAGIC ? "procfs" : "sysfs");
  if (!S_ISREG (st.st_mode) && !S_ISCHR (st.st_mode))
    return urun_set_error (err, 0, "`/dev/console` is not a file or a device: not binding the pty there");
  return 0;
}

static int
bind_console_to (int root_fd, int slave, struct urun_error *err)
{
  cleanup_close int target_fd = urun_make_in_root (root_fd, "/dev/console", false, err);
  cleanup_close int tree_fd = -1;

  if (target_fd < 0 || check_console_target (target_fd, err) < 0)
    return -1;
  tree_fd = open_tree (slave, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree_fd < 0)
    return urun_set_error (err, errno, "bind the pty on `/dev/console`");
  return urun_move_mount (tree_fd, target_fd, "/dev/console", err);
}

int
urun_terminal_create (int root_fd, const struct urun_process *p,
                      bool bind_console, int *master, int *slave,
                      struct urun_error *err)
{
  cleanup_close int m = open_ptmx (root_fd, err);
  cleanup_close int s = -1;
  int unlock = 0;

  if (m < 0)
    return -1;
  if (ioctl (m, TIOCSPTLCK, &unlock) < 0)
    return urun_set_error (err, errno, "process.terminal: unlock the pty");
  s = ioctl (m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0)
    return urun_set_error (err, errno, "process.terminal: open the pty's slave");
  if (p->has_console_size)
    {
      struct winsize ws = { .ws_row = p->console_height, .ws_col = p->console_width };
      if (ioctl (s, TIOCSWINSZ, &ws) < 0)
        return urun_set_error (err, errno, "process.consoleSize");
    }
  if (bind_console && bind_console_to (root_fd, s, err) < 0)
    return -1;
  *master = TAKE_FD (m);
  *slave = TAKE_FD (s);
  return 0;
}

int
urun_terminal_attach (int slave, const struct urun_user *user,
                      struct urun_error *err)
{
  /* EINVAL: the uid is not mapped; the process then gets root's pty. */
  if (fchown (slave, user->uid, user->gid) < 0 && errno != EINVAL)
    return urun_set_error (err, errno, "process.terminal: chown the pty");
  if (setsid () < 0)
    return urun_set_error (err, errno, "process.terminal: setsid");
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return urun_set_error (err, errno, "process.terminal: make the pty the controlling terminal");
  for (int fd = 0; fd < 3; fd++)
    if (dup2 (slave, fd) < 0)
      return urun_set_error (err, errno, "process.terminal: pty as fd %d", fd);
  if (slave > 2)
    close (slave);
  return 0;
}

int
urun_console_socket_connect (const char *path, struct urun_error *err)
{
  cleanup_close int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };

  if (strlen (path) >= sizeof addr.sun_path)
    return urun_set_error (err, ENAMETOOLONG, "--console-socket `%s`", path);
  strcpy (addr.sun_path, path);
  if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return urun_set_error (err, errno, "--console-socket: connect to `%s`", path);
  return TAKE_FD (fd);
}

int
urun_console_socket_send (int sock, int master, struct urun_error *err)
{
  /* runc sends the pty's name as the payload; conmon reads only the fd. */
  static const char name[] = "/dev/ptmx";

  if (urun_send_fd (sock, master, name, sizeof name - 1) < 0)
    return urun_set_error (err, errno, "--console-socket: send the pty");
  return 0;
}

void
urun_tty_proxy_start (struct urun_tty_proxy *proxy, int master)
{
  struct termios raw;

  proxy->master = master;
  proxy->restore = false;
  if (!isatty (0) || tcgetattr (0, &proxy->saved) < 0)
    return;
  raw = proxy->saved;
  cfmakeraw (&raw);
  /* Keep output post-processing: the container's pty does its own. */
  raw.c_oflag = proxy->saved.c_oflag;
  if (tcsetattr (0, TCSANOW, &raw) == 0)
    proxy->restore = true;
  urun_tty_proxy_resize (proxy);
}

bool
urun_tty_proxy_copy (int from, int to)
{
  char buf[8192];
  ssize_t n = read (from, buf, sizeof buf);

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  for (ssize_t done = 0; done < n;)
    {
      ssize_t w = write (to, buf + done, n - done);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return false;
      done += w;
    }
  return true;
}

void
urun_tty_proxy_resize (struct urun_tty_proxy *proxy)
{
  struct winsize ws;

  if (ioctl (0, TIOCGWINSZ, &ws) == 0)
    ioctl (proxy->master, TIOCSWINSZ, &ws);
}

void
urun_tty_proxy_stop (struct urun_tty_proxy *proxy)
{
  struct pollfd pfd = { .fd = proxy->master, .events = POLLIN };

  /* The last output may still sit in the pty after the process exited. */
  while (poll (&pfd, 1, 0) > 0 && (pfd.revents & POLLIN)
         && urun_tty_proxy_copy (proxy->master, 1))
    ;
  if (proxy->restore)
    tcsetattr (0, TCSANOW, &proxy->saved);
}
