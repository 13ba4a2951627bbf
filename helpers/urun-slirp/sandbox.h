/* sandbox.h: --enable-sandbox. */
#ifndef URUN_SLIRP_SANDBOX_H
#define URUN_SLIRP_SANDBOX_H

#include "config.h"
#include "error.h"

/* Pivot into an empty, read-only root in a new mount namespace that keeps
   only what libslirp reads (/etc with resolv.conf, and where resolv.conf
   really lives), then drop every capability (but CAP_NET_BIND_SERVICE when
   running as root).  Runs in: the helper, after its sockets are open. */
int urun_enter_sandbox (const struct urun_slirp_config *cfg,
                        struct urun_error *err);

#endif
