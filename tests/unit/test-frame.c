/* test-frame.c: frames from libslirp to the tap (helpers/urun-slirp/frame.c):
   the TCP segment size told to libslirp, and consecutive segments of a flow
   merged into one frame.  The "tap" is a SOCK_SEQPACKET socket pair, which
   keeps each write one message. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frame.h"
#include "tap.h"

#define ETH_HLEN 14
#define TCP_OFF (ETH_HLEN + 20)
#define DATA_OFF (TCP_OFF + 20)
#define ACK 0x10
#define PSH 0x08

static uint8_t frame_buf[70000];
static uint8_t held_buf[128 * 1024];
static uint8_t rx[70000];
static int tap_w, tap_r; /* what urun-slirp writes to, what we read */

static void
put16 (uint8_t *p, unsigned int v)
{
  p[0] = (uint8_t) (v >> 8);
  p[1] = (uint8_t) v;
}

static void
put32 (uint8_t *p, uint32_t v)
{
  put16 (p, v >> 16);
  put16 (p + 2, v & 0xffff);
}

static unsigned int
get16 (const uint8_t *p)
{
  return (unsigned int) p[0] << 8 | p[1];
}

/* An IPv4 TCP segment from 10.0.2.2:80 to 10.0.2.100:5201, as libslirp
   writes them: SEQ, FLAGS, N data bytes of value FILL. */
static size_t
segment (uint32_t seq, uint8_t flags, size_t n, uint8_t fill)
{
  uint8_t *f = frame_buf, *ip = f + ETH_HLEN, *tcp = f + TCP_OFF;

  memset (f, 0, DATA_OFF);
  memcpy (f, "\x52\x55\x0a\x00\x02\x64\x52\x55\x0a\x00\x02\x02\x08\x00", 14);
  ip[0] = 0x45;
  put16 (ip + 2, (unsigned int) (40 + n));
  put16 (ip + 4, seq & 0xffff); /* the identification differs per packet */
  ip[8] = 64;
  ip[9] = 6;
  memcpy (ip + 12, "\x0a\x00\x02\x02\x0a\x00\x02\x64", 8);
  put16 (tcp, 80);
  put16 (tcp + 2, 5201);
  put32 (tcp + 4, seq);
  put32 (tcp + 8, 777);
  tcp[12] = 5 << 4;
  tcp[13] = flags;
  put16 (tcp + 14, 65535);
  memset (f + DATA_OFF, fill, n);
  return DATA_OFF + n;
}

static struct urun_frame_io
io_on (void)
{
  return (struct urun_frame_io){ .tapfd = tap_w, .has_vnet_hdr = true,
                                 .tap_mtu = 65520, .slirp_mtu = 65520,
                                 .held = held_buf };
}

static void
to_tap (struct urun_frame_io *io, size_t len)
{
  if (urun_frame_to_tap (io, frame_buf, len) != (ssize_t) len)
    tap_ok (0, "urun_frame_to_tap took the frame");
}

/* The next frame written to the tap (without its virtio-net header, which
   goes to *H), or 0 when none is waiting. */
static size_t
next_frame (struct virtio_net_hdr *h)
{
  ssize_t n = recv (tap_r, rx, sizeof rx, MSG_DONTWAIT);

  if (n < (ssize_t) sizeof *h)
    return 0;
  memcpy (h, rx, sizeof *h);
  memmove (rx, rx + sizeof *h, (size_t) n - sizeof *h);
  return (size_t) n - sizeof *h;
}

/* The Internet checksum of LEN bytes at P, folded, not complemented. */
static uint16_t
sum16 (const uint8_t *p, size_t len, uint32_t sum)
{
  return urun_csum_fold (urun_csum_add (sum, p, len));
}

/* Frame F (LEN bytes) as its receiver sees it: the IPv4 header checksum
   holds, and completing the TCP checksum the way a "checksum partial"
   header asks gives a segment whose checksum holds too. */
static bool
checksums_hold (uint8_t *f, size_t len, const struct virtio_net_hdr *h)
{
  uint8_t pseudo[12];
  uint16_t field;

  if (sum16 (f + ETH_HLEN, 20, 0) != 0xffff)
    return false;
  if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || h->csum_start != TCP_OFF
      || h->csum_offset != 16)
    return false;
  field = (uint16_t) ~sum16 (f + TCP_OFF, len - TCP_OFF, 0);
  memcpy (f + TCP_OFF + 16, &field, 2);
  memcpy (pseudo, f + ETH_HLEN + 12, 8);
  pseudo[8] = 0;
  pseudo[9] = 6;
  put16 (pseudo + 10, (unsigned int) (len - TCP_OFF));
  return sum16 (f + TCP_OFF, len - TCP_OFF,
                urun_csum_fold (urun_csum_add (0, pseudo, 12)))
         == 0xffff;
}

static bool
data_is (const uint8_t *p, size_t n, uint8_t fill)
{
  for (size_t i = 0; i < n; i++)
    if (p[i] != fill)
      return false;
  return true;
}

static void
test_tcp_mtu (void)
{
  struct urun_frame_io io = { .tap_mtu = 1500, .slirp_mtu = 65520 };
  bool holds = true;

  tap_ok (urun_frame_slirp_tcp_mtu (&io) == 32077,
          "MTU 1500 with GSO: two segments of 32037 per window (got %u)",
          urun_frame_slirp_tcp_mtu (&io));
  io.tap_mtu = 65520;
  tap_ok (urun_frame_slirp_tcp_mtu (&io) == 21871,
          "MTU 65520: three segments of 21831 per window (got %u)",
          urun_frame_slirp_tcp_mtu (&io));
  io.tap_mtu = io.slirp_mtu = 1500;
  tap_ok (urun_frame_slirp_tcp_mtu (&io) == 1500,
          "MTU 1500 without GSO: the tap's MTU (got %u)",
          urun_frame_slirp_tcp_mtu (&io));
  /* Every MTU: libslirp's window update (adv >= 2 segments) can happen
     once the namespace stopped short of a segment, and two segments still
     make one IP packet. */
  for (unsigned int mtu = 576; mtu <= 65520; mtu++)
    {
      struct urun_frame_io m = { .tap_mtu = mtu, .slirp_mtu = 65520 };
      unsigned int seg = urun_frame_slirp_tcp_mtu (&m) - 40;
      unsigned int ns_mss = mtu - 40 < seg ? mtu - 40 : seg;

      if (2 * seg > 65535 - ns_mss || 2 * seg + 40 > 65535 || seg > 32768)
        {
          holds = false;
          printf ("# MTU %u: segment %u, namespace MSS %u\n", mtu, seg,
                  ns_mss);
          break;
        }
    }
  tap_ok (holds, "MTU 576..65520: window updates possible, pairs merge");
}

static void
test_merge (void)
{
  struct urun_frame_io io = io_on ();
  struct virtio_net_hdr h;
  size_t n;

  to_tap (&io, segment (1000, ACK, 21831, 'a'));
  to_tap (&io, segment (1000 + 21831, ACK, 21831, 'b'));
  to_tap (&io, segment (1000 + 2 * 21831, ACK | PSH, 21831, 'c'));
  tap_ok (next_frame (&h) == 0, "segments are held until the flush");
  tap_ok (urun_frame_flush (&io) == 0, "flush writes");
  n = next_frame (&h);
  tap_ok (n == DATA_OFF + 3 * 21831, "three segments make one frame "
          "(%zu bytes)", n);
  tap_ok (get16 (rx + ETH_HLEN + 2) == 40 + 3 * 21831,
          "its IPv4 total length counts all the data");
  tap_ok (rx[TCP_OFF + 13] == (ACK | PSH), "the last segment's PSH is kept");
  tap_ok (rx[TCP_OFF + 4] == 0 && get16 (rx + TCP_OFF + 6) == 1000,
          "the first segment's sequence number is kept");
  tap_ok (data_is (rx + DATA_OFF, 21831, 'a')
          && data_is (rx + DATA_OFF + 21831, 21831, 'b')
          && data_is (rx + DATA_OFF + 2 * 21831, 21831, 'c'),
          "the data is the segments' in order");
  tap_ok (h.gso_type == VIRTIO_NET_HDR_GSO_TCPV4,
          "over the tap's MTU it is a GSO frame");
  tap_ok (checksums_hold (rx, n, &h), "IP and completed TCP checksums hold");
  tap_ok (next_frame (&h) == 0 && urun_frame_flush (&io) == 0
          && next_frame (&h) == 0, "nothing more is written");
}

/* After a flush, two frames were written, of DATA_OFF + N1 and + N2 bytes. */
static bool
wrote_two (struct urun_frame_io *io, size_t n1, size_t n2)
{
  struct virtio_net_hdr h;
  size_t got1, got2;

  if (urun_frame_flush (io) < 0)
    return false;
  got1 = next_frame (&h);
  got2 = next_frame (&h);
  return got1 == DATA_OFF + n1 && got2 == DATA_OFF + n2
         && next_frame (&h) == 0;
}

static void
test_no_merge (void)
{
  struct urun_frame_io io = io_on ();

  to_tap (&io, segment (1000, ACK, 100, 'a'));
  to_tap (&io, segment (1200, ACK, 100, 'b'));
  tap_ok (wrote_two (&io, 100, 100),
          "a segment that does not follow is a frame of its own");
  /* PSH ends the held segment, as in GRO. */
  to_tap (&io, segment (1000, ACK | PSH, 100, 'a'));
  to_tap (&io, segment (1100, ACK, 100, 'b'));
  tap_ok (wrote_two (&io, 100, 100), "nothing joins a segment with PSH");
  /* A pure ACK is not held, and does not overtake held data. */
  to_tap (&io, segment (1000, ACK, 100, 'a'));
  to_tap (&io, segment (1100, ACK, 0, 0));
  tap_ok (wrote_two (&io, 100, 0),
          "a pure ACK goes out at once, after the held data");
  /* One IP packet at most. */
  to_tap (&io, segment (1000, ACK, 32768, 'a'));
  to_tap (&io, segment (1000 + 32768, ACK, 32768, 'b'));
  tap_ok (wrote_two (&io, 32768, 32768),
          "two 32 KiB segments stay two frames (65576 > 65535)");
  /* Other ports. */
  to_tap (&io, segment (1000, ACK, 100, 'a'));
  segment (1100, ACK, 100, 'b');
  put16 (frame_buf + TCP_OFF, 81);
  to_tap (&io, DATA_OFF + 100);
  tap_ok (wrote_two (&io, 100, 100),
          "segments of another flow are not merged");
}

static void
test_plain (void)
{
  struct urun_frame_io io = io_on ();
  uint8_t plain[DATA_OFF + 100];
  ssize_t n;

  io.has_vnet_hdr = false;
  io.held = NULL;
  to_tap (&io, segment (1000, ACK, 100, 'a'));
  n = recv (tap_r, plain, sizeof plain, MSG_DONTWAIT);
  tap_ok (n == DATA_OFF + 100 && memcmp (plain, frame_buf, (size_t) n) == 0,
          "without the virtio-net header frames go out as they are, at once");
}

int
main (void)
{
  int sv[2];

  if (socketpair (AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
    tap_skip_all ("socketpair(AF_UNIX, SOCK_SEQPACKET) failed");
  /* Room for a few 64 KiB messages. */
  tap_w = sv[0];
  tap_r = sv[1];
  setsockopt (tap_w, SOL_SOCKET, SO_SNDBUF, &(int){ 1 << 20 }, sizeof (int));
  test_tcp_mtu ();
  test_merge ();
  test_no_merge ();
  test_plain ();
  return tap_done ();
}
