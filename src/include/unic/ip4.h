/*
 * IPv4: input validation and dispatch, routing (local subnet or gateway), output with
 * fragmentation, reassembly (ip4_reass.h).
 *
 * Call order: eth_input -> ip4_input -> [ip4_reass_input] -> icmp_input | udp_input | tcp_input
 *             transport -> ip4_output -> ip4_fragment? -> arp_output -> eth_output
 */
#ifndef UNIC_IP4_H
#define UNIC_IP4_H

#include <stdbool.h>
#include <stdint.h>

#include "unic/ip4_reass.h"
#include "unic/netbuf.h"
#include "unic/stats.h"
#include "unic/wire/ip4.h"

struct inet;

#define IP4_DEFAULT_TTL 64
#define IP4_BROADCAST 0xffffffffu

/* clang-format does not settle on one layout for X-macro lists. */
/* clang-format off */
#define IP4_STATS(X)                                                                               \
    X(rx)                                                                                          \
    X(rx_delivered) X(rx_truncated) X(rx_bad_version) X(rx_bad_length) X(rx_bad_checksum)          \
        X(rx_not_for_us) X(rx_bad_source) X(rx_no_proto) X(rx_fragments) X(rx_reassembled) X(tx)   \
            X(tx_fragmented) X(tx_fragments) X(tx_no_route) X(tx_no_buffer) X(tx_too_big)          \
                X(tx_no_headroom) X(tx_bad_dst) X(rx_l2_broadcast) X(rx_source_route) X(rx_reserved_flag)
/* clang-format on */
struct ip4_stats {
    IP4_STATS(STATS_FIELD)
};

struct ip4 {
    uint16_t next_id;
    struct reass reass;
    struct ip4_reass_stats reass_stats;
    struct ip4_stats stats;
};

/* Per-packet output options. */
struct ip4_out {
    uint32_t src; /* 0: the interface address */
    uint32_t dst;
    uint8_t proto;
    uint8_t tos;
    uint8_t ttl; /* 0: IP4_DEFAULT_TTL */
    bool df;     /* don't fragment: -EMSGSIZE if too big */
};

void ip4_init(struct inet *inet);
void ip4_destroy(struct inet *inet);

/* Takes ownership of (nb), data at the IPv4 header. */
void ip4_input(struct inet *inet, struct netbuf *nb);

/* Prepend an IPv4 header to the transport packet at nb->data and send it, fragmenting when it
 * exceeds the MTU. Takes ownership. 0 or -EHOSTUNREACH / -ENETUNREACH (0/8, 127/8: never sent)
 * / -ENOBUFS / -EMSGSIZE (counted). */
int ip4_output(struct inet *inet, struct netbuf *nb, const struct ip4_out *out);

/* Next hop for (dst): dst itself on the local subnet, for broadcast or a multicast group (RFC
 * 1112 level 1: sent to the group's MAC), else the gateway; 0 if there is no route. */
uint32_t ip4_next_hop(const struct inet *inet, uint32_t dst);

/* Is (addr) ours, the subnet broadcast or the limited broadcast? */
bool ip4_is_local(const struct inet *inet, uint32_t addr);
bool ip4_is_broadcast(const struct inet *inet, uint32_t addr);

/* "This network" (0/8) or loopback (127/8): RFC 1122 3.2.1.3 (a), (g) say such a destination
 * MUST NOT be sent to; unic has no loopback interface to keep them on. */
static inline bool ip4_never_sent_to(uint32_t addr)
{
    return (addr >> 24) == 0 || (addr >> 24) == 127;
}

/* A multicast group (224/4, RFC 1112). */
static inline bool ip4_is_multicast(uint32_t addr)
{
    return (addr >> 28) == 0xe;
}

/* An address one host can have (RFC 1122 3.2.1.3): not 0/8, loopback, a broadcast, a group
 * or class E (240/4). What ICMP may answer and ARP may learn. */
bool ip4_is_host(const struct inet *inet, uint32_t addr);

/* Largest transport payload that fits in one unfragmented packet. */
static inline uint16_t ip4_max_payload(uint16_t mtu)
{
    return (uint16_t)(mtu - 20);
}

void ip4_print_stats(struct inet *inet, int all);

#endif
