/*
 * IPv4 reassembly (RFC 791, RFC 815 hole logic), bounded in memory, fragment count and time:
 * at most IP4_REASS_MAX_DATAGRAMS datagrams in progress, IP4_REASS_MAX_FRAGS fragments each,
 * IP4_REASS_MAX_BYTES of buffers held in all (whole buffers, not payload; and at most a quarter
 * of the packet pool: reass_has_room), each abandoned IP4_REASS_TIMEOUT_NS after its first
 * fragment, with time exceeded to the source when fragment zero came (RFC 1122 3.3.2). Overlapping
 * fragments (RFC 5722 spirit, as for IPv6) drop the whole datagram. Identical duplicates are
 * dropped alone. The slots and the fragment logic are reass.h's, shared with IPv6; inet->ip4.reass
 * is their table, inet->ip4.reass_stats the counters.
 */
#ifndef UNIC_IP4_REASS_H
#define UNIC_IP4_REASS_H

#include <stdint.h>

#include "unic/netbuf.h"
#include "unic/reass.h"
#include "unic/stats.h"
#include "unic/timer.h"
#include "unic/wire/ip4.h"

struct inet;

#define IP4_REASS_MAX_DATAGRAMS 8
#define IP4_REASS_MAX_FRAGS 64
#define IP4_REASS_MAX_BYTES (256 * 1024)
#define IP4_REASS_TIMEOUT_NS (15 * NSEC_PER_SEC)

/* clang-format does not settle on one layout for X-macro lists. */
/* clang-format off */
#define IP4_REASS_STATS(X)                                                                         \
    X(fragments)                                                                                   \
    X(reassembled) X(overlap) X(duplicate) X(timeout) X(too_many_frags) X(too_many_datagrams)      \
        X(memory_limit) X(too_big) X(bad_fragment) X(no_buffer)
/* clang-format on */
struct ip4_reass_stats {
    IP4_REASS_STATS(STATS_FIELD)
};

void ip4_reass_init(struct inet *inet);
void ip4_reass_destroy(struct inet *inet);

/* Takes ownership of the fragment (nb) (data at its IPv4 header, parsed into (hdr)). Returns
 * NULL while the datagram is incomplete (or dropped: counted), or the whole datagram as a new
 * buffer with data at a rebuilt 20-byte IPv4 header (MF clear, offset 0, total_len set, the
 * checksum recomputed) that (*out_hdr) describes. */
struct netbuf *ip4_reass_input(struct inet *inet, struct netbuf *nb, const struct ip4_hdr *hdr,
                               struct ip4_hdr *out_hdr);

void ip4_reass_print_stats(struct inet *inet, int all);

#endif
