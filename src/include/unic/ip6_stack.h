/*
 * The inside of the IPv6 layer (the transports' side of it is unic/ip6.h): its state in
 * struct inet, the interface addresses with their duplicate address detection (RFC 4862 5.4),
 * routing (on-link or a default router), the path MTU cache (RFC 8201) and the counters.
 *
 * Modules: ip6.c (input, addresses, routing), ip6_out.c (output, fragmentation on send, path
 * MTU), ip6_ext.c (extension headers), ip6_reass.c, ip6_redirect.c, icmp6.c, nd6.c, slaac.c,
 * mld.c, dad.c.
 *
 * Receive: eth_input -> ip6_input -> ip6_ext_input (hop-by-hop, destination options, routing,
 *          fragment -> ip6_reass_input) -> icmp6_input | inet->udp_input6 | inet->tcp_input6
 * Send:    transport -> ip6_output -> ip6_select_src -> ip6_next_hop -> (ip6_fragment) ->
 *          nd6_output -> eth_output
 */
#ifndef UNIC_IP6_STACK_H
#define UNIC_IP6_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include "unic/addr.h"
#include "unic/icmp6.h"
#include "unic/ip6.h"
#include "unic/ip6_reass.h"
#include "unic/mld.h"
#include "unic/nd6.h"
#include "unic/netbuf.h"
#include "unic/slaac.h"
#include "unic/stats.h"
#include "unic/timer.h"

#define IP6_MAX_ADDRS 8
#define IP6_PMTU_SIZE 16
#define IP6_PMTU_EXPIRE_NS (10 * 60 * NSEC_PER_SEC) /* RFC 8201 4: at least 5 minutes */
#define IP6_DAD_TRANSMITS 1                         /* DupAddrDetectTransmits (RFC 4862) */
#define IP6_REDIRECTS 16                            /* destinations redirected (RFC 4861 8) */
#define IP6_REDIRECT_EXPIRE_NS (10 * 60 * NSEC_PER_SEC)

enum ip6_addr_state {
    IP6_ADDR_FREE = 0,
    IP6_ADDR_TENTATIVE, /* duplicate address detection runs: not usable yet */
    IP6_ADDR_PREFERRED,
    IP6_ADDR_DEPRECATED, /* preferred lifetime over: kept for existing use, not chosen */
    IP6_ADDR_DUPLICATE,  /* DAD found another user: never used */
};

enum ip6_addr_origin { IP6_ORIGIN_LINK_LOCAL, IP6_ORIGIN_STATIC, IP6_ORIGIN_SLAAC };

struct ip6_ifaddr {
    struct unic_addr addr;
    uint8_t prefix_len;
    uint8_t state;                         /* enum ip6_addr_state */
    uint8_t origin;                        /* enum ip6_addr_origin */
    uint8_t dad_left;                      /* solicitations still to send */
    uint64_t dad_at;                       /* TENTATIVE: next solicitation, or the end of DAD */
    uint64_t preferred_until, valid_until; /* TIMER_NEVER: infinite */
};

/* A destination a router redirected to a better first hop (RFC 4861 8.3). */
struct ip6_redirect {
    struct unic_addr dst, hop; /* hop == dst: the destination is on the link */
    uint64_t expires;          /* 0: free */
};

struct ip6_pmtu_entry {
    struct unic_addr dst;
    uint16_t mtu;
    uint64_t expires; /* 0: free */
};

/* clang-format off */
#define IP6_STATS(X)                                                                               \
    X(rx) X(rx_delivered) X(rx_truncated) X(rx_bad_version) X(rx_jumbo) X(rx_not_for_us)          \
    X(rx_bad_source) X(rx_no_proto) X(rx_bad_ext) X(rx_unknown_option) X(rx_routing_header)       \
    X(rx_fragments) X(rx_atomic_fragments) X(rx_reassembled) X(rx_no_next_header) X(tx)            \
    X(tx_fragmented) X(tx_fragments) X(tx_no_route) X(tx_no_source) X(tx_no_buffer) X(tx_too_big) \
    X(tx_no_headroom) X(pmtu_updates) X(pmtu_ignored) X(dad_started) X(dad_ok) X(dad_conflicts)   \
    X(addr_expired) X(rx_redirects) X(rx_redirect_bad)
/* clang-format on */
struct ip6_stats {
    IP6_STATS(STATS_FIELD)
};

struct ip6_stack {
    bool enabled;
    struct ip6_ifaddr addrs[IP6_MAX_ADDRS];
    struct unic_addr gateway; /* --gw6; :: none (routers from RAs still count) */
    uint8_t hop_limit;        /* from RAs, else IP6_DEFAULT_HOP_LIMIT */
    uint16_t link_mtu;        /* inet->mtu, or less from an RA MTU option */
    struct timer addr_timer;  /* DAD steps and address lifetimes */
    struct ip6_pmtu_entry pmtu[IP6_PMTU_SIZE];
    struct ip6_redirect redirects[IP6_REDIRECTS];
    struct ip6_stats stats;
    struct reass reass;
    struct ip6_reass_stats reass_stats;
    struct icmp6 icmp6;
    struct nd6 nd;
    struct mld mld;
    struct slaac slaac;
};

/* Set up the layer (disabled: no address, drops IPv6 until ip6_start). */
void ip6_init(struct inet *inet);
void ip6_destroy(struct inet *inet);

/* Enable IPv6: the link-local address from the MAC (modified EUI-64) under DAD, and router
 * solicitation when (slaac). */
void ip6_start(struct inet *inet, bool slaac);

/* Stop IPv6 (a duplicate link-local address, RFC 4862 5.4.5): every address removed (their
 * groups left), input dropped, output refused. */
void ip6_disable(struct inet *inet);

/* Takes ownership of (nb), data at the IPv6 header. */
void ip6_input(struct inet *inet, struct netbuf *nb);

/* Add (a)/(prefix_len) of (origin), valid / preferred for the given ns from now (TIMER_NEVER:
 * forever), under duplicate address detection (TENTATIVE until it ends). An existing address
 * gets its lifetimes updated. 0, -EEXIST (DUPLICATE), -ENOSPC or -EINVAL. */
int ip6_addr_add(struct inet *inet, struct unic_addr a, uint8_t prefix_len, uint8_t origin,
                 uint64_t valid_ns, uint64_t preferred_ns);
void ip6_addr_remove(struct inet *inet, struct unic_addr a);

/* The interface address entry for (a) in any state, or NULL. */
struct ip6_ifaddr *ip6_addr_find(struct inet *inet, struct unic_addr a);

/* Another node uses (a), found by DAD or by a conflicting NA/NS (RFC 4862 5.4.3, 5.4.4). */
void ip6_addr_conflict(struct inet *inet, struct unic_addr a, const uint8_t mac[6]);

/* Step DAD and lifetimes now; rearm the address timer (internal to ip6.c and dad.c). */
void ip6_addr_timer_rearm(struct inet *inet);
void ip6_dad_start(struct inet *inet, struct ip6_ifaddr *ia);
void ip6_dad_step(struct inet *inet, struct ip6_ifaddr *ia, uint64_t now);

/* The first usable link-local address into (*out): true, else false. */
bool ip6_link_local(const struct inet *inet, struct unic_addr *out);

/* Next hop for (dst): dst itself on the link, else the default router. 0 or -EHOSTUNREACH. */
int ip6_next_hop(struct inet *inet, struct unic_addr dst, struct unic_addr *hop);

/* Send the packet (nb) (data at its transport header) with a header from (out), whose source
 * is used as it is (also ::, for DAD and MLD before an address is usable). Takes ownership. */
int ip6_output_from(struct inet *inet, struct netbuf *nb, const struct ip6_out *out);

/* Send (nb) whole: data at its IPv6 header, to (dst) (next hop chosen here). Takes ownership. */
int ip6_send_packet(struct inet *inet, struct netbuf *nb, struct unic_addr dst);

/* Extension headers after the fixed header (ip6_ext.c): takes ownership of (nb) (data at
 * the IPv6 header (h)) and delivers what remains to the upper layer. */
void ip6_ext_input(struct inet *inet, struct netbuf *nb, const struct ip6_hdr *h);

/* Hand the packet (data at its IPv6 header; the upper-layer header (hdr_len) bytes in, of
 * type (proto)) to its protocol; takes ownership. */
void ip6_deliver(struct inet *inet, struct netbuf *nb, const struct ip6_hdr *h, uint8_t proto,
                 size_t hdr_len);

/* Fragment (nb) (data at the transport header) into packets of at most (mtu) (RFC 8200 4.5);
 * takes ownership. */
int ip6_fragment(struct inet *inet, struct netbuf *nb, const struct ip6_out *out,
                 struct unic_addr hop, uint16_t mtu);

/* A redirect (nb->data at the ICMPv6 header, hop limit and code checked) from router (src)
 * (RFC 4861 8.3). Does not take ownership. */
void ip6_redirect_input(struct inet *inet, const struct netbuf *nb, struct unic_addr src);

/* The first hop a redirect set for (dst): true with (*hop), else false. */
bool ip6_redirect_lookup(struct inet *inet, struct unic_addr dst, struct unic_addr *hop);

/* Packet too big for (dst) with (mtu) (RFC 8201 4). */
void ip6_pmtu_update(struct inet *inet, struct unic_addr dst, uint32_t mtu);

/* Emit the IPv6 header for (out) and a payload of (payload_len) bytes at (p). */
void ip6_emit_out(uint8_t *p, const struct ip6_out *out, uint8_t hop_limit, size_t payload_len,
                  uint8_t next_header);

void ip6_print_stats(struct inet *inet, int all);

#endif
