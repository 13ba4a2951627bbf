/* tap.h: the tap device inside the target network namespace. */
#ifndef URUN_SLIRP_TAP_H
#define URUN_SLIRP_TAP_H

#include <stdbool.h>

#include "config.h"
#include "error.h"
#include "nssocket.h"

struct urun_tap
{
  int fd;            /* non-blocking, close-on-exec */
  bool has_vnet_hdr; /* frames carry a struct virtio_net_hdr (IFF_VNET_HDR) */
  bool has_tso;      /* the namespace may send TSO / partial-checksum frames */
  struct urun_nssocket ns; /* the child left in the namespaces, or sock -1 */
};

/* Open (and with --configure, configure) the tap named in CFG inside the
   target namespaces, or adopt --netns-type=tapfd's descriptor.  TAP->ns
   gets the child that stays in the namespaces when urun_nssocket_is_wanted
   (CFG). */
int urun_open_tap (const struct urun_slirp_config *cfg, struct urun_tap *tap,
                   struct urun_error *err);

#endif
