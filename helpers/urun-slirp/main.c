/* main.c: urun-slirp's command line (slirp4netns-compatible) -> struct
   urun_slirp_config, the order of the start-up steps, and the one place that
   prints a fatal error. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>
#include <slirp/libslirp.h>

#include "cleanup.h"
#include "config.h"
#include "error.h"
#include "loop.h"
#include "nssocket.h"
#include "sandbox.h"
#include "seccomp.h"
#include "tap.h"

#ifndef URUN_VERSION
#define URUN_VERSION "unknown"
#endif

/* Strings of the command line that need a second look once all are known. */
struct options
{
  const char *cidr;
  const char *netns_type;
  const char *target_type;
  const char *macaddress;
  const char *outbound_addr;
  const char *outbound_addr6;
  const char *offload;
  const char *port_mode;
};

enum
{
  OPT_CIDR = 256,
  OPT_DISABLE_HOST_LOOPBACK,
  OPT_NETNS_TYPE,
  OPT_USERNS_PATH,
  OPT_ENABLE_SANDBOX,
  OPT_ENABLE_SECCOMP,
  OPT_OUTBOUND_ADDR,
  OPT_OUTBOUND_ADDR6,
  OPT_DISABLE_DNS,
  OPT_MACADDRESS,
  OPT_TARGET_TYPE,
  OPT_OFFLOAD,
  OPT_PORT_MODE,
  OPT_QUIET,
};

static const struct option long_options[] = {
  { "configure", no_argument, NULL, 'c' },
  { "exit-fd", required_argument, NULL, 'e' },
  { "ready-fd", required_argument, NULL, 'r' },
  { "mtu", required_argument, NULL, 'm' },
  { "cidr", required_argument, NULL, OPT_CIDR },
  { "disable-host-loopback", no_argument, NULL, OPT_DISABLE_HOST_LOOPBACK },
  { "no-host-loopback", no_argument, NULL, OPT_DISABLE_HOST_LOOPBACK },
  { "netns-type", required_argument, NULL, OPT_NETNS_TYPE },
  { "userns-path", required_argument, NULL, OPT_USERNS_PATH },
  { "api-socket", required_argument, NULL, 'a' },
  { "enable-ipv6", no_argument, NULL, '6' },
  { "enable-sandbox", no_argument, NULL, OPT_ENABLE_SANDBOX },
  { "create-sandbox", no_argument, NULL, OPT_ENABLE_SANDBOX },
  { "enable-seccomp", no_argument, NULL, OPT_ENABLE_SECCOMP },
  { "outbound-addr", required_argument, NULL, OPT_OUTBOUND_ADDR },
  { "outbound-addr6", required_argument, NULL, OPT_OUTBOUND_ADDR6 },
  { "disable-dns", no_argument, NULL, OPT_DISABLE_DNS },
  { "macaddress", required_argument, NULL, OPT_MACADDRESS },
  { "target-type", required_argument, NULL, OPT_TARGET_TYPE },
  { "offload", required_argument, NULL, OPT_OFFLOAD },
  { "port-mode", required_argument, NULL, OPT_PORT_MODE },
  { "quiet", no_argument, NULL, OPT_QUIET },
  { "help", no_argument, NULL, 'h' },
  { "version", no_argument, NULL, 'v' },
  { NULL, 0, NULL, 0 },
};

/* podman (libpod/networking_slirp4netns.go) enables features by looking for
   their option names in this text: keep every name spelled out. */
static void
print_usage (const char *argv0)
{
  printf ("Usage: %s [OPTION]... PID|PATH|FD [TAPNAME]\n"
          "User-mode networking for unprivileged network namespaces "
          "(slirp4netns-compatible).\n\n", argv0);
  printf ("-c, --configure          bring up the interface (address, route, "
          "MTU) inside the namespace\n"
          "-e, --exit-fd=FD         exit when FD is closed (hang-up)\n"
          "-r, --ready-fd=FD        write \"1\" to FD once the network is "
          "ready\n"
          "-m, --mtu=MTU            MTU (default=%d, max=%d)\n"
          "-6, --enable-ipv6        enable IPv6 (experimental)\n"
          "-a, --api-socket=PATH    serve the JSON API on this UNIX socket\n"
          "--cidr=CIDR              network address (default=10.0.2.0/24)\n"
          "--disable-host-loopback  prohibit connecting to 127.0.0.1:* on "
          "the host\n"
          "--netns-type=TYPE        PID|PATH|FD is a pid, path or tapfd "
          "(default=pid)\n"
          "--userns-path=PATH       user namespace to join with "
          "--netns-type=path\n"
          "--enable-sandbox         pivot into an empty root in a new mount "
          "namespace and drop capabilities\n"
          "--enable-seccomp         install a seccomp allow-list\n"
          "--outbound-addr=IPv4     outbound IPv4 address (or interface)\n"
          "--outbound-addr6=IPv6    outbound IPv6 address (or interface)\n"
          "--disable-dns            no DNS forwarding at the DNS address\n"
          "--macaddress=MAC         MAC address of the tap (with -c)\n"
          "--target-type=netns      only netns is supported\n"
          "--offload=auto|on|off    virtio-net header with checksum and TCP "
          "segmentation offload on the tap (default=auto: on when the kernel has it)\n"
          "--port-mode=slirp|splice how add_hostfwd forwards TCP without "
          "\"mode\": slirp keeps the client's\n"
          "                         address; splice connects from inside "
          "the namespace, faster (default=slirp)\n"
          "--quiet                  no start-up summary on stdout\n"
          "-h, --help               show this help and exit\n"
          "-v, --version            show version and exit\n",
          URUN_SLIRP_DEFAULT_MTU, URUN_SLIRP_MAX_MTU);
}

/* Machine-parsable like slirp4netns (and runc): "NAME version X" first. */
static void
print_version (void)
{
  const struct scmp_version *scmp = seccomp_version ();

  printf ("urun-slirp version %s\n", URUN_VERSION);
  printf ("libslirp: %s\n", slirp_version_string ());
  printf ("SLIRP_CONFIG_VERSION_MAX: %d\n", SLIRP_CONFIG_VERSION_MAX);
  if (scmp != NULL)
    printf ("libseccomp: %u.%u.%u\n", scmp->major, scmp->minor, scmp->micro);
}

static int
parse_int (const char *s, long min, long max, long *out)
{
  char *end = NULL;
  long v;

  errno = 0;
  v = strtol (s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

static int
parse_fd_option (const char *name, const char *s, int *fd,
                 struct urun_error *err)
{
  long v;

  if (parse_int (s, 0, INT_MAX, &v) < 0)
    return urun_set_error (err, 0, "%s: `%s` is not a file descriptor", name,
                           s);
  *fd = (int) v;
  return 0;
}

/* "10.0.2.0/24" -> network, mask, derived addresses.  The guest gets
   network + 100, so the prefix is at most /25. */
static int
parse_cidr (const char *cidr, struct urun_slirp_config *cfg,
            struct urun_error *err)
{
  char addr[INET_ADDRSTRLEN];
  const char *slash = strchr (cidr, '/');
  long prefix;
  uint32_t net, mask;

  if (slash == NULL || (size_t) (slash - cidr) >= sizeof addr)
    return urun_set_error (err, 0, "--cidr: `%s` is not ADDRESS/PREFIX", cidr);
  memcpy (addr, cidr, slash - cidr);
  addr[slash - cidr] = '\0';
  if (inet_pton (AF_INET, addr, &cfg->vnetwork) != 1)
    return urun_set_error (err, 0, "--cidr: `%s` is not an IPv4 address",
                           addr);
  if (parse_int (slash + 1, 1, 25, &prefix) < 0)
    return urun_set_error (err, 0, "--cidr: prefix `%s` must be 1-25",
                           slash + 1);
  mask = htonl (~((UINT32_C (1) << (32 - prefix)) - 1));
  net = cfg->vnetwork.s_addr;
  if ((net & mask) != net)
    return urun_set_error (err, 0,
                           "--cidr: `%s` is not a network address (like "
                           "10.0.2.0/24)", cidr);
  cfg->prefix_len = (unsigned int) prefix;
  cfg->vnetmask.s_addr = mask;
  cfg->vhost.s_addr = htonl (ntohl (net) + 2);
  cfg->vnameserver.s_addr = htonl (ntohl (net) + 3);
  cfg->vdhcp_start.s_addr = htonl (ntohl (net) + 15);
  cfg->vguest.s_addr = htonl (ntohl (net) + 100);
  return 0;
}

static int
parse_mac (const char *s, uint8_t mac[6], struct urun_error *err)
{
  unsigned int b[6];
  char tail;

  if (sscanf (s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
              &b[4], &b[5], &tail) != 6)
    return urun_set_error (err, 0,
                           "--macaddress: `%s` is not xx:xx:xx:xx:xx:xx", s);
  for (int i = 0; i < 6; i++)
    mac[i] = (uint8_t) b[i];
  return 0;
}

/* An address, or the first address of that family on interface NAME. */
static int
parse_outbound (const char *opt, const char *s, int family, void *addr,
                struct urun_error *err)
{
  struct ifaddrs *ifa_list = NULL;
  int ret = -1;

  if (inet_pton (family, s, addr) == 1)
    return 0;
  if (getifaddrs (&ifa_list) < 0)
    return urun_set_error (err, errno, "%s: list interfaces", opt);
  for (struct ifaddrs *ifa = ifa_list; ifa != NULL; ifa = ifa->ifa_next)
    {
      if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != family
          || strcmp (ifa->ifa_name, s) != 0)
        continue;
      if (family == AF_INET)
        *(struct in_addr *) addr
            = ((struct sockaddr_in *) ifa->ifa_addr)->sin_addr;
      else
        *(struct in6_addr *) addr
            = ((struct sockaddr_in6 *) ifa->ifa_addr)->sin6_addr;
      ret = 0;
      break;
    }
  freeifaddrs (ifa_list);
  if (ret < 0)
    urun_set_error (err, 0, "%s: `%s` is neither an address nor an interface "
                    "with one", opt, s);
  return ret;
}

static int
parse_offload (const char *s, enum urun_offload *out, struct urun_error *err)
{
  if (s == NULL || strcmp (s, "auto") == 0)
    *out = URUN_OFFLOAD_AUTO;
  else if (strcmp (s, "on") == 0)
    *out = URUN_OFFLOAD_ON;
  else if (strcmp (s, "off") == 0)
    *out = URUN_OFFLOAD_OFF;
  else
    return urun_set_error (err, 0, "--offload: `%s` is not auto, on or off",
                           s);
  return 0;
}

static int
parse_port_mode (const char *s, enum urun_port_mode *out,
                 struct urun_error *err)
{
  if (s == NULL || strcmp (s, "slirp") == 0)
    *out = URUN_PORT_MODE_SLIRP;
  else if (strcmp (s, "splice") == 0)
    *out = URUN_PORT_MODE_SPLICE;
  else
    return urun_set_error (err, 0, "--port-mode: `%s` is not slirp or splice",
                           s);
  return 0;
}

/* The positional arguments: PID|PATH|FD [TAPNAME]. */
static int
parse_target (int argc, char **argv, const struct options *o,
              struct urun_slirp_config *cfg, struct urun_error *err)
{
  const char *type = o->netns_type ? o->netns_type : "pid";
  long v;

  if (argc < 1)
    return urun_set_error (err, 0, "missing PID|PATH|FD (see --help)");
  if (strcmp (type, "pid") == 0)
    {
      if (parse_int (argv[0], 1, INT_MAX, &v) < 0)
        return urun_set_error (err, 0, "PID `%s` must be a positive integer",
                               argv[0]);
      cfg->target_pid = (pid_t) v;
    }
  else if (strcmp (type, "path") == 0)
    cfg->netns_path = argv[0];
  else if (strcmp (type, "tapfd") == 0)
    {
      if (parse_fd_option ("TAPFD", argv[0], &cfg->target_tapfd, err) < 0)
        return -1;
      return 0;
    }
  else
    return urun_set_error (err, 0, "--netns-type: `%s` is not pid, path or "
                           "tapfd", type);
  if (argc < 2)
    return urun_set_error (err, 0, "missing TAPNAME (see --help)");
  if (strlen (argv[1]) >= 16)
    return urun_set_error (err, 0, "TAPNAME `%s` is longer than 15 bytes",
                           argv[1]);
  cfg->tapname = argv[1];
  return 0;
}

/* Second pass: everything that depends on more than one option. */
static int
config_from_options (const struct options *o, struct urun_slirp_config *cfg,
                     struct urun_error *err)
{
  if (parse_cidr (o->cidr ? o->cidr : "10.0.2.0/24", cfg, err) < 0)
    return -1;
  if (o->target_type != NULL && strcmp (o->target_type, "netns") != 0)
    return urun_set_error (err, 0, "--target-type=%s is not supported (only "
                           "netns)", o->target_type);
  if (o->macaddress != NULL)
    {
      if (!cfg->is_configure)
        return urun_set_error (err, 0, "--macaddress needs --configure");
      if (parse_mac (o->macaddress, cfg->mac, err) < 0)
        return -1;
      cfg->has_mac = true;
    }
  if (o->outbound_addr != NULL)
    {
      cfg->outbound_addr.sin_family = AF_INET;
      if (parse_outbound ("--outbound-addr", o->outbound_addr, AF_INET,
                          &cfg->outbound_addr.sin_addr, err) < 0)
        return -1;
      cfg->has_outbound_addr = true;
    }
  if (o->outbound_addr6 != NULL)
    {
      cfg->outbound_addr6.sin6_family = AF_INET6;
      if (parse_outbound ("--outbound-addr6", o->outbound_addr6, AF_INET6,
                          &cfg->outbound_addr6.sin6_addr, err) < 0)
        return -1;
      cfg->has_outbound_addr6 = true;
    }
  if (parse_port_mode (o->port_mode, &cfg->port_mode, err) < 0)
    return -1;
  if (cfg->port_mode == URUN_PORT_MODE_SPLICE && !urun_nssocket_is_wanted (cfg))
    return urun_set_error (err, 0, "--port-mode=splice needs --api-socket and "
                           "a PID or path target");
  return parse_offload (o->offload, &cfg->offload, err);
}

/* An option without argument: set its flag; false for any other option. */
static bool
set_flag (int c, struct urun_slirp_config *cfg)
{
  switch (c)
    {
    case 'c':
      return cfg->is_configure = true;
    case '6':
      return cfg->is_ipv6 = true;
    case OPT_DISABLE_HOST_LOOPBACK:
      return cfg->is_host_loopback_disabled = true;
    case OPT_ENABLE_SANDBOX:
      return cfg->is_sandbox = true;
    case OPT_ENABLE_SECCOMP:
      return cfg->is_seccomp = true;
    case OPT_DISABLE_DNS:
      return cfg->is_dns_disabled = true;
    case OPT_QUIET:
      return cfg->is_quiet = true;
    default:
      return false;
    }
}

/* One option; returns 1 when the program should exit 0 (help, version). */
static int
parse_option (int c, const char *argv0, struct options *o,
              struct urun_slirp_config *cfg, struct urun_error *err)
{
  long v;

  if (set_flag (c, cfg))
    return 0;
  switch (c)
    {
    case 'e':
      return parse_fd_option ("--exit-fd", optarg, &cfg->exit_fd, err);
    case 'r':
      return parse_fd_option ("--ready-fd", optarg, &cfg->ready_fd, err);
    case 'm':
      if (parse_int (optarg, URUN_SLIRP_MIN_MTU, URUN_SLIRP_MAX_MTU, &v) < 0)
        return urun_set_error (err, 0, "--mtu: `%s` must be %d-%d", optarg,
                               URUN_SLIRP_MIN_MTU, URUN_SLIRP_MAX_MTU);
      cfg->mtu = (unsigned int) v;
      break;
    case 'a':
      cfg->api_socket = optarg;
      break;
    case OPT_CIDR:
      o->cidr = optarg;
      break;
    case OPT_NETNS_TYPE:
      o->netns_type = optarg;
      break;
    case OPT_USERNS_PATH:
      cfg->userns_path = optarg;
      break;
    case OPT_OUTBOUND_ADDR:
      o->outbound_addr = optarg;
      break;
    case OPT_OUTBOUND_ADDR6:
      o->outbound_addr6 = optarg;
      break;
    case OPT_MACADDRESS:
      o->macaddress = optarg;
      break;
    case OPT_TARGET_TYPE:
      o->target_type = optarg;
      break;
    case OPT_OFFLOAD:
      o->offload = optarg;
      break;
    case OPT_PORT_MODE:
      o->port_mode = optarg;
      break;
    case 'h':
      print_usage (argv0);
      return 1;
    case 'v':
      print_version ();
      return 1;
    default:
      return urun_set_error (err, 0, "invalid option (see --help)");
    }
  return 0;
}

/* Returns 1 for --help/--version, 0 to go on, -1 on a usage error. */
static int
parse_args (int argc, char **argv, struct urun_slirp_config *cfg,
            struct urun_error *err)
{
  struct options o = { 0 };
  int c, ret;

  memset (cfg, 0, sizeof *cfg);
  cfg->exit_fd = cfg->ready_fd = cfg->target_tapfd = -1;
  cfg->mtu = URUN_SLIRP_DEFAULT_MTU;
  opterr = 0;
  /* Leading ':': a missing argument is told apart (':') from an unknown
     option ('?'), getopt(3). */
  while ((c = getopt_long (argc, argv, ":ce:r:m:a:6hv", long_options, NULL))
         != -1)
    {
      if (c == ':')
        return urun_set_error (err, 0, "option `%s` needs an argument",
                               argv[optind - 1]);
      if (c == '?' && optopt != 0)
        return urun_set_error (err, 0, "invalid option `-%c` (see --help)",
                               optopt);
      if (c == '?')
        return urun_set_error (err, 0, "invalid option `%s` (see --help)",
                               argv[optind - 1]);
      ret = parse_option (c, argv[0], &o, cfg, err);
      if (ret != 0)
        return ret;
    }
  if (parse_target (argc - optind, argv + optind, &o, cfg, err) < 0)
    return -1;
  return config_from_options (&o, cfg, err);
}

static void
print_addr (const char *label, const struct in_addr *addr)
{
  char a[INET_ADDRSTRLEN];

  printf ("* %s %s\n", label, inet_ntop (AF_INET, addr, a, sizeof a));
}

/* As slirp4netns prints it (podman keeps it in its log). */
static void
print_summary (const struct urun_slirp_config *cfg)
{
  char a[INET_ADDRSTRLEN];

  if (cfg->is_quiet)
    return;
  printf ("Starting slirp (urun-slirp %s)\n", URUN_VERSION);
  printf ("* MTU:             %u\n", cfg->mtu);
  print_addr ("Network:        ", &cfg->vnetwork);
  print_addr ("Netmask:        ", &cfg->vnetmask);
  print_addr ("Gateway:        ", &cfg->vhost);
  print_addr ("DNS:            ", &cfg->vnameserver);
  print_addr ("Recommended IP: ", &cfg->vguest);
  if (cfg->api_socket != NULL)
    printf ("* API Socket:      %s\n", cfg->api_socket);
  if (!cfg->is_host_loopback_disabled)
    printf ("WARNING: 127.0.0.1:* on the host is accessible as %s (set "
            "--disable-host-loopback to prohibit connecting to 127.0.0.1:*)\n",
            inet_ntop (AF_INET, &cfg->vhost, a, sizeof a));
  fflush (stdout);
}

/* The ready fd gets "1" once the tap is up and the loop is about to run. */
static int
signal_ready (int fd, struct urun_error *err)
{
  ssize_t n;

  if (fd < 0)
    return 0;
  do
    n = write (fd, "1", 1);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return urun_set_error (err, errno, "write to --ready-fd %d", fd);
  close (fd);
  return 0;
}

static int
run (const struct urun_slirp_config *cfg, struct urun_error *err)
{
  struct urun_tap tap = { .fd = -1 };
  struct urun_loop *loop = NULL;
  int ret;

  if (urun_open_tap (cfg, &tap, err) < 0)
    return urun_wrap_error (err, "open tap device");
  print_summary (cfg);
  loop = urun_loop_new (cfg, &tap, err);
  if (loop == NULL)
    return urun_wrap_error (err, "set up event loop");
  ret = 0;
  if (cfg->is_sandbox && urun_enter_sandbox (cfg, err) < 0)
    ret = urun_wrap_error (err, "enter sandbox");
  if (ret == 0 && cfg->is_seccomp && urun_install_seccomp (err) < 0)
    ret = urun_wrap_error (err, "install seccomp filter");
  if (ret == 0)
    ret = signal_ready (cfg->ready_fd, err);
  if (ret == 0)
    ret = urun_loop_run (loop, err);
  urun_loop_free (loop);
  return ret;
}

int
main (int argc, char **argv)
{
  cleanup_error struct urun_error err = URUN_ERROR_INIT;
  struct urun_slirp_config cfg;
  cleanup_free char *msg = NULL;
  int ret;

  /* A peer that went away must not kill us on write(2). */
  signal (SIGPIPE, SIG_IGN);
  ret = parse_args (argc, argv, &cfg, &err);
  if (ret > 0)
    return EXIT_SUCCESS;
  if (ret == 0)
    ret = run (&cfg, &err);
  if (ret == 0)
    return EXIT_SUCCESS;
  msg = urun_format_error (&err);
  fprintf (stderr, "urun-slirp: %s\n", msg ? msg : "out of memory");
  return EXIT_FAILURE;
}
