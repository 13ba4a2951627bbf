/* network.c: the networking annotations (run.urun.network, .ports,
 * .network.options) read and checked, and where the helper is found. */
#define _GNU_SOURCE
#include "network.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "utils.h"

#define WHERE "config.json: annotations."
#define PORT_SYNTAX "[HOSTIP:]HOSTPORT:GUESTPORT[/tcp|/udp]"
/* urun-slirp's (and slirp4netns's) bounds: libslirp's IF_MTU_MAX is 65521. */
#define MIN_MTU 68
#define MAX_MTU 65521

static bool
parse_number (const char *s, unsigned long min, unsigned long max,
              unsigned long *out)
{
  uint64_t v;

  if (!urun_parse_u64 (s, &v) || v < min || v > max)
    return false;
  *out = (unsigned long) v;
  return true;
}

static bool
parse_port (const char *s, uint16_t *port)
{
  unsigned long v;

  if (!parse_number (s, 1, 65535, &v))
    return false;
  *port = (uint16_t) v;
  return true;
}

/* "/tcp" or "/udp" at the end of ITEM, cut off; none means tcp. */
static int
cut_protocol (char *item, const char *orig, struct urun_port *p,
              struct urun_error *err)
{
  char *slash = strrchr (item, '/');

  if (slash == NULL)
    return 0;
  *slash = '\0';
  if (strcmp (slash + 1, "udp") == 0)
    p->is_udp = true;
  else if (strcmp (slash + 1, "tcp") != 0)
    return urun_set_error (err, 0, WHERE URUN_PORTS_ANNOTATION ": `%s`: protocol `%s` is not tcp or udp",
                           orig, slash + 1);
  return 0;
}

/* One element: [HOSTIP:]HOSTPORT:GUESTPORT[/tcp|/udp]. */
static int
parse_port_item (const char *orig, struct urun_port *p, struct urun_error *err)
{
  cleanup_free char *item = xstrdup (orig);
  char *fields[4] = { NULL };
  size_t n = 0;
  struct in_addr addr;

  memset (p, 0, sizeof *p);
  if (cut_protocol (item, orig, p, err) < 0)
    return -1;
  for (char *s = item, *colon; n < 4; s = colon + 1)
    {
      fields[n++] = s;
      colon = strchr (s, ':');
      if (colon == NULL)
        break;
      *colon = '\0';
    }
  if (n < 2 || n > 3)
    return urun_set_error (err, 0, WHERE URUN_PORTS_ANNOTATION ": `%s`: expected " PORT_SYNTAX, orig);
  if (n == 3)
    {
      if (inet_pton (AF_INET, fields[0], &addr) != 1)
        return urun_set_error (err, 0, WHERE URUN_PORTS_ANNOTATION ": `%s`: host address `%s` is not an IPv4 address",
                               orig, fields[0]);
      snprintf (p->host_addr, sizeof p->host_addr, "%s", fields[0]);
    }
  if (!parse_port (fields[n - 2], &p->host_port))
    return urun_set_error (err, 0, WHERE URUN_PORTS_ANNOTATION ": `%s`: host port `%s` is not a number in 1-65535",
                           orig, fields[n - 2]);
  if (!parse_port (fields[n - 1], &p->guest_port))
    return urun_set_error (err, 0, WHERE URUN_PORTS_ANNOTATION ": `%s`: container port `%s` is not a number in 1-65535",
                           orig, fields[n - 1]);
  return 0;
}

/* Two forwards of one host port and protocol: the second would fail in the
 * helper (EADDRINUSE) once the container exists; say so now. */
static bool
is_any_addr (const struct urun_port *p)
{
  return p->host_addr[0] == '\0' || strcmp (p->host_addr, "0.0.0.0") == 0;
}

static bool
is_same_host_port (const struct urun_port *a, const struct urun_port *b)
{
  return a->host_port == b->host_port && a->is_udp == b->is_udp
         && (is_any_addr (a) || is_any_addr (b) || strcmp (a->host_addr, b->host_addr) == 0);
}

static int
parse_ports (const char *value, struct urun_network *net, struct urun_error *err)
{
  cleanup_free char *list = xstrdup (value);
  char *save = NULL;
  size_t n = 1;

  for (const char *c = value; *c; c++)
    n += *c == ',';
  net->ports = xmalloc0 (n * sizeof *net->ports);
  for (char *item = strtok_r (list, ",", &save); item; item = strtok_r (NULL, ",", &save))
    {
      struct urun_port *p = &net->ports[net->n_ports];

      if (parse_port_item (item, p, err) < 0)
        return -1;
      for (size_t i = 0; i < net->n_ports; i++)
        if (is_same_host_port (&net->ports[i], p))
          return urun_set_error (err, 0, WHERE URUN_PORTS_ANNOTATION ": `%s`: host port %u/%s is forwarded twice",
                                 item, p->host_port, p->is_udp ? "udp" : "tcp");
      net->n_ports++;
    }
  if (net->n_ports != n)
    return urun_set_error (err, 0, WHERE URUN_PORTS_ANNOTATION ": `%s`: an empty element (expected " PORT_SYNTAX ", ...)",
                           value);
  return 0;
}

/* "A.B.C.D/P": the helper gives the container A.B.C.D+100, so P <= 25, and
 * A.B.C.D must be the network's own address. */
static int
check_cidr (const char *cidr, struct urun_error *err)
{
  char addr[INET_ADDRSTRLEN];
  const char *slash = strchr (cidr, '/');
  unsigned long prefix;
  struct in_addr a;
  uint32_t mask;

  if (slash == NULL || (size_t) (slash - cidr) >= sizeof addr)
    return urun_set_error (err, 0, WHERE URUN_NETWORK_OPTIONS_ANNOTATION ": cidr `%s` is not ADDRESS/PREFIX", cidr);
  memcpy (addr, cidr, (size_t) (slash - cidr));
  addr[slash - cidr] = '\0';
  if (inet_pton (AF_INET, addr, &a) != 1)
    return urun_set_error (err, 0, WHERE URUN_NETWORK_OPTIONS_ANNOTATION ": cidr `%s`: `%s` is not an IPv4 address",
                           cidr, addr);
  if (!parse_number (slash + 1, 1, 25, &prefix))
    return urun_set_error (err, 0, WHERE URUN_NETWORK_OPTIONS_ANNOTATION ": cidr `%s`: the prefix must be 1-25", cidr);
  mask = htonl (~((UINT32_C (1) << (32 - prefix)) - 1));
  if ((a.s_addr & mask) != a.s_addr)
    return urun_set_error (err, 0, WHERE URUN_NETWORK_OPTIONS_ANNOTATION ": cidr `%s` is not a network address (like 10.0.2.0/24)",
                           cidr);
  return 0;
}

static int
parse_option (const char *opt, struct urun_network *net, struct urun_error *err)
{
  unsigned long mtu;

  if (strcmp (opt, "disable-host-loopback") == 0)
    net->is_host_loopback_disabled = true;
  else if (strcmp (opt, "enable-ipv6") == 0)
    net->is_ipv6 = true;
  else if (strcmp (opt, "port-mode=splice") == 0 || strcmp (opt, "port-mode=slirp") == 0)
    net->is_port_spliced = strcmp (opt, "port-mode=splice") == 0;
  else if (strncmp (opt, "mtu=", 4) == 0)
    {
      if (!parse_number (opt + 4, MIN_MTU, MAX_MTU, &mtu))
        return urun_set_error (err, 0, WHERE URUN_NETWORK_OPTIONS_ANNOTATION ": `%s`: the MTU must be %d-%d",
                               opt, MIN_MTU, MAX_MTU);
      net->mtu = (unsigned int) mtu;
    }
  else if (strncmp (opt, "cidr=", 5) == 0)
    {
      if (strlen (opt + 5) >= sizeof net->cidr)
        return urun_set_error (err, 0, WHERE URUN_NETWORK_OPTIONS_ANNOTATION ": cidr `%s` is not ADDRESS/PREFIX", opt + 5);
      if (check_cidr (opt + 5, err) < 0)
        return -1;
      snprintf (net->cidr, sizeof net->cidr, "%s", opt + 5);
    }
  else
    return urun_set_error (err, 0, WHERE URUN_NETWORK_OPTIONS_ANNOTATION ": unknown option `%s` (expected mtu=N, cidr=A.B.C.D/P, disable-host-loopback, enable-ipv6 or port-mode=slirp|splice)",
                           opt);
  return 0;
}

static int
parse_options (const char *value, struct urun_network *net, struct urun_error *err)
{
  cleanup_free char *list = xstrdup (value);
  char *save = NULL;

  for (char *opt = strtok_r (list, ",", &save); opt; opt = strtok_r (NULL, ",", &save))
    if (parse_option (opt, net, err) < 0)
      return -1;
  return 0;
}

/* slirp serves a namespace the container has to itself: one it joins
 * belongs to someone else, who networks it. */
static int
check_namespace (const struct urun_spec *spec, struct urun_error *err)
{
  const struct urun_namespace *ns = urun_spec_namespace (spec, URUN_NS_NETWORK);

  if (ns == NULL)
    return urun_set_error (err, 0, WHERE URUN_NETWORK_ANNOTATION ": `slirp` needs a network namespace of the container's own: add {\"type\": \"network\"} to linux.namespaces");
  if (ns->path != NULL)
    return urun_set_error (err, 0, WHERE URUN_NETWORK_ANNOTATION ": `slirp` needs a new network namespace, not the joined `%s`",
                           ns->path);
  return 0;
}

int
urun_network_parse (const struct urun_spec *spec, struct urun_network *net,
                    struct urun_error *err)
{
  const char *mode = urun_spec_annotation (spec, URUN_NETWORK_ANNOTATION);
  const char *ports = urun_spec_annotation (spec, URUN_PORTS_ANNOTATION);
  const char *options = urun_spec_annotation (spec, URUN_NETWORK_OPTIONS_ANNOTATION);

  memset (net, 0, sizeof *net);
  net->mtu = URUN_NETWORK_DEFAULT_MTU;
  if (mode != NULL && strcmp (mode, "slirp") != 0 && strcmp (mode, "none") != 0)
    return urun_set_error (err, 0, WHERE URUN_NETWORK_ANNOTATION ": expected `slirp` or `none`, not `%s`", mode);
  net->is_slirp = mode != NULL && strcmp (mode, "slirp") == 0;
  if (!net->is_slirp && (ports != NULL || options != NULL))
    return urun_set_error (err, 0, WHERE "%s: needs " URUN_NETWORK_ANNOTATION "=slirp",
                           ports ? URUN_PORTS_ANNOTATION : URUN_NETWORK_OPTIONS_ANNOTATION);
  if (!net->is_slirp)
    return 0;
  if (check_namespace (spec, err) < 0)
    return -1;
  if (ports != NULL && parse_ports (ports, net, err) < 0)
    return -1;
  return options ? parse_options (options, net, err) : 0;
}

void
urun_network_free (struct urun_network *net)
{
  free (net->ports);
  memset (net, 0, sizeof *net);
}

int
urun_network_check_spec (const struct urun_spec *spec, struct urun_error *err)
{
  struct urun_network net;
  cleanup_free char *helper = NULL;
  int r = urun_network_parse (spec, &net, err);

  if (r == 0 && net.is_slirp)
    {
      helper = urun_network_find_helper (err);
      if (helper == NULL)
        r = urun_wrap_error (err, WHERE URUN_NETWORK_ANNOTATION "=slirp");
    }
  urun_network_free (&net);
  return r;
}

/* ---------------------------------------------------------------------- */
/* Finding urun-slirp. urun may run from a clone of itself (selfclone.h): a
 * sealed memfd or a detached mount, where /proc/self/exe says nothing of the
 * installed binary; argv[0] (program_invocation_name) still names it. */

/* DIR/urun-slirp (installed side by side, meson's bindir) or
 * DIR/helpers/urun-slirp/urun-slirp (urun in a build tree). */
static char *
helper_in (const char *dir)
{
  static const char *const names[] = { "urun-slirp", "helpers/urun-slirp/urun-slirp" };

  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    {
      char *path = xasprintf ("%s/%s", dir, names[i]);
      if (urun_is_executable (path))
        return path;
      free (path);
    }
  return NULL;
}

/* The first executable NAME in $PATH. */
static char *
search_path (const char *name)
{
  const char *path = getenv ("PATH");
  cleanup_free char *dirs = xstrdup (path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
  char *save = NULL;

  for (char *d = strtok_r (dirs, ":", &save); d; d = strtok_r (NULL, ":", &save))
    {
      char *file = xasprintf ("%s/%s", d, name);
      if (*d == '/' && urun_is_executable (file))
        return file;
      free (file);
    }
  return NULL;
}

/* The directory of the urun binary that was run: /proc/self/exe unless it
 * is a clone (it then names no regular file), else argv[0], resolved in
 * $PATH when it has no slash. */
static char *
own_dir (void)
{
  cleanup_free char *exe = realpath ("/proc/self/exe", NULL);
  cleanup_free char *found = NULL;
  const char *argv0 = program_invocation_name;
  char *slash;

  if (exe == NULL || !urun_is_executable (exe))
    {
      free (exe);
      if (strchr (argv0, '/') == NULL)
        argv0 = found = search_path (argv0);
      exe = argv0 ? realpath (argv0, NULL) : NULL;
    }
  if (exe == NULL || (slash = strrchr (exe, '/')) == NULL)
    return NULL;
  *slash = '\0';
  return xstrdup (*exe ? exe : "/");
}

char *
urun_network_find_helper (struct urun_error *err)
{
  const char *override = getenv (URUN_SLIRP_ENV);
  cleanup_free char *dir = NULL;
  char *path;

  if (override && *override)
    {
      path = strchr (override, '/') ? xstrdup (override) : search_path (override);
      if (path == NULL || !urun_is_executable (path))
        {
          free (path);
          urun_set_error (err, ENOENT, "$%s: `%s` is not an executable", URUN_SLIRP_ENV, override);
          return NULL;
        }
      return path;
    }
  dir = own_dir ();
  path = dir ? helper_in (dir) : NULL;
  if (path == NULL)
    path = search_path ("urun-slirp");
  if (path == NULL)
    urun_set_error (err, ENOENT, "`urun-slirp` not found next to urun (`%s`) or in $PATH (or set $%s)",
                    dir ? dir : "?", URUN_SLIRP_ENV);
  return path;
}
