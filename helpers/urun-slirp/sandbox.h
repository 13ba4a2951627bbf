/* sandbox.h: --enable-sandbox. */
#ifndef URUN_SLIRP_SANDBOX_H
#define URUN_SLIRP_SANDBOX_H

#include <stdbool.h>

#include "config.h"
#include "error.h"

/* Pivot into an empty, read-only root in a new mount namespace that keeps
   only what libslirp reads (/etc with resolv.conf, and where resolv.conf
   really lives), then drop every capability (but CAP_NET_BIND_SERVICE when
   running as root).  Runs in: the helper, after its sockets are open. */
int urun_enter_sandbox (const struct urun_slirp_config *cfg,
                        struct urun_error *err);

/* Empty every capability set, the bounding and ambient ones included (but
   CAP_NET_BIND_SERVICE with KEEP_BIND).  Runs in: the helper, and the
   namespace child. */
int urun_drop_capabilities (bool keep_bind, struct urun_error *err);

#endif
