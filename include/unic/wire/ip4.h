/* IPv4 header (RFC 791). */
#ifndef UNIC_WIRE_IP4_H
#define UNIC_WIRE_IP4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IP4_HDR_LEN 20
#define IP4_MAX_HDR_LEN 60
#define IP4_PROTO_ICMP 1
#define IP4_PROTO_TCP 6
#define IP4_PROTO_UDP 17
#define IP4_FLAG_DF 0x4000
#define IP4_FLAG_MF 0x2000
#define IP4_FRAG_OFFSET_MASK 0x1fff

struct ip4_hdr {
    uint8_t hdr_len; /* bytes, 20..60 */
    uint8_t tos;
    uint16_t total_len;
    uint16_t id;
    bool df, mf;
    uint16_t frag_offset; /* bytes */
    uint8_t ttl;
    uint8_t proto;
    uint16_t checksum;
    uint32_t src, dst; /* host order */
};

/* Checks version, header length, total length <= len, and the header checksum
 * (WIRE_ECHECKSUM). Options are skipped (their bytes stay in the buffer, uninterpreted). */
int ip4_parse(const uint8_t *p, size_t len, struct ip4_hdr *out);

/* Writes a 20-byte header (no options) with its checksum; h->hdr_len is ignored. */
int ip4_emit(uint8_t *p, size_t cap, const struct ip4_hdr *h);

static inline bool ip4_is_fragment(const struct ip4_hdr *h)
{
    return h->mf || h->frag_offset != 0;
}

/* "A.B.C.D" of a host-order address into (buf) of at least 16 bytes; returns buf. */
char *ip4_ntoa(uint32_t addr, char *buf);

#endif
