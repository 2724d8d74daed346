/*
 * The virtio-net header (struct virtio_net_hdr, virtio 1.x section 5.1.6, without num_buffers):
 * the 10 bytes in front of every frame that a TAP opened with IFF_VNET_HDR, or a virtio-net
 * device, exchanges with its driver. It carries the offloads: a frame whose transport checksum
 * was left partial (NEEDS_CSUM: the sender stored only the pseudo-header sum, at csum_start +
 * csum_offset) and TCP super-packets (gso_type TCPV4: one IPv4 packet of up to 64 KB that the
 * sender did not cut into MSS-sized segments).
 *
 * Fields are little-endian: virtio 1.x says so, and a legacy device uses the guest's order,
 * which is little-endian on x86 (a TAP uses the host's, likewise).
 *
 * Receiving: vnet_hdr_parse -> vnet_hdr_check (never trust the header: every offset is checked
 * against the frame) -> vnet_hdr_complete_csum (the frame then carries a checksum that
 * verifies, so the stack checks it as it checks every other frame).
 * Sending (both platforms): vnet_hdr_tcp_gso for a super-packet (else all zero) -> vnet_hdr_emit.
 */
#ifndef UNIC_WIRE_VNET_HDR_H
#define UNIC_WIRE_VNET_HDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VNET_HDR_LEN 10

#define VNET_HDR_F_NEEDS_CSUM 0x01 /* checksum from csum_start on, stored at +csum_offset */
#define VNET_HDR_F_DATA_VALID 0x02 /* the sender verified the checksums (receive only)   */

#define VNET_HDR_GSO_NONE 0
#define VNET_HDR_GSO_TCPV4 1
#define VNET_HDR_GSO_UDP 3
#define VNET_HDR_GSO_TCPV6 4
#define VNET_HDR_GSO_ECN 0x80 /* flag on a GSO type: the TCP segments carry ECN's CWR */

/* Bit of a GSO type in the (gso_ok) set of vnet_hdr_check. */
#define VNET_HDR_GSO_BIT(type) (1u << (type))

struct vnet_hdr {
    uint8_t flags;        /* VNET_HDR_F_*                                         */
    uint8_t gso_type;     /* VNET_HDR_GSO_*, maybe with VNET_HDR_GSO_ECN           */
    uint16_t hdr_len;     /* GSO: bytes of headers (a hint: Linux sends its linear head) */
    uint16_t gso_size;    /* GSO: payload bytes per segment the packet stands for */
    uint16_t csum_start;  /* NEEDS_CSUM: offset in the frame where summing begins */
    uint16_t csum_offset; /* NEEDS_CSUM: the checksum field, from csum_start       */
};

/* Read the header from the (len) bytes at (p). WIRE_OK or WIRE_ETRUNCATED. */
int vnet_hdr_parse(const uint8_t *p, size_t len, struct vnet_hdr *out);

/* Write (h) into (p) of (cap) bytes. Returns VNET_HDR_LEN or WIRE_ENOSPACE. */
int vnet_hdr_emit(uint8_t *p, size_t cap, const struct vnet_hdr *h);

/* Check (h) against the frame of (frame_len) bytes that follows it, for a receiver that
 * negotiated the GSO types in (gso_ok) (VNET_HDR_GSO_BIT set). WIRE_OK, or:
 *   WIRE_EUNSUPPORTED  an unknown flag, or a GSO type not negotiated;
 *   WIRE_ELENGTH       csum_start/csum_offset/hdr_len point past the frame;
 *   WIRE_EMALFORMED    an odd csum_offset (the field is not a 16-bit word of the summed
 *                      bytes), GSO without a partial checksum or with gso_size 0, ECN on NONE. */
int vnet_hdr_check(const struct vnet_hdr *h, size_t frame_len, uint32_t gso_ok);

/* The header a sender puts in front of a TCP super-packet of (frame_len) bytes, into (h): GSO
 * TCPV6 (ip6) or TCPV4 of (gso_size)-byte segments, (hdr_len) bytes of headers, the checksum
 * left partial at (csum_start + csum_offset). A plain frame's header is all zero. WIRE_OK, or
 * what vnet_hdr_check says of such a header against the frame (the sender must not send it). */
int vnet_hdr_tcp_gso(struct vnet_hdr *h, size_t frame_len, bool ip6, uint16_t gso_size,
                     uint16_t hdr_len, uint16_t csum_start, uint16_t csum_offset);

/* When (h) has NEEDS_CSUM: sum the (frame_len)-byte frame from csum_start to its end (the
 * field holds the sender's pseudo-header sum) and store the folded checksum in the field; a
 * computed 0 is stored as 0xffff (RFC 768 for UDP; one's complement makes both verify for TCP).
 * Returns WIRE_OK (also when there was nothing to do) or, for a header vnet_hdr_check would
 * refuse, WIRE_ELENGTH / WIRE_EMALFORMED without touching the frame. */
int vnet_hdr_complete_csum(uint8_t *frame, size_t frame_len, const struct vnet_hdr *h);

#endif
