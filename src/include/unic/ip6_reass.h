/*
 * IPv6 reassembly (RFC 8200 4.5), bounded in memory, fragment count and time: at most
 * IP6_REASS_MAX_PACKETS packets in progress (the oldest evicted), IP6_REASS_MAX_FRAGS
 * fragments each, IP6_REASS_MAX_BYTES of buffers held in all (at most a quarter of the packet
 * pool: reass_has_room), each abandoned IP6_REASS_TIMEOUT_NS
 * after its first fragment (with ICMPv6 time exceeded when the first fragment came, RFC 8200
 * 4.5). An overlap drops the whole packet and the fragments still to come (RFC 5722); exact
 * duplicates are dropped alone (RFC 8200 4.5 allows it). Atomic fragments (offset 0, M clear)
 * never enter here (RFC 6946): ip6_input delivers them at once. The slots and the fragment
 * logic are reass.h's, shared with IPv4; inet->ip6.reass is their table, inet->ip6.reass_stats
 * the counters.
 */
#ifndef UNIC_IP6_REASS_H
#define UNIC_IP6_REASS_H

#include <stdbool.h>
#include <stdint.h>

#include "unic/addr.h"
#include "unic/netbuf.h"
#include "unic/reass.h"
#include "unic/stats.h"
#include "unic/timer.h"
#include "unic/wire/ip6.h"

struct inet;

#define IP6_REASS_MAX_PACKETS 8
#define IP6_REASS_MAX_FRAGS 64
#define IP6_REASS_MAX_BYTES (256 * 1024)
#define IP6_REASS_TIMEOUT_NS (60 * NSEC_PER_SEC) /* RFC 8200 4.5 */

/* clang-format off */
#define IP6_REASS_STATS(X)                                                                         \
    X(fragments) X(reassembled) X(overlap) X(duplicate) X(timeout) X(too_many_frags)               \
    X(too_many_packets) X(memory_limit) X(too_big) X(bad_fragment) X(dropped_late) X(no_buffer)
/* clang-format on */
struct ip6_reass_stats {
    IP6_REASS_STATS(STATS_FIELD)
};

void ip6_reass_init(struct inet *inet);
void ip6_reass_destroy(struct inet *inet);

/* Takes ownership of the fragment (nb): data at its IPv6 header (h); its fragment header
 * (fh) ends (unfrag_len + 8) bytes in. Returns NULL while the packet is incomplete (or
 * dropped: counted), or the whole packet as a new buffer: a 40-byte IPv6 header (payload
 * length set, next header the fragment header's) and the fragmentable part. */
struct netbuf *ip6_reass_input(struct inet *inet, struct netbuf *nb, const struct ip6_hdr *h,
                               size_t unfrag_len, const struct ip6_frag_hdr *fh);

void ip6_reass_print_stats(struct inet *inet, int all);

#endif
