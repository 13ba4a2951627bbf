/* fdpass.h: a message with at most one descriptor over a UNIX socket
   (SCM_RIGHTS, unix(7)): urun and its container child (sync.c), the console
   socket (terminal.c), and urun-slirp and its namespace child (tap.c,
   nssocket.c). */
#ifndef URUN_FDPASS_H
#define URUN_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* Send LEN bytes of DATA over SOCK, with FD unless it is negative.  0, or
   -1 with errno. */
int urun_send_fd (int sock, int fd, const void *data, size_t len);

/* Receive up to LEN bytes into BUF; *FD gets the descriptor that came with
   them (close-on-exec) or -1, and any other is closed.  Returns the bytes
   received (0: the peer is gone), or -1 with errno. */
ssize_t urun_recv_fd (int sock, void *buf, size_t len, int *fd);

#endif
