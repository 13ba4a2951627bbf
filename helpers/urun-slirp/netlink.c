/* netlink.c: --configure — loopback up, the tap's MTU, MAC, address and
   default route, set over rtnetlink inside the target network namespace
   (slirp4netns does the same with SIOCSIF* ioctls). */
#define _GNU_SOURCE
#include "netlink.h"

#include <errno.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"

struct nl_request
{
  struct nlmsghdr nh;
  char payload[256];
};

static void *
nl_tail (struct nlmsghdr *nh)
{
  return (char *) nh + NLMSG_ALIGN (nh->nlmsg_len);
}

/* Room is fixed and our attributes are few and small. */
static void
add_attr (struct nl_request *req, unsigned short type, const void *data,
          size_t len)
{
  struct rtattr *rta = nl_tail (&req->nh);

  rta->rta_type = type;
  rta->rta_len = RTA_LENGTH (len);
  memcpy (RTA_DATA (rta), data, len);
  req->nh.nlmsg_len
      = NLMSG_ALIGN (req->nh.nlmsg_len) + RTA_ALIGN (rta->rta_len);
}

static void *
start_request (struct nl_request *req, unsigned short type,
               unsigned short flags, size_t hdr_len)
{
  memset (req, 0, sizeof *req);
  req->nh.nlmsg_len = NLMSG_LENGTH (hdr_len);
  req->nh.nlmsg_type = type;
  req->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  return NLMSG_DATA (&req->nh);
}

/* Send REQ and wait for its acknowledgement (an NLMSG_ERROR, 0 on success). */
static int
talk (int fd, struct nl_request *req, struct urun_error *err)
{
  char buf[1024];
  struct nlmsghdr *nh = (struct nlmsghdr *) buf;
  ssize_t n;

  req->nh.nlmsg_seq = 1;
  if (send (fd, req, req->nh.nlmsg_len, 0) < 0)
    return urun_set_error (err, errno, "send rtnetlink request");
  n = recv (fd, buf, sizeof buf, 0);
  if (n < 0)
    return urun_set_error (err, errno, "receive rtnetlink reply");
  if (!NLMSG_OK (nh, (size_t) n) || nh->nlmsg_type != NLMSG_ERROR)
    return urun_set_error (err, EPROTO, "unexpected rtnetlink reply");
  n = -((struct nlmsgerr *) NLMSG_DATA (nh))->error;
  if (n != 0)
    return urun_set_error (err, (int) n, "rtnetlink request");
  return 0;
}

static int
set_link (int fd, int index, unsigned int mtu, const uint8_t *mac,
          struct urun_error *err)
{
  struct nl_request req;
  struct ifinfomsg *ifi = start_request (&req, RTM_NEWLINK, 0, sizeof *ifi);

  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  if (mtu > 0)
    add_attr (&req, IFLA_MTU, &mtu, sizeof mtu);
  if (mac != NULL)
    add_attr (&req, IFLA_ADDRESS, mac, 6);
  return talk (fd, &req, err);
}

static int
add_address (int fd, int index, const struct urun_slirp_config *cfg,
             struct urun_error *err)
{
  struct nl_request req;
  struct ifaddrmsg *ifa = start_request (&req, RTM_NEWADDR,
                                         NLM_F_CREATE | NLM_F_REPLACE,
                                         sizeof *ifa);
  struct in_addr brd = { cfg->vguest.s_addr | ~cfg->vnetmask.s_addr };

  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = cfg->prefix_len;
  ifa->ifa_index = index;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  add_attr (&req, IFA_LOCAL, &cfg->vguest, sizeof cfg->vguest);
  add_attr (&req, IFA_ADDRESS, &cfg->vguest, sizeof cfg->vguest);
  add_attr (&req, IFA_BROADCAST, &brd, sizeof brd);
  return talk (fd, &req, err);
}

static int
add_default_route (int fd, int index, const struct urun_slirp_config *cfg,
                   struct urun_error *err)
{
  struct nl_request req;
  struct rtmsg *rtm = start_request (&req, RTM_NEWROUTE,
                                     NLM_F_CREATE | NLM_F_REPLACE,
                                     sizeof *rtm);
  uint32_t oif = (uint32_t) index;

  rtm->rtm_family = AF_INET;
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_BOOT;
  rtm->rtm_scope = RT_SCOPE_UNIVERSE;
  rtm->rtm_type = RTN_UNICAST;
  add_attr (&req, RTA_GATEWAY, &cfg->vhost, sizeof cfg->vhost);
  add_attr (&req, RTA_OIF, &oif, sizeof oif);
  return talk (fd, &req, err);
}

int
urun_configure_tap (const char *ifname, const struct urun_slirp_config *cfg,
                    struct urun_error *err)
{
  cleanup_close int fd = -1;
  int lo, tap;

  lo = (int) if_nametoindex ("lo");
  tap = (int) if_nametoindex (ifname);
  if (lo == 0 || tap == 0)
    return urun_set_error (err, errno, "find interface `%s`",
                           lo == 0 ? "lo" : ifname);
  fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    return urun_set_error (err, errno, "open rtnetlink socket");
  if (set_link (fd, lo, 0, NULL, err) < 0)
    return urun_wrap_error (err, "bring up `lo`");
  if (set_link (fd, tap, cfg->mtu, cfg->has_mac ? cfg->mac : NULL, err) < 0)
    return urun_wrap_error (err, "set MTU %u and bring up `%s`", cfg->mtu,
                            ifname);
  if (add_address (fd, tap, cfg, err) < 0)
    return urun_wrap_error (err, "add address to `%s`", ifname);
  if (add_default_route (fd, tap, cfg, err) < 0)
    return urun_wrap_error (err, "add default route via the gateway");
  return 0;
}
