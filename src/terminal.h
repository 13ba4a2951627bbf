/* terminal.h: process.terminal — the pty, /dev/console, the console socket
 * and the foreground proxy of `urun run`. */
#ifndef URUN_TERMINAL_H
#define URUN_TERMINAL_H

#include <stdbool.h>
#include <termios.h>

#include "error.h"
#include "spec.h"

/* Open a pty in the container's own devpts (ROOT_FD's /dev/pts/ptmx, checked
 * to be devpts), get its slave with TIOCGPTPEER (no path lookup, Linux
 * 4.13+), apply consoleSize, and bind the slave on /dev/console through
 * fds only, so a rootfs cannot redirect it (the CVE-2025-52565 class);
 * BIND_CONSOLE is false for a process joining a container (`exec`).
 * Runs in: the container process, after /dev/pts is mounted, before
 * pivot_root. */
int urun_terminal_create (int root_fd, const struct urun_process *p,
                          bool bind_console, int *master, int *slave,
                          struct urun_error *err);

/* Make SLAVE the controlling terminal and stdio, owned by the process user.
 * Runs in: the container process, before the switch to the process user. */
int urun_terminal_attach (int slave, const struct urun_user *user,
                          struct urun_error *err);

/* Connect to --console-socket (a unix stream socket, as conmon listens). */
int urun_console_socket_connect (const char *path, struct urun_error *err);

/* Hand MASTER to the console socket SOCK (SCM_RIGHTS), as runc does. */
int urun_console_socket_send (int sock, int master, struct urun_error *err);

/* The caller's terminal while `urun run` proxies the container's pty. */
struct urun_tty_proxy
{
  int master;
  bool restore;          /* stdin was a terminal put into raw mode */
  struct termios saved;
};

/* Put stdin in raw mode (when a terminal) and copy its size to MASTER. */
void urun_tty_proxy_start (struct urun_tty_proxy *proxy, int master);

/* Copy what is readable from FROM to TO; false at EOF or error. */
bool urun_tty_proxy_copy (int from, int to);

/* SIGWINCH: the caller's window size to the container's pty. */
void urun_tty_proxy_resize (struct urun_tty_proxy *proxy);

/* Drain the pty's last output and restore the caller's terminal. */
void urun_tty_proxy_stop (struct urun_tty_proxy *proxy);

#endif
