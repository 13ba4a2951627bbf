/* test-network.c: the networking annotations (src/network.c). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "network.h"
#include "spec.h"
#include "tap.h"

/* A spec with a new network namespace (or NS as linux.namespaces) and
 * ANNOTATIONS (JSON members, ' for "). */
static struct urun_spec *
spec_with (const char *ns, const char *annotations)
{
  struct urun_error err = URUN_ERROR_INIT;
  char *json = NULL;
  struct urun_spec *spec;

  if (asprintf (&json, "{'ociVersion': '1.2.0', 'linux': {'namespaces': [%s]}, 'annotations': {%s}}",
                ns ? ns : "{'type': 'network'}", annotations) < 0)
    abort ();
  for (char *p = json; *p; p++)
    if (*p == '\'')
      *p = '"';
  spec = urun_parse_spec (json, strlen (json), "config.json", &err);
  if (spec == NULL)
    printf ("# bad test spec: %s\n", err.msg);
  urun_clear_error (&err);
  free (json);
  return spec;
}

/* Parse ANNOTATIONS into NET; true when that succeeded. */
static bool
parse_ok (const char *annotations, struct urun_network *net)
{
  cleanup_spec struct urun_spec *spec = spec_with (NULL, annotations);
  cleanup_error struct urun_error err = URUN_ERROR_INIT;

  if (spec == NULL || urun_network_parse (spec, net, &err) < 0)
    {
      printf ("# unexpected error: %s\n", err.msg ? err.msg : "(bad spec)");
      return false;
    }
  return true;
}

/* Parsing must fail with exactly EXPECTED (after "config.json: annotations."). */
static void
expect_error (const char *ns, const char *annotations, const char *expected)
{
  cleanup_spec struct urun_spec *spec = spec_with (ns, annotations);
  cleanup_error struct urun_error err = URUN_ERROR_INIT;
  cleanup_free char *full = NULL;
  struct urun_network net = { 0 };
  int r = spec ? urun_network_parse (spec, &net, &err) : 0;

  if (asprintf (&full, "config.json: annotations.%s", expected) < 0)
    abort ();
  tap_ok (r < 0 && err.msg && strcmp (err.msg, full) == 0, "rejects: %s", expected);
  if (!(r < 0 && err.msg && strcmp (err.msg, full) == 0))
    printf ("# got: %s\n", err.msg ? err.msg : "(no error)");
  urun_network_free (&net);
}

static void
test_defaults (void)
{
  struct urun_network net;

  tap_ok (parse_ok ("'x': 'y'", &net) && !net.is_slirp && net.n_ports == 0,
          "no annotation: no network");
  urun_network_free (&net);
  tap_ok (parse_ok ("'run.urun.network': 'none'", &net) && !net.is_slirp, "none: no network");
  urun_network_free (&net);
  tap_ok (parse_ok ("'run.urun.network': 'slirp'", &net) && net.is_slirp
              && net.mtu == URUN_NETWORK_DEFAULT_MTU && net.cidr[0] == '\0'
              && !net.is_host_loopback_disabled && !net.is_ipv6,
          "slirp: podman's MTU, the helper's network, host loopback reachable");
  urun_network_free (&net);
}

static void
test_ports (void)
{
  struct urun_network net;
  bool ok = parse_ok ("'run.urun.network': 'slirp', "
                      "'run.urun.ports': '8080:80,127.0.0.1:5353:53/udp,2222:22/tcp'", &net);

  tap_ok (ok && net.n_ports == 3, "three ports");
  tap_ok (ok && net.ports[0].host_port == 8080 && net.ports[0].guest_port == 80
              && !net.ports[0].is_udp && net.ports[0].host_addr[0] == '\0',
          "HOST:GUEST is tcp on every address");
  tap_ok (ok && net.ports[1].host_port == 5353 && net.ports[1].guest_port == 53
              && net.ports[1].is_udp && strcmp (net.ports[1].host_addr, "127.0.0.1") == 0,
          "IP:HOST:GUEST/udp");
  tap_ok (ok && net.ports[2].host_port == 2222 && !net.ports[2].is_udp, "/tcp");
  urun_network_free (&net);
  ok = parse_ok ("'run.urun.network': 'slirp', 'run.urun.ports': '53:53/tcp,53:53/udp,"
                 "127.0.0.1:80:80,127.0.0.2:80:80'", &net);
  tap_ok (ok && net.n_ports == 4, "one port twice: other protocol or other address");
  urun_network_free (&net);
}

static void
test_options (void)
{
  struct urun_network net;
  bool ok = parse_ok ("'run.urun.network': 'slirp', 'run.urun.network.options': "
                      "'mtu=1500,cidr=10.1.0.0/16,disable-host-loopback,enable-ipv6'", &net);

  tap_ok (ok && net.mtu == 1500 && strcmp (net.cidr, "10.1.0.0/16") == 0
              && net.is_host_loopback_disabled && net.is_ipv6 && !net.is_port_spliced,
          "mtu, cidr, disable-host-loopback, enable-ipv6");
  urun_network_free (&net);
  ok = parse_ok ("'run.urun.network': 'slirp', 'run.urun.network.options': "
                 "'port-mode=splice'", &net);
  tap_ok (ok && net.is_port_spliced, "port-mode=splice");
  urun_network_free (&net);
  ok = parse_ok ("'run.urun.network': 'slirp', 'run.urun.network.options': "
                 "'port-mode=splice,port-mode=slirp'", &net);
  tap_ok (ok && !net.is_port_spliced, "port-mode=slirp, the last one counting");
  urun_network_free (&net);
}

#define SLIRP "'run.urun.network': 'slirp', "

static void
test_errors (void)
{
  expect_error (NULL, "'run.urun.network': 'pasta'",
                "run.urun.network: expected `slirp` or `none`, not `pasta`");
  expect_error ("{'type': 'pid'}", "'run.urun.network': 'slirp'",
                "run.urun.network: `slirp` needs a network namespace of the container's own: "
                "add {\"type\": \"network\"} to linux.namespaces");
  expect_error ("{'type': 'network', 'path': '/proc/1/ns/net'}", "'run.urun.network': 'slirp'",
                "run.urun.network: `slirp` needs a new network namespace, not the joined `/proc/1/ns/net`");
  expect_error (NULL, "'run.urun.ports': '80:80'", "run.urun.ports: needs run.urun.network=slirp");
  expect_error (NULL, "'run.urun.network': 'none', 'run.urun.network.options': 'mtu=1500'",
                "run.urun.network.options: needs run.urun.network=slirp");
  expect_error (NULL, SLIRP "'run.urun.ports': '8080'",
                "run.urun.ports: `8080`: expected [HOSTIP:]HOSTPORT:GUESTPORT[/tcp|/udp]");
  expect_error (NULL, SLIRP "'run.urun.ports': '1:2:3:4'",
                "run.urun.ports: `1:2:3:4`: expected [HOSTIP:]HOSTPORT:GUESTPORT[/tcp|/udp]");
  expect_error (NULL, SLIRP "'run.urun.ports': '80:80,90:x'",
                "run.urun.ports: `90:x`: container port `x` is not a number in 1-65535");
  expect_error (NULL, SLIRP "'run.urun.ports': '65536:80'",
                "run.urun.ports: `65536:80`: host port `65536` is not a number in 1-65535");
  expect_error (NULL, SLIRP "'run.urun.ports': '0:80'",
                "run.urun.ports: `0:80`: host port `0` is not a number in 1-65535");
  expect_error (NULL, SLIRP "'run.urun.ports': '+80:80'",
                "run.urun.ports: `+80:80`: host port `+80` is not a number in 1-65535");
  expect_error (NULL, SLIRP "'run.urun.ports': 'localhost:80:80'",
                "run.urun.ports: `localhost:80:80`: host address `localhost` is not an IPv4 address");
  expect_error (NULL, SLIRP "'run.urun.ports': '80:80/sctp'",
                "run.urun.ports: `80:80/sctp`: protocol `sctp` is not tcp or udp");
  expect_error (NULL, SLIRP "'run.urun.ports': '80:80,,81:81'",
                "run.urun.ports: `80:80,,81:81`: an empty element (expected "
                "[HOSTIP:]HOSTPORT:GUESTPORT[/tcp|/udp], ...)");
  expect_error (NULL, SLIRP "'run.urun.ports': ''",
                "run.urun.ports: ``: an empty element (expected "
                "[HOSTIP:]HOSTPORT:GUESTPORT[/tcp|/udp], ...)");
  expect_error (NULL, SLIRP "'run.urun.ports': '127.0.0.1:80:80,80:81'",
                "run.urun.ports: `80:81`: host port 80/tcp is forwarded twice");
  expect_error (NULL, SLIRP "'run.urun.ports': '0.0.0.0:53:53/udp,127.0.0.1:53:53/udp'",
                "run.urun.ports: `127.0.0.1:53:53/udp`: host port 53/udp is forwarded twice");
  expect_error (NULL, SLIRP "'run.urun.network.options': 'mtu=67'",
                "run.urun.network.options: `mtu=67`: the MTU must be 68-65521");
  expect_error (NULL, SLIRP "'run.urun.network.options': 'cidr=10.0.2.0'",
                "run.urun.network.options: cidr `10.0.2.0` is not ADDRESS/PREFIX");
  expect_error (NULL, SLIRP "'run.urun.network.options': 'cidr=10.0.2.0/26'",
                "run.urun.network.options: cidr `10.0.2.0/26`: the prefix must be 1-25");
  expect_error (NULL, SLIRP "'run.urun.network.options': 'cidr=10.0.2.1/24'",
                "run.urun.network.options: cidr `10.0.2.1/24` is not a network address (like 10.0.2.0/24)");
  expect_error (NULL, SLIRP "'run.urun.network.options': 'ipv6'",
                "run.urun.network.options: unknown option `ipv6` (expected mtu=N, "
                "cidr=A.B.C.D/P, disable-host-loopback, enable-ipv6 or port-mode=slirp|splice)");
}

int
main (void)
{
  test_defaults ();
  test_ports ();
  test_options ();
  test_errors ();
  return tap_done ();
}
