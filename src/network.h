/* network.h: user-mode networking for a container's own network namespace,
 * for users without podman. Three annotations of config.json ask for it:
 *
 *   run.urun.network=slirp         urun-slirp serves the namespace (`none`
 *                                  or absent: nothing is done)
 *   run.urun.ports=[IP:]HOST:GUEST[/tcp|/udp],...
 *                                  host ports forwarded into the container
 *   run.urun.network.options=mtu=N,cidr=A.B.C.D/P,disable-host-loopback,
 *                            enable-ipv6,port-mode=slirp|splice
 *
 * network.c reads and checks them (before anything exists); network-slirp.c
 * starts the helper once the container's process (and so its network
 * namespace) exists, adds the ports through its API socket, and stops it.
 * The helper ends by itself when the container's process exits (it watches
 * a pidfd of it); `delete`, the end of a foreground `run` and a failed
 * `create` kill it by its recorded pid and wait for it. */
#ifndef URUN_NETWORK_H
#define URUN_NETWORK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

#define URUN_NETWORK_ANNOTATION "run.urun.network"
#define URUN_PORTS_ANNOTATION "run.urun.ports"
#define URUN_NETWORK_OPTIONS_ANNOTATION "run.urun.network.options"
/* The helper, when not found next to urun or in $PATH. */
#define URUN_SLIRP_ENV "URUN_SLIRP"

/* podman's default (libpod, slirp4netns "mtu"): a 64 KiB MTU moves bulk
 * data several times faster than 1500 through user-mode TCP. */
#define URUN_NETWORK_DEFAULT_MTU 65520

struct urun_port
{
  char host_addr[INET_ADDRSTRLEN]; /* "" : every address (0.0.0.0) */
  uint16_t host_port;
  uint16_t guest_port;
  bool is_udp;
};

struct urun_network
{
  bool is_slirp;
  struct urun_port *ports;
  size_t n_ports;
  unsigned int mtu;
  char cidr[INET_ADDRSTRLEN + 4]; /* "" : the helper's 10.0.2.0/24 */
  bool is_host_loopback_disabled;
  bool is_ipv6;
  bool is_port_spliced; /* TCP ports spliced (faster), not through libslirp
                           (which keeps the client's address) */
};

/* NET from SPEC's annotations; errors name the annotation and the element.
 * Needs a new network namespace when it asks for slirp. */
int urun_network_parse (const struct urun_spec *spec, struct urun_network *net,
                        struct urun_error *err);
void urun_network_free (struct urun_network *net);

/* Before anything exists: the annotations are valid, and the helper is
 * found when they ask for one. */
int urun_network_check_spec (const struct urun_spec *spec,
                             struct urun_error *err);

/* The helper's binary: $URUN_SLIRP; urun-slirp next to the urun binary that
 * was run (also helpers/urun-slirp/ of a build tree); else in $PATH. Returns
 * a malloc()ed path, or NULL with ERR set. */
char *urun_network_find_helper (struct urun_error *err);

/* A running helper of `create` or `run`, killed on release while armed. */
struct urun_network_helper
{
  int pidfd;
  bool is_armed;
};

#define URUN_NETWORK_HELPER_INIT { .pidfd = -1 }

/* When SPEC asks for it: start the helper for the network namespace of
 * CONTAINER (its process, past READY), record it in DIR_FD (the state
 * directory, which gets its API socket and log), wait until it is ready and
 * add the ports. H is armed: releasing it undoes all that. */
int urun_network_start (const struct urun_spec *spec, int dir_fd,
                        pid_t container, struct urun_network_helper *h,
                        struct urun_error *err);

/* `delete`: stop the helper recorded in DIR_FD, if any, and wait for it. */
void urun_network_stop (int dir_fd);

void urun_network_release (struct urun_network_helper *h);
#define cleanup_network_helper __attribute__ ((cleanup (urun_network_release)))

#endif
