/* fdpass.h: a message with at most one descriptor over a UNIX socket
   (SCM_RIGHTS, unix(7)), for the children that work inside the target's
   namespaces (tap.c, nssocket.c). */
#ifndef URUN_SLIRP_FDPASS_H
#define URUN_SLIRP_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* Send LEN bytes of BUF, with FD unless it is negative.  0, or -1 with
   errno. */
int urun_send_with_fd (int sock, const void *buf, size_t len, int fd);

/* Receive up to LEN bytes into BUF; *FD gets the descriptor that came with
   them (close-on-exec) or -1.  Returns the bytes received (0: the peer is
   gone), or -1 with errno. */
ssize_t urun_recv_with_fd (int sock, void *buf, size_t len, int *fd);

#endif
