/* frame.c: frames between the tap and libslirp.  With the virtio-net header
   (--offload, the default) the namespace's kernel sends TCP super-frames of
   up to 64 KiB with a partial checksum, which we complete; libslirp sends
   segments of up to 32 KiB (urun_frame_slirp_tcp_mtu() says why not more),
   which we merge per flow into frames of up to 64 KiB and hand to the tap
   as GSO frames for its kernel to split.  One read or write then carries up
   to 44 frames' worth of a 1500-byte MTU.  Frames we write are marked
   "checksum partial" so the namespace's kernel trusts libslirp's checksum
   instead of verifying it again.  virtio-v1.2 §5.1.6 (struct
   virtio_net_hdr), Documentation/networking/tuntap.rst. */
#define _GNU_SOURCE
#include "frame.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define ETH_HLEN 14
#define ETHERTYPE_V4 0x0800
#define ETHERTYPE_V6 0x86dd
#define PROTO_TCP 6
#define PROTO_UDP 17
#define TCP_FLAG_SYN 0x02
#define TCPOPT_MSS 2
#define IPV4_MF 0x2000

#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_ACK 0x10
#define IP_PACKET_MAX 65535
#define IPV4_TCP_HDRS 40

/* libslirp (4.7) has no TCP window scaling: it advertises at most 65535. */
#define SLIRP_WINDOW_MAX 65535
/* Where the layers of an IPv4/IPv6 frame start. */
struct layers
{
  bool is_ipv6;
  bool is_fragment; /* an IPv4 fragment: no L4 header to speak of */
  uint8_t proto;
  size_t l4_off;  /* offset of the TCP/UDP header in the frame */
  size_t ip_end;  /* ETH_HLEN + the IP packet's length */
};

static uint16_t
get16 (const uint8_t *p)
{
  return (uint16_t) (p[0] << 8 | p[1]);
}

static uint32_t
get32 (const uint8_t *p)
{
  return (uint32_t) get16 (p) << 16 | get16 (p + 2);
}

static void
put16 (uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t) (v >> 8);
  p[1] = (uint8_t) v;
}

uint64_t
urun_csum_add (uint64_t sum, const uint8_t *p, size_t len)
{
  /* Native-order words: the folded sum comes out in native order too, so it
     is stored with memcpy.  RFC 1071 §2(B).  Four accumulators of 32-bit
     words cannot overflow below 2^32 words. */
  uint64_t a = 0, b = 0, c = 0, d = 0;
  uint32_t w[4];
  uint16_t h = 0;

  for (; len >= 16; p += 16, len -= 16)
    {
      memcpy (w, p, 16);
      a += w[0];
      b += w[1];
      c += w[2];
      d += w[3];
    }
  for (; len >= 4; p += 4, len -= 4)
    {
      memcpy (w, p, 4);
      a += w[0];
    }
  if (len >= 2)
    {
      memcpy (&h, p, 2);
      a += h;
      p += 2;
      len -= 2;
    }
  if (len == 1)
    {
      h = 0;
      memcpy (&h, p, 1);
      a += h;
    }
  return sum + a + b + c + d;
}

uint16_t
urun_csum_fold (uint64_t sum)
{
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t) sum;
}

static bool
parse_layers (const uint8_t *f, size_t len, struct layers *l)
{
  uint16_t type;

  if (len < ETH_HLEN + 20)
    return false;
  type = get16 (f + 12);
  if (type == ETHERTYPE_V4 && (f[ETH_HLEN] >> 4) == 4)
    {
      l->is_ipv6 = false;
      l->is_fragment = (get16 (f + ETH_HLEN + 6) & 0x3fff) != 0;
      l->proto = f[ETH_HLEN + 9];
      l->l4_off = ETH_HLEN + (size_t) (f[ETH_HLEN] & 0x0f) * 4;
      l->ip_end = ETH_HLEN + get16 (f + ETH_HLEN + 2);
    }
  else if (type == ETHERTYPE_V6 && len >= ETH_HLEN + 40)
    {
      /* Only a TCP/UDP header right after the fixed header: what the
         kernel's GSO and libslirp produce. */
      l->is_ipv6 = true;
      l->is_fragment = false;
      l->proto = f[ETH_HLEN + 6];
      l->l4_off = ETH_HLEN + 40;
      l->ip_end = ETH_HLEN + 40 + get16 (f + ETH_HLEN + 4);
    }
  else
    return false;
  return l->ip_end <= len && l->l4_off + 20 <= l->ip_end;
}

/* NEEDS_CSUM: the field at csum_start + csum_offset holds the pseudo-header
   sum; the sum from csum_start to the end completes it. */
static int
complete_checksum (const struct virtio_net_hdr *h, uint8_t *f, size_t len)
{
  size_t start = h->csum_start, field = start + h->csum_offset;
  uint16_t sum;

  if (start >= len || field + 2 > len)
    return -1;
  sum = (uint16_t) ~urun_csum_fold (urun_csum_add (0, f + start, len - start));
  if (sum == 0)
    sum = 0xffff; /* UDP sends 0 as all ones (RFC 768); TCP never sums to 0 */
  memcpy (f + field, &sum, 2);
  return 0;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). */
static void
update_checksum (uint8_t *field, uint16_t old, uint16_t new)
{
  uint32_t sum = (uint16_t) ~get16 (field);

  sum += (uint16_t) ~old;
  sum += new;
  put16 (field, (uint16_t) ~urun_csum_fold (sum));
}

/* The MSS option's value in the options of TCP header TCP (DOFF bytes long)
   of a SYN, or NULL. */
static uint8_t *
find_mss (uint8_t *tcp, size_t doff)
{
  size_t i = 20;

  if (!(tcp[13] & TCP_FLAG_SYN))
    return NULL;
  while (i + 1 < doff && tcp[i] != 0)
    {
      if (tcp[i] == 1)
        {
          i++;
          continue;
        }
      if (tcp[i + 1] < 2 || i + tcp[i + 1] > doff)
        return NULL;
      if (tcp[i] == TCPOPT_MSS && tcp[i + 1] == 4)
        return tcp + i + 2;
      i += tcp[i + 1];
    }
  return NULL;
}

/* A SYN from the namespace offers MSS = its MTU - 40 (IPv4) or - 60 (IPv6);
   offer libslirp the MSS of its own, larger MTU instead, so that its
   segments are the size urun_frame_slirp_tcp_mtu() chose, written as GSO
   frames.  (libslirp reads the offer only on the connections it opens, the
   forwarded ones.)  Smaller offers (an MSS clamp) are left alone.
   IS_CSUM_PENDING: the checksum is computed afterwards. */
static void
raise_mss (const struct urun_frame_io *io, uint8_t *f,
            const struct layers *l, bool is_csum_pending)
{
  uint8_t *tcp = f + l->l4_off, *opt;
  size_t doff = (size_t) (tcp[12] >> 4) * 4;
  unsigned int hdrs = l->is_ipv6 ? 60 : 40, mss, want;

  if (l->proto != PROTO_TCP || l->is_fragment || l->l4_off + doff > l->ip_end
      || (opt = find_mss (tcp, doff)) == NULL)
    return;
  mss = want = get16 (opt);
  if (mss == io->tap_mtu - hdrs && io->slirp_mtu > io->tap_mtu)
    want = io->slirp_mtu - hdrs;
  if (want == mss)
    return;
  if (!is_csum_pending)
    update_checksum (tcp + 16, (uint16_t) mss, (uint16_t) want);
  put16 (opt, (uint16_t) want);
}

ssize_t
urun_frame_from_tap (const struct urun_frame_io *io, uint8_t *buf, size_t n,
                     uint8_t **frame)
{
  struct virtio_net_hdr h;
  struct layers l;
  bool is_csum_pending;

  if (!io->has_vnet_hdr)
    {
      *frame = buf;
      return (ssize_t) n;
    }
  if (n < sizeof h + ETH_HLEN)
    return -1;
  memcpy (&h, buf, sizeof h);
  *frame = buf + sizeof h;
  n -= sizeof h;
  is_csum_pending = (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0;
  if (io->slirp_mtu > io->tap_mtu && parse_layers (*frame, n, &l))
    raise_mss (io, *frame, &l, is_csum_pending);
  if (is_csum_pending && complete_checksum (&h, *frame, n) < 0)
    return -1;
  return (ssize_t) n;
}

/* The IP header checksum of an IPv4 fragment we built. */
static void
set_ipv4_checksum (uint8_t *ip, size_t hlen)
{
  uint16_t sum;

  ip[10] = ip[11] = 0;
  sum = (uint16_t) ~urun_csum_fold (urun_csum_add (0, ip, hlen));
  memcpy (ip + 10, &sum, 2);
}

/* A non-TCP IPv4 packet or fragment over the tap's MTU (say a large UDP
   datagram from the host): libslirp, told a larger MTU, did not fragment it,
   or only into fragments of that MTU, so we do (again).
   Only option-less headers, as libslirp writes them (RFC 791 §3.2). */
static ssize_t
write_ipv4_fragments (const struct urun_frame_io *io, const uint8_t *f,
                      size_t len, const struct layers *l)
{
  struct virtio_net_hdr h = { 0 };
  uint8_t hdr[ETH_HLEN + 20];
  size_t hlen = l->l4_off - ETH_HLEN, step, off;
  size_t payload = l->ip_end - l->l4_off;
  uint16_t frag = get16 (f + ETH_HLEN + 6);

  if (hlen != 20 || (frag & 0x4000) != 0)
    return (ssize_t) len; /* options or DF: drop, the sender retries smaller */
  step = (io->tap_mtu - hlen) & ~(size_t) 7;
  for (off = 0; off < payload; off += step)
    {
      size_t chunk = payload - off < step ? payload - off : step;
      uint16_t fo = (uint16_t) ((frag & 0x1fff) + off / 8);
      struct iovec iov[3] = { { &h, sizeof h }, { hdr, sizeof hdr },
                              { (void *) (f + l->l4_off + off), chunk } };

      memcpy (hdr, f, sizeof hdr);
      put16 (hdr + ETH_HLEN + 2, (uint16_t) (hlen + chunk));
      if (off + chunk < payload || (frag & IPV4_MF))
        fo |= IPV4_MF;
      put16 (hdr + ETH_HLEN + 6, fo);
      set_ipv4_checksum (hdr + ETH_HLEN, hlen);
      if (writev (io->tapfd, iov, 3) < 0)
        return -1;
    }
  return (ssize_t) len;
}

/* The pseudo-header sum (RFC 793 §3.1, RFC 8200 §8.1), folded and not
   complemented: what a "checksum partial" packet carries in its checksum
   field for the receiver to finish (or, delivered locally, to trust). */
static uint16_t
pseudo_header_sum (const uint8_t *f, const struct layers *l)
{
  uint32_t len = (uint32_t) (l->ip_end - l->l4_off);
  uint8_t tail[8] = { 0, 0, (uint8_t) (len >> 24), (uint8_t) (len >> 16),
                      (uint8_t) (len >> 8), (uint8_t) len, 0, l->proto };
  uint64_t sum;

  if (l->is_ipv6)
    sum = urun_csum_add (0, f + ETH_HLEN + 8, 32);
  else
    sum = urun_csum_add (0, f + ETH_HLEN + 12, 8);
  return urun_csum_fold (urun_csum_add (sum, tail, sizeof tail));
}

/* A TCP or UDP frame written "checksum partial" (VIRTIO_NET_HDR_F_NEEDS_CSUM):
   the namespace's kernel marks it CHECKSUM_PARTIAL and, delivering it
   locally, skips verifying the checksum libslirp already computed
   (skb_csum_unnecessary()), work that would otherwise run in our context
   as the write delivers the frame.  A TCP frame over the MTU also becomes
   a GSO frame, split by the kernel (SKB_GSO_DODGY: headers checked).  The
   headers are copied: FRAME is libslirp's. */
static ssize_t
write_partial (const struct urun_frame_io *io, const uint8_t *f, size_t len,
               const struct layers *l)
{
  struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM };
  uint8_t hdr[ETH_HLEN + 60 + 60];
  bool is_tcp = l->proto == PROTO_TCP;
  size_t l4_hlen = is_tcp ? (size_t) (f[l->l4_off + 12] >> 4) * 4 : 8;
  size_t hlen = l->l4_off + l4_hlen;
  size_t field = l->l4_off + (is_tcp ? 16 : 6);
  uint16_t sum;
  struct iovec iov[3] = { { &h, sizeof h }, { hdr, hlen },
                          { (void *) (f + hlen), len - hlen } };

  if (hlen > sizeof hdr || hlen > l->ip_end || l4_hlen < 8)
    {
      struct iovec plain[2] = { { &h, sizeof h }, { (void *) f, len } };

      h.flags = 0;
      return writev (io->tapfd, plain, 2);
    }
  memcpy (hdr, f, hlen);
  sum = pseudo_header_sum (f, l);
  memcpy (hdr + field, &sum, 2);
  h.csum_start = (uint16_t) l->l4_off;
  h.csum_offset = (uint16_t) (field - l->l4_off);
  if (is_tcp && len > io->tap_mtu + ETH_HLEN)
    {
      h.gso_type = l->is_ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6
                              : VIRTIO_NET_HDR_GSO_TCPV4;
      h.hdr_len = (uint16_t) hlen;
      h.gso_size = (uint16_t) (io->tap_mtu + ETH_HLEN - hlen);
    }
  return writev (io->tapfd, iov, 3);
}

/* libslirp's TCP and the MTU it is told (SlirpConfig.if_mtu), as of
   libslirp 4.7 (tcp_input.c, tcp_output.c):
   - its segments are if_mtu - 40 bytes (IPv4; - 60 for IPv6), capped at
     32768 (TCP_MAXSEG_MAX), whatever MSS the namespace offers on the
     connections it opens: their SYN waits for the connect() to the host,
     and its options are not read when tcp_input() resumes it;
   - it has no window scaling, so its window is at most 65535 bytes;
   - once its buffer for the host socket drains, it sends a window update
     only if the window grew by two segments (adv >= 2 * t_maxseg).
   The namespace's kernel stops sending when less than one of its segments
   (G bytes) fits the window, so the window grows by at most 65535 - G: with
   32 KiB segments the update never comes, and the namespace waits for its
   persist timer, 200 ms, each time the host side falls behind (96% of a
   namespace -> host iperf3 run at MTU 65520, slirp4netns alike).  So the
   segment size M keeps 2 M <= 65535 - G.  At a small MTU (G = 1460) that
   is two segments of up to 32037 bytes per window; when G would be larger
   than M (the namespace's MSS is then M, libslirp's offer) three segments
   of 21831 bytes fill the window.  Either way a window's segments fit one
   IP packet (k M + 40 <= 65535), for urun_frame_to_tap() to merge. */
unsigned int
urun_frame_slirp_tcp_mtu (const struct urun_frame_io *io)
{
  unsigned int g = io->tap_mtu - IPV4_TCP_HDRS;
  unsigned int two = (SLIRP_WINDOW_MAX - g) / 2;
  unsigned int m;

  if (two > (IP_PACKET_MAX - IPV4_TCP_HDRS) / 2)
    two = (IP_PACKET_MAX - IPV4_TCP_HDRS) / 2;
  m = g <= two ? two : (IP_PACKET_MAX - IPV4_TCP_HDRS) / 3;
  return m + IPV4_TCP_HDRS < io->slirp_mtu ? m + IPV4_TCP_HDRS
                                           : io->slirp_mtu;
}

/* The bytes of IP header that must match for two packets to be one: all
   but the lengths, the IPv4 identification and its checksum. */
static bool
ip_headers_match (const uint8_t *a, const uint8_t *b, const struct layers *l)
{
  const uint8_t *x = a + ETH_HLEN, *y = b + ETH_HLEN;

  if (l->is_ipv6)
    return memcmp (x, y, 4) == 0 && memcmp (x + 6, y + 6, 34) == 0;
  return memcmp (x, y, 2) == 0 && memcmp (x + 6, y + 6, 4) == 0
         && memcmp (x + 12, y + 12, 8) == 0;
}

/* A TCP segment that may be held and merged: data, no flag but ACK and
   PSH, an option-less IPv4 header or a plain IPv6 one. */
static bool
is_mergeable (const uint8_t *f, const struct layers *l)
{
  const uint8_t *tcp = f + l->l4_off;
  size_t doff = (size_t) (tcp[12] >> 4) * 4;

  return l->proto == PROTO_TCP && !l->is_fragment
         && (l->is_ipv6 || l->l4_off == ETH_HLEN + 20)
         && (tcp[13] | TCP_FLAG_PSH) == (TCP_FLAG_ACK | TCP_FLAG_PSH)
         && doff >= 20 && l->l4_off + doff < l->ip_end;
}

/* Whether segment F (layers L, mergeable) continues the held one
   (layers H): the same link and IP headers, ports, ACK, window and
   options, the next sequence number, no PSH ending the held one (as
   GRO, net/ipv4/tcp_offload.c), and one IP packet for both. */
static bool
continues_held (const struct urun_frame_io *io, const uint8_t *f,
                const struct layers *l, const struct layers *h)
{
  const uint8_t *held = io->held, *a = held + h->l4_off, *b = f + l->l4_off;
  size_t doff = (size_t) (a[12] >> 4) * 4;
  size_t held_seg = h->ip_end - h->l4_off - doff;
  size_t merged = h->ip_end - ETH_HLEN - (h->is_ipv6 ? 40 : 0)
                  + (l->ip_end - l->l4_off - doff);

  return l->is_ipv6 == h->is_ipv6 && !(a[13] & TCP_FLAG_PSH)
         && merged <= IP_PACKET_MAX && memcmp (held, f, ETH_HLEN) == 0
         && ip_headers_match (held, f, h) && memcmp (a, b, 4) == 0
         && get32 (b + 4) == get32 (a + 4) + (uint32_t) held_seg
         && memcmp (a + 8, b + 8, 5) == 0 && memcmp (a + 14, b + 14, 2) == 0
         && memcmp (a + 20, b + 20, doff - 20) == 0;
}

/* Append segment F's data to the held one; its PSH carries over. */
static void
merge_into_held (struct urun_frame_io *io, const uint8_t *f,
                 const struct layers *l, const struct layers *h)
{
  uint8_t *ip = io->held + ETH_HLEN, *tcp = io->held + h->l4_off;
  size_t off = l->l4_off + (size_t) (f[l->l4_off + 12] >> 4) * 4;
  size_t n = l->ip_end - off;

  memcpy (io->held + io->held_len, f + off, n);
  io->held_len = h->ip_end + n;
  tcp[13] |= f[l->l4_off + 13] & TCP_FLAG_PSH;
  if (h->is_ipv6)
    put16 (ip + 4, (uint16_t) (h->ip_end + n - ETH_HLEN - 40));
  else
    {
      put16 (ip + 2, (uint16_t) (h->ip_end + n - ETH_HLEN));
      set_ipv4_checksum (ip, 20);
    }
}

/* The layers of the held segment: is_mergeable() let only option-less
   IPv4 or plain IPv6 TCP in, and HELD_LEN is its IP packet's end. */
static void
held_layers (const struct urun_frame_io *io, struct layers *h)
{
  h->is_ipv6 = get16 (io->held + 12) == ETHERTYPE_V6;
  h->is_fragment = false;
  h->proto = PROTO_TCP;
  h->l4_off = ETH_HLEN + (h->is_ipv6 ? 40 : 20);
  h->ip_end = io->held_len;
}

int
urun_frame_flush (struct urun_frame_io *io)
{
  struct layers h;

  if (io->held_len == 0)
    return 0;
  held_layers (io, &h);
  io->held_len = 0;
  return write_partial (io, io->held, h.ip_end, &h) < 0 ? -1 : 0;
}

/* Each frame from libslirp would otherwise be one write, and one wake-up
   of the reader in the namespace: libslirp's segments are at most 32 KiB
   (urun_frame_slirp_tcp_mtu()), and a window's worth of them comes out in
   one go (tcp_output() loops while the window allows).  Consecutive
   segments of a flow become one frame of up to 64 KiB, as GRO would make
   them in a NIC's driver; it is written, "checksum partial", when the next
   frame does not continue it or the loop is about to sleep
   (urun_frame_flush()). */
static ssize_t
write_tcp (struct urun_frame_io *io, const uint8_t *f, size_t len,
           const struct layers *l)
{
  struct layers h;

  if (io->held_len > 0 && is_mergeable (f, l))
    {
      held_layers (io, &h);
      if (continues_held (io, f, l, &h))
        {
          merge_into_held (io, f, l, &h);
          return (ssize_t) len;
        }
    }
  if (urun_frame_flush (io) < 0)
    return -1;
  if (io->held == NULL || !is_mergeable (f, l)
      || l->ip_end > URUN_FRAME_RX_BUFSIZE)
    return write_partial (io, f, len, l);
  memcpy (io->held, f, l->ip_end);
  io->held_len = l->ip_end;
  return (ssize_t) len;
}

static ssize_t
write_frame (struct urun_frame_io *io, const uint8_t *f, size_t len)
{
  struct virtio_net_hdr h = { 0 };
  struct iovec iov[2] = { { &h, sizeof h }, { (void *) f, len } };
  struct layers l;
  bool is_parsed;

  if (!io->has_vnet_hdr)
    return write (io->tapfd, f, len);
  is_parsed = parse_layers (f, len, &l);
  if (is_parsed && l.proto == PROTO_TCP && !l.is_fragment)
    return write_tcp (io, f, len, &l);
  if (urun_frame_flush (io) < 0)
    return -1;
  if (!is_parsed)
    return writev (io->tapfd, iov, 2);
  if (len > io->tap_mtu + ETH_HLEN && !l.is_ipv6)
    return write_ipv4_fragments (io, f, len, &l);
  if (l.is_fragment)
    return writev (io->tapfd, iov, 2);
  if (l.proto == PROTO_UDP && len <= io->tap_mtu + ETH_HLEN)
    return write_partial (io, f, len, &l);
  return writev (io->tapfd, iov, 2);
}

ssize_t
urun_frame_to_tap (struct urun_frame_io *io, const uint8_t *f, size_t len)
{
  return write_frame (io, f, len) < 0 ? -1 : (ssize_t) len;
}
