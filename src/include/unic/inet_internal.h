/*
 * Internal to the OS (core, net, the platforms, the tests): the inside of a network stack.
 * Services use include/unic/inet.h, where struct inet is opaque.
 *
 * One network stack instance: struct inet holds the state of every protocol module, so that
 * two stacks can live in one process (unit tests join two over a virtual wire with a virtual
 * clock). There are no globals in src/net.
 *
 * Receive path:  inet_input -> eth_input -> arp_input | ip4_input -> (ip4_reass_input)
 *                -> icmp_input | inet->udp_input | inet->tcp_input
 *                eth_input -> ip6_input -> ... (src/include/unic/ip6_stack.h)
 * Send path:     udp/tcp/icmp -> ip4_output (route, fragment) -> arp_output (resolve or queue)
 *                -> eth_output -> inet->link_output
 *
 * UDP, TCP, DHCP and the resolver are attached on first use (udp_bind() sets inet->udp_input,
 * and so on), so a service that never calls a tcp_ function links no TCP code.
 */
#ifndef UNIC_INET_INTERNAL_H
#define UNIC_INET_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "unic/arp.h"
#include "unic/eth.h"
#include "unic/icmp.h"
#include "unic/inet.h"
#include "unic/ip4.h"
#include "unic/ip6.h"
#include "unic/ip6_stack.h"
#include "unic/netbuf.h"
#include "unic/timer.h"
#include "unic/wire/ip4.h"

/* Sends one frame; takes ownership of (nb) in every case. 0 or -errno (counted by caller). */
typedef int (*inet_link_output_fn)(void *ctx, struct netbuf *nb);

/* Hands a transport segment up. (nb) is owned by the callee; nb->data is at the transport
 * header and the IPv4 header (ip->hdr_len bytes) still sits just before it in the buffer. */
typedef void (*ip4_proto_input_fn)(struct inet *inet, struct netbuf *nb, const struct ip4_hdr *ip);

/* A module attached at run time registers itself to print stats and be torn down. */
struct inet_module {
    const char *name;
    void (*print_stats)(struct inet *inet, int all);
    int64_t (*stat)(struct inet *inet, const char *name); /* a counter or -1; may be NULL */
    void (*destroy)(struct inet *inet);
    void (*flush)(struct inet *inet); /* after each batch of received frames; may be NULL */
    struct inet_module *next;
};

struct inet_config {
    uint8_t mac[6];
    uint16_t mtu;                            /* IP MTU of the link, 576..9000 */
    uint32_t addr, prefix_len, gateway, dns; /* host order; addr 0 = unconfigured */
};

/* An ICMP or ICMPv6 error about a packet we sent (RFC 1122 3.2.2, RFC 4443 2.4 (d): errors go
 * to the upper layer), handed to the transport of the quoted packet through inet->udp_error /
 * inet->tcp_error (NULL: the error is only counted). ICMPv6 packet too big has already lowered
 * the path MTU. The ICMP layer classifies it, so a transport need not know either type space:
 * (err) is what it means to a socket, (hard) whether it ends a connection not yet synchronized
 * (RFC 1122 4.2.3.9: protocol and port unreachable; RFC 5461 4), (too_big) a smaller MTU. */
struct ip_error {
    uint8_t type, code; /* the ICMP(v6) type and code (wire/icmp.h, wire/icmp6.h) */
    uint32_t param;     /* the MTU (packet too big) or the pointer (parameter problem) */
    int err;            /* -ECONNREFUSED, -EHOSTUNREACH, -ENETUNREACH, -EPROTO, ... */
    bool hard, too_big;
    struct unic_addr src, dst; /* of the quoted packet: our address, the peer's */
    const uint8_t *l4;         /* the quoted transport header (ports first), valid during the
                                * call; perhaps cut short: l4_len >= 8 */
    size_t l4_len;
};
typedef void (*ip_error_fn)(struct inet *inet, const struct ip_error *err);

struct inet {
    struct timer_queue *timers; /* clock and timers (shared with the loop) */
    struct netbuf_pool *pool;
    inet_link_output_fn link_output;
    void *link_ctx;

    uint8_t mac[6];
    uint16_t mtu;
    uint32_t tso_max; /* 0, or the link cuts TCP super-packets of up to this many IP
                       * bytes (IPv4 or IPv6 header included) into segments (TSO,
                       * platform.h tx_tso_max): set by the owner of the link after
                       * inet_init, never with per-frame faults */
    uint32_t addr, netmask, gateway, dns; /* host order */
    uint64_t mem_size; /* memory the OS may use (plat_heap), 0 if unknown: sizes TCP's
                        * defaults (set by the owner after inet_init) */

    struct eth eth;
    struct arp_cache arp;
    struct ip4 ip4;
    struct icmp icmp;
    struct ip6_stack ip6; /* IPv6, neighbour discovery, ICMPv6, MLD, SLAAC (ip6_stack.h) */

    ip4_proto_input_fn udp_input;  /* NULL: ICMP port unreachable */
    ip4_proto_input_fn tcp_input;  /* NULL: RST is not sent, counted as no_proto */
    ip6_proto_input_fn udp_input6; /* the same transports over IPv6 (ip6.h) */
    ip6_proto_input_fn tcp_input6;
    ip_error_fn udp_error; /* ICMP(v6) errors about their packets (ip6.h); NULL: counted only */
    ip_error_fn tcp_error;
    struct udp *udp;
    struct tcp *tcp;
    struct dhcp_client *dhcp;
    struct dns_resolver *resolver;
    struct inet_module *modules;

    inet_up_fn on_up; /* the service's, set by inet_on_up() */
    void *on_up_arg;
    void *user;
};

/* Set up (inet); (pool) and (timers) are shared, owned by the caller. Returns 0 or -errno. */
int inet_init(struct inet *inet, const struct inet_config *cfg, struct netbuf_pool *pool,
              struct timer_queue *timers, inet_link_output_fn out, void *out_ctx);

/* Tear down attached modules and free queued buffers. */
void inet_destroy(struct inet *inet);

/* Hand a received Ethernet frame to the stack; takes ownership of (nb). */
void inet_input(struct inet *inet, struct netbuf *nb);

/* Set the address (host order); 0 removes it. Sends a gratuitous ARP and calls on_up (for a
 * non-zero address). */
void inet_set_addr(struct inet *inet, uint32_t addr, uint32_t prefix_len, uint32_t gateway);

static inline uint64_t inet_now(const struct inet *inet)
{
    return inet->timers->now;
}

void inet_add_module(struct inet *inet, struct inet_module *m);

#endif
