/* netlink.h: --configure over rtnetlink. */
#ifndef URUN_SLIRP_NETLINK_H
#define URUN_SLIRP_NETLINK_H

#include "config.h"
#include "error.h"

/* Bring up `lo` and IFNAME (MTU, MAC), give it the guest address and a
   default route via the gateway.  Runs in: the target network namespace. */
int urun_configure_tap (const char *ifname,
                        const struct urun_slirp_config *cfg,
                        struct urun_error *err);

#endif
