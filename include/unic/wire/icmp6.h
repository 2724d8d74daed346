/*
 * ICMPv6 (RFC 4443), neighbour discovery messages and options (RFC 4861, RFC 8106) and MLDv2
 * reports (RFC 3810): parse and emit on byte spans. The checksum covers the IPv6 pseudo header
 * (RFC 8200 8.1), so the parser and emitter take the two addresses.
 */
#ifndef UNIC_WIRE_ICMP6_H
#define UNIC_WIRE_ICMP6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ICMP6_HDR_LEN 8

#define ICMP6_DEST_UNREACH 1
#define ICMP6_PACKET_TOO_BIG 2
#define ICMP6_TIME_EXCEEDED 3
#define ICMP6_PARAM_PROBLEM 4
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ICMP6_MLD_QUERY 130
#define ICMP6_MLD1_REPORT 131
#define ICMP6_MLD1_DONE 132
#define ICMP6_ROUTER_SOLICIT 133
#define ICMP6_ROUTER_ADVERT 134
#define ICMP6_NEIGHBOR_SOLICIT 135
#define ICMP6_NEIGHBOR_ADVERT 136
#define ICMP6_REDIRECT 137
#define ICMP6_MLD2_REPORT 143

/* Destination unreachable codes. */
#define ICMP6_UNREACH_NOROUTE 0
#define ICMP6_UNREACH_ADDR 3
#define ICMP6_UNREACH_PORT 4
/* Time exceeded codes. */
#define ICMP6_TIME_EXCEED_HOPS 0
#define ICMP6_TIME_EXCEED_REASS 1
/* Parameter problem codes. */
#define ICMP6_PARAM_HEADER 0 /* erroneous header field */
#define ICMP6_PARAM_NEXT_HEADER 1
#define ICMP6_PARAM_OPTION 2
#define ICMP6_PARAM_FIRST_FRAG 3 /* RFC 7112: the header chain is not in the first fragment */

/* Errors are types 0..127, informational messages 128..255 (RFC 4443 2.1). */
static inline bool icmp6_is_error(uint8_t type)
{
    return type < 128;
}

struct icmp6_hdr {
    uint8_t type, code;
    uint16_t checksum;
    uint32_t rest; /* id/seq, MTU, pointer, or reserved/flags */
};

/* Verifies the checksum over the pseudo header and all (len) bytes (WIRE_ECHECKSUM). */
int icmp6_parse(const uint8_t *p, size_t len, const uint8_t src[16], const uint8_t dst[16],
                struct icmp6_hdr *out);

/* Writes the 8-byte header; the checksum covers the pseudo header, the header and the
 * (payload_len) bytes that already follow it in (p). */
int icmp6_emit(uint8_t *p, size_t cap, const struct icmp6_hdr *h, size_t payload_len,
               const uint8_t src[16], const uint8_t dst[16]);

/* Neighbour discovery options (RFC 4861 4.6, RFC 8106). */
#define ND_OPT_SOURCE_LLADDR 1
#define ND_OPT_TARGET_LLADDR 2
#define ND_OPT_PREFIX_INFO 3
#define ND_OPT_MTU 5
#define ND_OPT_RDNSS 25

#define ND_NA_FLAG_ROUTER 0x80000000u
#define ND_NA_FLAG_SOLICITED 0x40000000u
#define ND_NA_FLAG_OVERRIDE 0x20000000u

#define ND_PREFIX_FLAG_ONLINK 0x80
#define ND_PREFIX_FLAG_AUTO 0x40

#define ND_RDNSS_MAX 3 /* servers kept of one message */

#define ND_PREFIX_MAX 4 /* prefix options kept of one message */

/* The options of one NDP message, as found (zeroed fields are absent). */
struct nd_opts {
    bool has_src_lladdr, has_tgt_lladdr, has_mtu;
    uint8_t src_lladdr[6], tgt_lladdr[6];
    uint32_t mtu;
    unsigned prefix_count; /* at most ND_PREFIX_MAX kept, others counted in prefix_dropped */
    unsigned prefix_dropped;
    struct nd_prefix_opt {
        uint8_t prefix_len, flags;
        uint32_t valid, preferred; /* seconds; 0xffffffff is infinity */
        uint8_t prefix[16];
    } prefix[ND_PREFIX_MAX];
    unsigned rdnss_count;
    uint32_t rdnss_lifetime[ND_RDNSS_MAX]; /* each server's, from its own option (RFC 8106) */
    uint8_t rdnss[ND_RDNSS_MAX][16];
};
/* Parse the options at (p, len) (after the message's fixed part). A zero-length option or one
 * that overruns (len) is WIRE_EOPTION (RFC 4861: the whole message is dropped). Unknown ones
 * are skipped. */
int nd_opts_parse(const uint8_t *p, size_t len, struct nd_opts *out);

/* Fixed parts: neighbour solicitation / advertisement (target after 4 bytes of flags), router
 * advertisement. */
#define ND_NS_LEN 24 /* icmp header + target */
#define ND_RS_LEN 8
#define ND_RA_LEN 16

struct nd_ra {
    uint8_t cur_hop_limit, flags;
    uint16_t router_lifetime;               /* seconds */
    uint32_t reachable_time, retrans_timer; /* ms; 0 unspecified */
};

int nd_ra_parse(const uint8_t *p, size_t len, struct nd_ra *out);

/* Write a link-layer address option of (type) for (mac) at (p): 8 bytes. */
int nd_opt_lladdr_emit(uint8_t *p, size_t cap, uint8_t type, const uint8_t mac[6]);

/* An MLDv2 report (RFC 3810 5.2) of (n) multicast address records of (record_type), no
 * sources, after the 8-byte ICMPv6 header: the body's length (20 bytes per record) or
 * WIRE_ENOSPACE. The caller emits the ICMPv6 header with rest = n (the record count). */
#define MLD2_MODE_IS_EXCLUDE 2
#define MLD2_CHANGE_TO_EXCLUDE 4
#define MLD2_CHANGE_TO_INCLUDE 3
int mld2_records_emit(uint8_t *p, size_t cap, uint8_t record_type, const uint8_t (*groups)[16],
                      unsigned n);

#endif
