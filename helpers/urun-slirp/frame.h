/* frame.h: Ethernet frames between the tap and libslirp. */
#ifndef URUN_SLIRP_FRAME_H
#define URUN_SLIRP_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The MTU libslirp is given when frames carry the virtio-net header: its
   TCP then emits segments of up to 64 KiB, which the tap splits to the
   namespace's MTU (GSO).  libslirp's IF_MTU_MAX is 65521. */
#define URUN_FRAME_SLIRP_GSO_MTU 65520

/* Room for the virtio-net header and the largest (GSO) frame the tap hands
   out: an IP packet of 64 KiB plus link headers. */
#define URUN_FRAME_RX_BUFSIZE (128 * 1024)

struct urun_frame_io
{
  int tapfd;
  bool has_vnet_hdr;
  unsigned int tap_mtu;   /* the namespace's MTU */
  unsigned int slirp_mtu; /* the largest frame libslirp takes and sends
                             (its if_mru; urun_frame_slirp_tcp_mtu() is
                             its if_mtu) */
  /* A TCP segment from libslirp held back so that the next ones of its
     flow join it in one frame (with the virtio-net header only):
     URUN_FRAME_RX_BUFSIZE bytes, HELD_LEN of them in use. */
  uint8_t *held;
  size_t held_len;
};

/* The MTU to tell libslirp (SlirpConfig.if_mtu) so that its TCP segments
   are as large as they can be and its window updates still happen; see
   frame.c.  Never above IO->slirp_mtu. */
unsigned int urun_frame_slirp_tcp_mtu (const struct urun_frame_io *io);

/* Turn BUF (N bytes as read from the tap) into a frame for slirp_input():
   strip the virtio-net header, complete a partial checksum, raise the MSS of
   a SYN.  Returns the frame's length (*FRAME points into BUF), or -1 to drop
   it. */
ssize_t urun_frame_from_tap (const struct urun_frame_io *io, uint8_t *buf,
                             size_t n, uint8_t **frame);

/* Write FRAME (LEN bytes from libslirp) to the tap, as a GSO frame or IPv4
   fragments when it exceeds the tap's MTU; a TCP data segment may instead
   be held, to be merged with the next ones of its flow.  Returns LEN or -1
   (errno). */
ssize_t urun_frame_to_tap (struct urun_frame_io *io, const uint8_t *frame,
                           size_t len);

/* Write the held segment, if any: before the loop sleeps.  Returns 0 or
   -1 (errno). */
int urun_frame_flush (struct urun_frame_io *io);

/* The Internet checksum (RFC 1071) of LEN bytes at P, added to SUM, not
   yet folded.  Exposed for the unit test. */
uint64_t urun_csum_add (uint64_t sum, const uint8_t *p, size_t len);
uint16_t urun_csum_fold (uint64_t sum);

#endif
