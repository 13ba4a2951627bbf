/* seccomp.h: --enable-seccomp. */
#ifndef URUN_SLIRP_SECCOMP_H
#define URUN_SLIRP_SECCOMP_H

#include "error.h"

/* Allow only what the packet loop needs; everything else fails with EPERM,
   and the calls that could only serve an escape kill the process.  Runs
   in: the helper, last thing before the loop (sets no_new_privs). */
int urun_install_seccomp (struct urun_error *err);

/* The namespace child's filter (nssocket.c): its requests and socket() for
   IPv4 and IPv6; anything else kills it.  Runs in: the namespace child. */
int urun_install_nssocket_seccomp (struct urun_error *err);

#endif
