/*
 * Neighbour discovery (RFC 4861): the neighbour cache with the NUD states of 7.3.2, address
 * resolution with a bounded queue of packets waiting for it, and NS/NA in both directions.
 *
 * Call order: icmp6_input -> nd6_input_ns | nd6_input_na (learn, answer, DAD conflicts);
 *             ip6_output -> nd6_output (send now, or queue and solicit) -> eth_output.
 * The cache timer runs only while an entry is INCOMPLETE, DELAY or PROBE; REACHABLE turns
 * STALE lazily when used after ReachableTime (no periodic tick).
 *
 * Bounds: ND6_CACHE_SIZE entries (least recently used resolved one evicted, else the oldest
 * incomplete one: evicted_incomplete), at most
 * ND6_QUEUE_PER_ENTRY packets per unresolved neighbour and ND6_QUEUE_TOTAL in all.
 */
#ifndef UNIC_ND6_H
#define UNIC_ND6_H

#include <stdbool.h>
#include <stdint.h>

#include "unic/addr.h"
#include "unic/netbuf.h"
#include "unic/stats.h"
#include "unic/timer.h"

struct inet;

#define ND6_CACHE_SIZE 64
#define ND6_QUEUE_PER_ENTRY 48 /* the 46 fragments of a 64 KB packet at MTU 1500 */
#define ND6_QUEUE_TOTAL 128
/* RFC 4861 10: protocol constants. */
#define ND6_MAX_MULTICAST_SOLICIT 3
#define ND6_MAX_UNICAST_SOLICIT 3
#define ND6_RETRANS_TIMER_NS (1 * NSEC_PER_SEC)
#define ND6_REACHABLE_TIME_NS (30 * NSEC_PER_SEC)
#define ND6_DELAY_FIRST_PROBE_NS (5 * NSEC_PER_SEC)

enum nd6_state { ND6_FREE = 0, ND6_INCOMPLETE, ND6_REACHABLE, ND6_STALE, ND6_DELAY, ND6_PROBE };

struct nd6_entry {
    struct unic_addr ip;
    uint8_t mac[6];
    uint8_t state; /* enum nd6_state */
    uint8_t probes;
    uint8_t queued;
    bool is_router;
    uint64_t deadline; /* INCOMPLETE/PROBE: next solicitation; DELAY: probing starts;
                        * REACHABLE: turns STALE */
    uint64_t used;     /* last use, for eviction */
    struct netbuf *queue_head, *queue_tail;
};

/* clang-format does not settle on one layout for X-macro lists. */
/* clang-format off */
#define ND6_STATS(X)                                                                               \
    X(rx_ns) X(rx_na) X(rx_bad) X(tx_ns) X(tx_na) X(resolved) X(unresolved) X(evicted)             \
    X(queue_full) X(queue_dropped) X(to_stale) X(to_delay) X(to_probe) X(confirmed) X(no_buffer)   \
    X(rx_na_unsolicited) X(evicted_incomplete)
/* clang-format on */
struct nd6_stats {
    ND6_STATS(STATS_FIELD)
};

struct nd6 {
    struct nd6_entry entries[ND6_CACHE_SIZE];
    unsigned queued_total;
    uint64_t reachable_time_ns; /* randomised from the base (RFC 4861 6.3.2) */
    uint64_t base_reachable_ns;
    uint64_t retrans_ns; /* RetransTimer: from RAs, else ND6_RETRANS_TIMER_NS */
    struct timer timer;
    struct nd6_stats stats;
};

void nd6_init(struct inet *inet);
void nd6_destroy(struct inet *inet);

/* Send the IPv6 packet (nb) (data at its IPv6 header) to (next_hop) on the link: a multicast
 * group goes to its 33:33 MAC, a resolved neighbour at once, otherwise it is queued and the
 * neighbour solicited. Takes ownership. 0, or -EHOSTUNREACH / -ENOBUFS (counted). */
int nd6_output(struct inet *inet, struct netbuf *nb, struct unic_addr next_hop);

/* Neighbour solicitation and advertisement received (nb->data at the ICMPv6 header, checksum
 * verified, hop limit 255 checked by the caller). Do not take ownership. */
void nd6_input_ns(struct inet *inet, const struct netbuf *nb, struct unic_addr src,
                  struct unic_addr dst);
void nd6_input_na(struct inet *inet, const struct netbuf *nb, struct unic_addr src,
                  struct unic_addr dst);

/* Send a solicitation for (target) from (src) (:: for duplicate address detection) to (dst)
 * (a solicited-node group, or the neighbour itself when probing). */
int nd6_send_ns(struct inet *inet, struct unic_addr src, struct unic_addr dst,
                struct unic_addr target);

/* A router's or a host's link-layer address learnt from RS/RA/redirect (RFC 4861 7.2.3's
 * rules for an unsolicited source link-layer option): creates or updates a STALE entry. */
void nd6_learn(struct inet *inet, struct unic_addr ip, const uint8_t mac[6], bool is_router);

/* Upper-layer reachability confirmation (RFC 4861 7.3.1), e.g. from TCP: a neighbour in use
 * becomes REACHABLE again without probing. */
void nd6_confirm(struct inet *inet, struct unic_addr ip);

/* The entry for (ip), for tests; NULL if none. */
const struct nd6_entry *nd6_lookup(const struct inet *inet, struct unic_addr ip);

/* New base ReachableTime / RetransTimer from a router advertisement (ms, 0: unchanged). */
void nd6_set_times(struct inet *inet, uint32_t reachable_ms, uint32_t retrans_ms);

void nd6_print_stats(struct inet *inet, int all);

#endif
