/* UDP header (RFC 768). */
#ifndef UNIC_WIRE_UDP_H
#define UNIC_WIRE_UDP_H

#include <stddef.h>
#include <stdint.h>

#define UDP_HDR_LEN 8
/* Largest payload of one datagram: 65535 - IPv4 header (20) - UDP header (8). */
#define UDP_MAX_PAYLOAD 65507

struct udp_hdr {
    uint16_t sport, dport;
    uint16_t len;      /* header + payload, from the length field */
    uint16_t checksum; /* as received; 0 = the sender computed none */
};

/* Parse the header of the (len) bytes at (p) (the whole IP payload). Checks that the length
 * field covers the header and does not exceed (len) (WIRE_ELENGTH / WIRE_ETRUNCATED; bytes
 * past the length field are link padding) and, unless the checksum field is zero (allowed by
 * RFC 768), verifies the checksum with the pseudo header of host-order (src) and (dst)
 * (WIRE_ECHECKSUM). */
int udp_parse(const uint8_t *p, size_t len, uint32_t src, uint32_t dst, struct udp_hdr *out);
/* As udp_parse without the checksum: for a datagram whose NIC verified it (netbuf.csum_ok). */
int udp_parse_unchecked(const uint8_t *p, size_t len, struct udp_hdr *out);

/* The same for either family: (pseudo) is the pseudo header's sum with a length of 0
 * (csum_pseudo_ip4 or csum_pseudo_ip6 with l4_len 0); the length field is added here, as both
 * IPv4 and IPv6 (RFC 8200 8.1) sum the UDP length. A zero checksum is accepted here: IPv6
 * callers refuse it themselves. */
int udp_parse_sum(const uint8_t *p, size_t len, uint32_t pseudo, struct udp_hdr *out);

/* Write the 8-byte header for (payload_len) bytes that already follow it in (p), with the
 * checksum over the pseudo header (src, dst, host order), the header and the payload (a
 * computed 0 goes out as 0xffff). h->len and h->checksum are ignored. Returns UDP_HDR_LEN, or
 * WIRE_ENOSPACE when (cap) cannot hold header + payload, WIRE_ELENGTH over 65535 bytes. */
int udp_emit(uint8_t *p, size_t cap, const struct udp_hdr *h, uint32_t src, uint32_t dst,
             size_t payload_len);
/* The same with the pseudo header's sum without its length (as udp_parse_sum). */
int udp_emit_sum(uint8_t *p, size_t cap, const struct udp_hdr *h, uint32_t pseudo,
                 size_t payload_len);

#endif
