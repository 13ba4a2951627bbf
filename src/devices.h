/* devices.h: device nodes and the standard /dev symlinks in the rootfs. */
#ifndef URUN_DEVICES_H
#define URUN_DEVICES_H

#include <stdbool.h>

#include "error.h"
#include "spec.h"

/* Create the default devices (null, zero, full, random, urandom, tty), those
 * of linux.devices, and /dev/fd, /dev/std{in,out,err}, /dev/ptmx.
 * With CAN_MKNOD (root in the initial user namespace) they are made with
 * mknod(2); otherwise the host's node is bind-mounted, as a user namespace
 * may not create devices. Runs in: the container process, before pivot. */
int urun_create_devices (const struct urun_spec *spec, int root_fd,
                         bool can_mknod, struct urun_error *err);

#endif
