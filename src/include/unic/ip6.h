/*
 * IPv6 (RFC 8200): the contract between the network layer (ip6.c, with neighbour discovery,
 * ICMPv6 and reassembly beside it) and the transports (udp.c, tcp*.c) that carry both families.
 *
 * Call order: eth_input -> ip6_input -> [extension headers, reassembly] -> icmp6 | udp | tcp
 *             (inet->udp_input6 / inet->tcp_input6, set by the transport when it attaches)
 *             transport -> ip6_output (source choice, fragmentation) -> neighbour discovery
 *             -> eth_output
 *
 * Addresses are struct unic_addr (include/unic/addr.h) holding a real IPv6 address (never the
 * ::ffff:0:0/96 IPv4-mapped form: IPv4 goes through ip4.h).
 */
#ifndef UNIC_IP6_H
#define UNIC_IP6_H

#include <stdbool.h>
#include <stdint.h>

#include "unic/addr.h"
#include "unic/netbuf.h"

struct inet;

#define IP6_HDR_LEN 40
#define IP6_MIN_MTU 1280 /* RFC 8200 5: every link carries this much */
#define IP6_DEFAULT_HOP_LIMIT 64

/* What a transport learns of the packet it is handed. */
struct ip6_rx {
    struct unic_addr src, dst;
    uint8_t hop_limit;
    uint8_t traffic_class;
    uint16_t hdr_len;   /* bytes of the IPv6 header and extension headers before nb->data */
    bool dst_multicast; /* a transport never answers a multicast with an error or a RST */
};

/* Hands a transport packet up: (nb) is owned by the callee, nb->data is at the transport header,
 * nb->len is the transport length (padding removed), and the IPv6 header (rx->hdr_len bytes)
 * still sits just before it in the buffer (for ICMPv6 errors that quote it). */
typedef void (*ip6_proto_input_fn)(struct inet *inet, struct netbuf *nb, const struct ip6_rx *rx);

/* Per-packet output options. */
struct ip6_out {
    struct unic_addr src; /* :: (unspecified): chosen by ip6_select_src for dst */
    struct unic_addr dst;
    uint8_t proto;     /* next header of the transport */
    uint8_t hop_limit; /* 0: the link's (router advertised) or IP6_DEFAULT_HOP_LIMIT */
    uint8_t traffic_class;
    bool dont_frag; /* -EMSGSIZE instead of fragmenting (TCP sizes to the path MTU) */
};

/* Prepend an IPv6 header to the transport packet at nb->data and send it, fragmenting (RFC 8200
 * 4.5) when it exceeds the path MTU unless out->dont_frag. The transport checksum is already
 * in the packet (or left partial for offload, as for IPv4). Takes ownership in every case.
 * 0 or -EHOSTUNREACH / -ENOBUFS / -EMSGSIZE / -EADDRNOTAVAIL (counted). */
int ip6_output(struct inet *inet, struct netbuf *nb, const struct ip6_out *out);

/* The source address for packets to (dst) (RFC 6724, simplified: same scope, preferred,
 * longest matching prefix). 0 with (*src) set, or -EADDRNOTAVAIL (no usable address yet, e.g.
 * while duplicate address detection runs). */
int ip6_select_src(const struct inet *inet, struct unic_addr dst, struct unic_addr *src);

/* Path MTU towards (dst) (RFC 8201, learnt from ICMPv6 packet too big), else the link MTU;
 * never below IP6_MIN_MTU. */
uint16_t ip6_path_mtu(const struct inet *inet, struct unic_addr dst);

/* Is (a) one of our unicast addresses (any state but tentative) or a multicast group we are in? */
bool ip6_is_local(const struct inet *inet, struct unic_addr a);

/* ICMPv6 destination unreachable (RFC 4443 3.1; code 4 = port unreachable, 1 = administratively
 * prohibited) about the packet a transport was handed: (nb) at its transport header with the
 * IPv6 header rx->hdr_len bytes before it, as ip6_proto_input_fn gets it. Does not take
 * ownership and leaves nb->data where it was. Rate limited; never about a multicast or an
 * ICMPv6 error, never to an unspecified source (counted in icmp6.not_answered). */
#define IP6_UNREACH_PORT 4
void ip6_send_unreachable(struct inet *inet, uint8_t code, struct netbuf *nb,
                          const struct ip6_rx *rx);

/* Upper-layer reachability confirmation (RFC 4861 7.3.1): a transport that saw forward
 * progress from (peer) (new data acknowledged) tells neighbour discovery, which then skips
 * probing the next hop towards it (the peer on the link, else its router). */
void ip6_confirm_reachable(struct inet *inet, struct unic_addr peer);

/* Largest transport payload of one unfragmented packet with a plain 40-byte header. */
static inline uint16_t ip6_max_payload(uint16_t mtu)
{
    return (uint16_t)(mtu - IP6_HDR_LEN);
}

#endif
