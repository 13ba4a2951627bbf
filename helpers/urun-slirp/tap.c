/* tap.c: the tap device — a child joins the target's user and network
   namespaces, opens the tap there (configuring it with --configure) and
   passes the descriptor back over SCM_RIGHTS.  With an API socket the child
   then stays, making sockets in the namespace for spliced forwards
   (nssocket.c). */
#define _GNU_SOURCE
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fdpass.h"
#include "netlink.h"
#include "nssocket.h"

/* --offload: the virtio-net header with checksum and segmentation offload
   pays at every MTU (bench/slirp.sh): at 1500 one read or write carries up
   to 44 frames' worth; at 65520 the namespace's kernel no longer checksums
   and segments in software, work it did inside our writes (a frame we
   write is processed in our context, and an ACK makes it transmit), and
   frames we write "checksum partial" skip its verification pass, and
   frame.c can merge libslirp's segments into 64 KiB frames (bench/slirp.sh
   -P, MTU 65520: host -> namespace 6.8 against 5.6 Gbit/s without, namespace
   -> host 6.2 against 5.6).  auto falls back to plain frames when the
   kernel refuses; on insists. */

/* What the child sends back: errnum 0 and the tap fd as SCM_RIGHTS, or an
   error (errnum may be 0 for a non-system error) and its message. */
struct child_reply
{
  int errnum;
  int is_error;
  int has_vnet_hdr;
  int has_tso;
  char msg[512];
};


/* Join the user namespace in FD.  EINVAL means it is already ours.
   Runs in: child. */
static int
join_userns_fd (int fd, const char *what, struct urun_error *err)
{
  if (setns (fd, CLONE_NEWUSER) < 0 && errno != EINVAL)
    return urun_set_error (err, errno, "join user namespace %s", what);
  return 0;
}

/* Join the target's namespaces: the user namespace first (it grants
   CAP_SYS_ADMIN over the network namespace it owns), then the network one.
   Without a user namespace given, a path target that we may not enter
   directly is entered through its owner (NS_GET_USERNS, Linux 4.9,
   ioctl_ns(2)).  Runs in: child. */
static int
join_namespaces (const struct urun_slirp_config *cfg, struct urun_error *err)
{
  char net_path[64], user_path[64];
  const char *netns = cfg->netns_path, *userns = cfg->userns_path;
  cleanup_close int netfd = -1;
  cleanup_close int userfd = -1;

  if (cfg->target_pid > 0)
    {
      snprintf (net_path, sizeof net_path, "/proc/%d/ns/net", cfg->target_pid);
      snprintf (user_path, sizeof user_path, "/proc/%d/ns/user",
                cfg->target_pid);
      netns = net_path;
      if (userns == NULL)
        userns = user_path;
    }
  netfd = open (netns, O_RDONLY | O_CLOEXEC);
  if (netfd < 0)
    return urun_set_error (err, errno, "open `%s`", netns);
  if (userns != NULL)
    {
      userfd = open (userns, O_RDONLY | O_CLOEXEC);
      if (userfd < 0)
        return urun_set_error (err, errno, "open `%s`", userns);
      /* As slirp4netns: a failure here may still leave us allowed to enter
         the network namespace (root, or the same user namespace). */
      (void) setns (userfd, CLONE_NEWUSER);
    }
  if (setns (netfd, CLONE_NEWNET) == 0)
    return 0;
  if (errno != EPERM || userns != NULL)
    return urun_set_error (err, errno, "join network namespace `%s`", netns);
  userfd = ioctl (netfd, NS_GET_USERNS);
  if (userfd < 0)
    return urun_set_error (err, errno, "find the owner of `%s`", netns);
  if (join_userns_fd (userfd, "owning the network namespace", err) < 0)
    return -1;
  if (setns (netfd, CLONE_NEWNET) < 0)
    return urun_set_error (err, errno, "join network namespace `%s`", netns);
  return 0;
}

static int
set_iff (int fd, const char *name, short flags)
{
  struct ifreq ifr;

  memset (&ifr, 0, sizeof ifr);
  ifr.ifr_flags = flags;
  strncpy (ifr.ifr_name, name, sizeof ifr.ifr_name - 1);
  return ioctl (fd, TUNSETIFF, &ifr);
}

/* Open /dev/net/tun as NAME, with the virtio-net header and offloads unless
   --offload=off.  Runs in: child, in the target namespaces. */
static int
create_tap (const struct urun_slirp_config *cfg, struct child_reply *reply,
            struct urun_error *err)
{
  cleanup_close int fd = -1;
  const short plain = IFF_TAP | IFF_NO_PI;
  unsigned int offload = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
  bool is_strict = cfg->offload == URUN_OFFLOAD_ON;

  fd = open ("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return urun_set_error (err, errno, "open `/dev/net/tun`");
  if (cfg->offload != URUN_OFFLOAD_OFF
      && set_iff (fd, cfg->tapname, plain | IFF_VNET_HDR) == 0)
    {
      reply->has_vnet_hdr = 1;
      /* Checksum offload is the precondition of TSO (netdev-features.rst). */
      reply->has_tso = ioctl (fd, TUNSETOFFLOAD, offload) == 0;
      if (!reply->has_tso && is_strict)
        return urun_set_error (err, errno, "enable offloads on `%s` "
                               "(TUNSETOFFLOAD)", cfg->tapname);
      return TAKE_FD (fd);
    }
  if (is_strict)
    return urun_set_error (err, errno, "create tap `%s` with a virtio-net "
                           "header (TUNSETIFF)", cfg->tapname);
  if (set_iff (fd, cfg->tapname, plain) < 0)
    return urun_set_error (err, errno, "create tap `%s` (TUNSETIFF)",
                           cfg->tapname);
  return TAKE_FD (fd);
}

/* Runs in: child, forked from the single-threaded parent (PARENT).  Never
   prints: errors travel to the parent.  With an API socket it stays, to
   make sockets in the namespaces (nssocket.c). */
static void __attribute__ ((noreturn))
child_main (int sock, pid_t parent, const struct urun_slirp_config *cfg)
{
  struct urun_error err = URUN_ERROR_INIT;
  struct child_reply reply;
  int fd = -1;

  memset (&reply, 0, sizeof reply);
  if (join_namespaces (cfg, &err) < 0)
    urun_wrap_error (&err, "enter the target namespaces");
  else if ((fd = create_tap (cfg, &reply, &err)) < 0)
    ;
  else if (cfg->is_configure
           && urun_configure_tap (cfg->tapname, cfg, &err) < 0)
    urun_wrap_error (&err, "configure `%s`", cfg->tapname);
  if (err.msg != NULL)
    {
      reply.is_error = 1;
      reply.errnum = err.errnum;
      snprintf (reply.msg, sizeof reply.msg, "%s", err.msg);
      if (fd >= 0)
        close (fd);
      fd = -1;
    }
  if (urun_send_fd (sock, fd, &reply, sizeof reply) < 0 || reply.is_error)
    _exit (1);
  if (fd >= 0)
    close (fd);
  if (urun_nssocket_is_wanted (cfg))
    urun_nssocket_serve (sock, parent, cfg);
  _exit (0);
}

/* Receive the child's reply; *FD gets the tap on success. */
static int
receive_reply (int sock, struct child_reply *reply, int *fd,
               struct urun_error *err)
{
  ssize_t n = urun_recv_fd (sock, reply, sizeof *reply, fd);

  if (n < 0)
    return urun_set_error (err, errno, "receive from the namespace child");
  if ((size_t) n != sizeof *reply)
    {
      if (*fd >= 0)
        close (*fd);
      return urun_set_error (err, 0, "namespace child exited without a reply");
    }
  reply->msg[sizeof reply->msg - 1] = '\0';
  if (reply->is_error)
    {
      if (*fd >= 0)
        close (*fd);
      return urun_set_error (err, reply->errnum, "%s", reply->msg);
    }
  if (*fd < 0)
    return urun_set_error (err, 0, "namespace child sent no tap descriptor");
  return 0;
}

static int
fork_tap_child (const struct urun_slirp_config *cfg, struct urun_tap *tap,
                struct urun_error *err)
{
  struct child_reply reply;
  struct urun_nssocket child;
  pid_t parent = getpid (), pid;
  int sv[2], ret;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return urun_set_error (err, errno, "create socketpair for the namespace "
                           "child");
  pid = fork ();
  if (pid < 0)
    {
      close (sv[0]);
      close (sv[1]);
      return urun_set_error (err, errno, "fork the namespace child");
    }
  if (pid == 0)
    {
      close (sv[0]);
      child_main (sv[1], parent, cfg);
    }
  close (sv[1]);
  memset (&reply, 0, sizeof reply);
  ret = receive_reply (sv[0], &reply, &tap->fd, err);
  tap->has_vnet_hdr = reply.has_vnet_hdr;
  tap->has_tso = reply.has_tso;
  child.sock = sv[0];
  child.pid = pid;
  if (ret == 0 && urun_nssocket_is_wanted (cfg))
    {
      /* The loop asks it synchronously: a child that stops answering must
         cost a connection, not the helper. */
      struct timeval limit = { .tv_sec = 2 };

      setsockopt (sv[0], SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
      setsockopt (sv[0], SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
      tap->ns = child;
    }
  else
    urun_nssocket_release (&child);
  return ret;
}

int
urun_open_tap (const struct urun_slirp_config *cfg, struct urun_tap *tap,
               struct urun_error *err)
{
  int flags;

  tap->has_vnet_hdr = tap->has_tso = false;
  tap->ns.sock = -1;
  tap->ns.pid = 0;
  if (cfg->target_tapfd >= 0)
    {
      struct ifreq ifr;

      tap->fd = cfg->target_tapfd;
      memset (&ifr, 0, sizeof ifr);
      if (ioctl (tap->fd, TUNGETIFF, &ifr) < 0)
        return urun_set_error (err, errno, "query tap fd %d (TUNGETIFF)",
                               tap->fd);
      tap->has_vnet_hdr = (ifr.ifr_flags & IFF_VNET_HDR) != 0;
    }
  else if (fork_tap_child (cfg, tap, err) < 0)
    return -1;
  flags = fcntl (tap->fd, F_GETFL);
  if (flags < 0 || fcntl (tap->fd, F_SETFL, flags | O_NONBLOCK) < 0)
    return urun_set_error (err, errno, "make tap fd %d non-blocking", tap->fd);
  return 0;
}
