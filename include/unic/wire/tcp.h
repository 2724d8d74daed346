/*
 * TCP segment header and options (RFC 9293, RFC 7323, RFC 2018): pure parse and emit.
 *
 * tcp_parse() checks the data offset against the span, then walks the options; unknown
 * options are skipped by their length, malformed ones (a length that runs past the header, a
 * known option with the wrong length) make the whole segment WIRE_EOPTION. The checksum needs
 * the IP pseudo header, so it is verified separately with tcp_checksum_ok() (IPv4) or
 * tcp_checksum_ok_sum() (either family, given the pseudo header's sum).
 */
#ifndef UNIC_WIRE_TCP_H
#define UNIC_WIRE_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCP_HDR_LEN 20
#define TCP_MAX_HDR_LEN 60
#define TCP_MAX_OPT_LEN 40

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

#define TCP_OPT_EOL 0
#define TCP_OPT_NOP 1
#define TCP_OPT_MSS 2
#define TCP_OPT_WSCALE 3
#define TCP_OPT_SACK_OK 4
#define TCP_OPT_SACK 5
#define TCP_OPT_TS 8

#define TCP_MAX_WSCALE 14
/* With timestamps (12 bytes) there is room for 3 SACK blocks in 40 bytes of options. */
#define TCP_MAX_SACK_BLOCKS 4

struct tcp_sack_block {
    uint32_t start, end; /* [start, end) in sequence space */
};

struct tcp_opts {
    bool has_mss, has_wscale, sack_ok, has_ts;
    uint16_t mss;
    uint8_t wscale; /* as received; callers clamp to TCP_MAX_WSCALE (RFC 7323 2.3) */
    uint32_t ts_val, ts_ecr;
    uint8_t sack_count;
    struct tcp_sack_block sack[TCP_MAX_SACK_BLOCKS];
};

struct tcp_hdr {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t hdr_len; /* bytes, 20..60 */
    uint8_t flags;   /* TCP_FIN | TCP_SYN | ... */
    uint16_t window; /* unscaled, as on the wire */
    uint16_t checksum;
    uint16_t urgent;
    struct tcp_opts opts;
};

/* Sequence-space comparisons that stay right across wraparound (RFC 9293 3.4). */
static inline bool seq_lt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}
static inline bool seq_le(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) <= 0;
}
static inline bool seq_gt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) > 0;
}
static inline bool seq_ge(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) >= 0;
}
static inline uint32_t seq_max(uint32_t a, uint32_t b)
{
    return seq_gt(a, b) ? a : b;
}
static inline uint32_t seq_min(uint32_t a, uint32_t b)
{
    return seq_lt(a, b) ? a : b;
}

/* Parse the header and options at (p). WIRE_ETRUNCATED: shorter than 20 bytes or than the data
 * offset; WIRE_ELENGTH: data offset below 5; WIRE_EOPTION: malformed option. The payload is
 * (p + out->hdr_len, len - out->hdr_len). */
int tcp_parse(const uint8_t *p, size_t len, struct tcp_hdr *out);

/* Does the checksum of the (len)-byte segment at (p) verify for the host-order addresses? */
bool tcp_checksum_ok(const uint8_t *p, size_t len, uint32_t src, uint32_t dst);
/* The same for a pseudo header that sums to (pseudo) (csum_pseudo_ip4 or csum_pseudo_ip6). */
bool tcp_checksum_ok_sum(const uint8_t *p, size_t len, uint32_t pseudo);

/* Bytes the options in (o) take on the wire, padded to a multiple of 4 (at most 40: SACK
 * blocks that do not fit are left out, the first ones are kept). */
size_t tcp_opts_len(const struct tcp_opts *o);

/* Write the header with its options at (p); h->hdr_len is ignored (computed from the options)
 * and the checksum field is written as zero. Returns the header length or WIRE_ENOSPACE. */
int tcp_emit(uint8_t *p, size_t cap, const struct tcp_hdr *h);

/* Fill in the checksum of the (len)-byte segment at (p) (header already emitted). */
void tcp_set_checksum(uint8_t *p, size_t len, uint32_t src, uint32_t dst);
void tcp_set_checksum_sum(uint8_t *p, size_t len, uint32_t pseudo);

/* Leave the checksum of the segment at (p) partial, for a NIC that completes it (segmentation
 * offload): the field holds the folded pseudo-header sum (pseudo) only (csum_pseudo_ip4 or
 * csum_pseudo_ip6 with the segment's length), not complemented, so that summing the segment
 * from its header on and complementing gives the checksum. */
void tcp_set_partial_checksum_sum(uint8_t *p, uint32_t pseudo);

#endif
