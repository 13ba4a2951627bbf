/* config.h: the typed configuration that main.c builds from the command line
   and every other part of urun-slirp reads. */
#ifndef URUN_SLIRP_CONFIG_H
#define URUN_SLIRP_CONFIG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define URUN_SLIRP_DEFAULT_MTU 1500
/* libslirp's IF_MTU_MAX is 65521; slirp4netns accepts the same range. */
#define URUN_SLIRP_MAX_MTU 65521
#define URUN_SLIRP_MIN_MTU 68

/* How frames cross the tap: plain, or with a virtio-net header so the
   namespace's kernel can hand us (and take from us) 64 KiB TCP super-frames
   whatever the MTU.  See frame.c. */
enum urun_offload
{
  URUN_OFFLOAD_AUTO,
  URUN_OFFLOAD_ON,
  URUN_OFFLOAD_OFF,
};

/* Who carries a forwarded TCP port's connections (hostfwd.c, splice.c):
   libslirp, which keeps the client's address, or a splice from a socket of
   the namespace's own, several times faster, which does not. */
enum urun_port_mode
{
  URUN_PORT_MODE_SLIRP,
  URUN_PORT_MODE_SPLICE,
};

struct urun_slirp_config
{
  /* Target: a PID (its user and network namespaces), a netns path (with an
     optional userns path), or a tap fd we inherited. */
  pid_t target_pid;
  const char *netns_path;
  const char *userns_path;
  int target_tapfd;
  const char *tapname;

  unsigned int mtu;
  bool is_configure;
  bool has_mac;
  uint8_t mac[6];

  struct in_addr vnetwork;    /* 10.0.2.0 */
  struct in_addr vnetmask;    /* 255.255.255.0 */
  unsigned int prefix_len;    /* 24 */
  struct in_addr vhost;       /* 10.0.2.2: the gateway, the host's loopback */
  struct in_addr vnameserver; /* 10.0.2.3 */
  struct in_addr vdhcp_start; /* 10.0.2.15 */
  struct in_addr vguest;      /* 10.0.2.100: what --configure assigns */

  bool is_ipv6;
  bool is_host_loopback_disabled;
  bool is_dns_disabled;
  bool has_outbound_addr;
  struct sockaddr_in outbound_addr;
  bool has_outbound_addr6;
  struct sockaddr_in6 outbound_addr6;

  const char *api_socket;
  int exit_fd;
  int ready_fd;
  bool is_sandbox;
  bool is_seccomp;
  enum urun_offload offload;
  enum urun_port_mode port_mode; /* add_hostfwd's default */
  bool is_quiet;
};

#endif
