/*
 * ARP (RFC 826): a bounded cache with expiry, requests with retries, a bounded queue of packets
 * waiting for resolution, gratuitous ARP when an address is set.
 *
 * Call order: eth_input -> arp_input (learn / reply); ip4_output -> arp_output (send now or queue
 * and request); the cache timer retries requests, drops queues of unanswered ones, expires
 * entries. The timer is armed only while some entry needs it: no periodic tick. A full cache
 * gives up its resolved entry expiring first, else its oldest pending one (evicted_pending),
 * so addresses nobody answers cannot keep a real neighbour out.
 *
 * Address conflict detection (RFC 5227 2.1.1), for DHCP before it binds an offered address:
 * arp_probe_start(ip) -> arp_probe_send() a few times (the caller keeps the time) ->
 * arp_probe_conflict() -> arp_probe_stop(). Meanwhile arp_input marks a conflict when another
 * host sends any ARP packet from that address, or probes for it too.
 *
 * Address defence (RFC 5227 2.4): an ARP packet whose sender is our address but not our MAC is
 * a conflict (counted: conflicts). The stack defends with one ARP announcement (tx_defends), at
 * most once per ARP_DEFEND_INTERVAL_NS; a conflict within the interval is counted
 * (defend_suppressed) and logged once per interval. The address is kept (2.4 (c), "defend
 * indefinitely"): a service's address is its identity, configured by --ip or leased by DHCP,
 * and giving it up on another host's word would let any host on the link take the service
 * down; the counters and the log tell the operator about the conflict.
 */
#ifndef UNIC_ARP_H
#define UNIC_ARP_H

#include <stdbool.h>
#include <stdint.h>

#include "unic/netbuf.h"
#include "unic/stats.h"
#include "unic/timer.h"

struct inet;

#define ARP_CACHE_SIZE 64
/* Packets waiting for one neighbour, and for all (each may still keep one beyond it): a
 * burst to a new neighbour is mostly kept (Linux keeps about 100), within 1/8 of the loop's
 * pool of buffers. */
#define ARP_QUEUE_PER_ENTRY 64
#define ARP_QUEUE_TOTAL 256
#define ARP_ENTRY_TTL_NS (300 * NSEC_PER_SEC)
#define ARP_RETRY_NS (1 * NSEC_PER_SEC)
#define ARP_ANNOUNCE_INTERVAL_NS (2 * NSEC_PER_SEC) /* RFC 5227 ANNOUNCE_INTERVAL; 2 sent */
#define ARP_MAX_TRIES 3
#define ARP_DEFEND_INTERVAL_NS (10 * NSEC_PER_SEC) /* RFC 5227 DEFEND_INTERVAL */

enum arp_state { ARP_FREE = 0, ARP_PENDING, ARP_RESOLVED };

struct arp_entry {
    uint32_t ip;
    uint8_t mac[6];
    uint8_t state; /* enum arp_state */
    uint8_t tries;
    uint8_t queued;    /* <= ARP_QUEUE_PER_ENTRY */
    uint64_t deadline; /* PENDING: next retry; RESOLVED: expiry */
    struct netbuf *queue_head, *queue_tail;
};

/* clang-format does not settle on one layout for X-macro lists. */
/* clang-format off */
#define ARP_STATS(X)                                                                               \
    X(rx)                                                                                          \
    X(rx_malformed) X(rx_requests) X(rx_replies) X(rx_not_for_us) X(tx_requests) X(tx_replies)     \
        X(tx_gratuitous) X(resolved) X(expired) X(evicted) X(unresolved) X(queue_full)             \
            X(queue_dropped) X(no_buffer) X(tx_probes) X(probe_conflicts) X(conflicts)     \
                X(tx_defends) X(defend_suppressed) X(evicted_pending) X(tx_limited) X(rx_bad_sender)
/* clang-format on */
struct arp_stats {
    ARP_STATS(STATS_FIELD)
};

/* The last requests sent (arp.c: the flood limit, RFC 1122 2.3.2.1). */
#define ARP_SENT_WINDOW (2 * ARP_CACHE_SIZE)
struct arp_sent {
    uint32_t ip;
    uint64_t until; /* sent at until - ARP_RETRY_NS; 0: empty */
};

struct arp_cache {
    struct arp_entry entries[ARP_CACHE_SIZE];
    struct arp_sent sent[ARP_SENT_WINDOW]; /* a ring, oldest at sent_next */
    uint64_t announce_at;                  /* the second announcement (RFC 5227 2.3); 0: none due */
    unsigned sent_next;
    unsigned queued_total;
    struct timer timer;
    struct arp_stats stats;
    uint32_t probe_ip;    /* address being probed for conflicts; 0: none */
    bool probe_conflict;  /* another host claimed probe_ip since arp_probe_start() */
    uint64_t defended_at; /* when our address was last defended; 0: never         */
    bool suppress_logged; /* an undefended conflict was logged since defended_at  */
};

void arp_init(struct inet *inet);
void arp_destroy(struct inet *inet);

/* Takes ownership of (nb), data at the ARP packet. */
void arp_input(struct inet *inet, struct netbuf *nb);

/* Send the IPv4 packet (nb) (data at its IP header) to (next_hop) on the link: at once when
 * the MAC is known, else queue it and send a request. Takes ownership. 0, or -EHOSTUNREACH /
 * -ENOBUFS when dropped (counted). */
int arp_output(struct inet *inet, struct netbuf *nb, uint32_t next_hop);

/* The MAC of (ip) into (mac) if resolved: true, else false. */
bool arp_lookup(struct inet *inet, uint32_t ip, uint8_t mac[6]);

/* Announce our address (gratuitous ARP request, target = sender = our address). */
void arp_announce(struct inet *inet);

/* Send a request for (ip) without queueing anything (also used for DHCP's ARP probe with
 * sender address (spa), usually 0). */
int arp_request(struct inet *inet, uint32_t ip, uint32_t spa);

/* Start watching for other users of (ip) (RFC 5227 "probing"), forgetting an earlier result. */
void arp_probe_start(struct inet *inet, uint32_t ip);
/* Send one ARP probe for the address being watched: a request from sender address 0.0.0.0. */
int arp_probe_send(struct inet *inet);
/* Whether another host claimed the watched address since arp_probe_start(). */
bool arp_probe_conflict(const struct inet *inet);
void arp_probe_stop(struct inet *inet);

void arp_print_stats(struct inet *inet, int all);

#endif
