/*
 * IPv6 header and extension headers (RFC 8200). Pure parsing and emitting on byte spans: the
 * order of extension headers and what to do with them is the network layer's (src/net/ip6_ext.c).
 */
#ifndef UNIC_WIRE_IP6_H
#define UNIC_WIRE_IP6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef IP6_HDR_LEN
#define IP6_HDR_LEN 40
#endif
#define IP6_FRAG_HDR_LEN 8

/* Next header values (IANA "Assigned Internet Protocol Numbers"). */
#define IP6_NH_HOPOPTS 0
#define IP6_NH_TCP 6
#define IP6_NH_UDP 17
#define IP6_NH_ROUTING 43
#define IP6_NH_FRAGMENT 44
#define IP6_NH_ESP 50
#define IP6_NH_AH 51
#define IP6_NH_ICMP6 58
#define IP6_NH_NONE 59
#define IP6_NH_DSTOPTS 60

/* Options of hop-by-hop and destination options headers (RFC 8200 4.2). */
#define IP6_OPT_PAD1 0
#define IP6_OPT_PADN 1
#define IP6_OPT_ROUTER_ALERT 5 /* RFC 2711: MLD reports carry it */

struct ip6_hdr {
    uint8_t traffic_class;
    uint32_t flow_label; /* 20 bits */
    uint16_t payload_len;
    uint8_t next_header;
    uint8_t hop_limit;
    uint8_t src[16], dst[16];
};

/* Checks the version and that the payload length fits in (len); a jumbo payload length of 0
 * is WIRE_EUNSUPPORTED (no jumbograms, RFC 2675, on links of at most 9000 bytes). */
int ip6_parse(const uint8_t *p, size_t len, struct ip6_hdr *out);

/* The header of a packet quoted in an ICMPv6 error (perhaps cut short): only the version and
 * the 40 bytes are checked. */
int ip6_parse_quoted(const uint8_t *p, size_t len, struct ip6_hdr *out);

/* Writes the 40-byte header. */
int ip6_emit(uint8_t *p, size_t cap, const struct ip6_hdr *h);

struct ip6_frag_hdr {
    uint8_t next_header;
    uint16_t offset; /* bytes, a multiple of 8 */
    bool more;
    uint32_t id;
};

int ip6_frag_parse(const uint8_t *p, size_t len, struct ip6_frag_hdr *out);
int ip6_frag_emit(uint8_t *p, size_t cap, const struct ip6_frag_hdr *h);

/* Hop-by-hop, destination options and routing headers share a layout: next header, length in
 * 8-byte units not counting the first 8. The length of the one at (p) into (*hdr_len), and its
 * next header into (*next). WIRE_ETRUNCATED when it does not fit in (len). */
int ip6_ext_parse(const uint8_t *p, size_t len, uint8_t *next, size_t *hdr_len);

/* An option a hop-by-hop or destination options header carries that we do not know. */
struct ip6_opt_unknown {
    size_t offset; /* from the start of the extension header */
    size_t next;   /* offset of the option after it */
    uint8_t type;  /* its two high bits say what to do (RFC 8200 4.2) */
};

/* Walk the options of the extension header (p, hdr_len) from offset (start) (2: the first
 * option). WIRE_OK when all are known (Pad1, PadN, Router Alert), 1 with (*u) at the first
 * unknown one (go on from u->next), WIRE_EOPTION when an option overruns the header. */
int ip6_opts_walk(const uint8_t *p, size_t hdr_len, size_t start, struct ip6_opt_unknown *u);

/* Routing header fixed part (RFC 8200 4.4). */
struct ip6_rh {
    uint8_t next_header;
    uint8_t type;
    uint8_t segments_left;
};

int ip6_rh_parse(const uint8_t *p, size_t len, struct ip6_rh *out);

/* Multicast scope and a few well-known values (RFC 4291 2.7). */
static inline bool ip6_addr_is_multicast(const uint8_t a[16])
{
    return a[0] == 0xff;
}

static inline bool ip6_addr_is_link_local(const uint8_t a[16])
{
    return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* Solicited-node multicast group of (a) (RFC 4291 2.7.1): ff02::1:ffXX:XXXX. */
void ip6_solicited_node(const uint8_t a[16], uint8_t out[16]);

/* Ethernet multicast MAC of IPv6 group (g) (RFC 2464 7): 33:33 and its last 32 bits. */
void ip6_multicast_mac(const uint8_t g[16], uint8_t mac[6]);

/* The modified EUI-64 interface identifier of (mac) (RFC 4291 2.5.1, appendix A). */
void ip6_eui64(const uint8_t mac[6], uint8_t iid[8]);

/* Do (a) and (b) share their first (bits) bits? */
bool ip6_prefix_match(const uint8_t a[16], const uint8_t b[16], unsigned bits);

/* Number of leading bits (a) and (b) have in common, 0..128. */
unsigned ip6_common_prefix(const uint8_t a[16], const uint8_t b[16]);

#endif
