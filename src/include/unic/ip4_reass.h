/*
 * IPv4 reassembly (RFC 791, RFC 815 hole logic), bounded in memory, fragment count and time:
 * at most IP4_REASS_MAX_DATAGRAMS datagrams in progress, IP4_REASS_MAX_FRAGS fragments each,
 * IP4_REASS_MAX_BYTES buffered in all, each abandoned IP4_REASS_TIMEOUT_NS after its first
 * fragment. Overlapping fragments (RFC 5722 spirit, as for IPv6) drop the whole datagram.
 * Identical duplicates are dropped alone.
 */
#ifndef UNIC_IP4_REASS_H
#define UNIC_IP4_REASS_H

#include <stdint.h>

#include "unic/netbuf.h"
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

struct ip4_reass_frag {
    uint16_t offset, len; /* payload bytes [offset, offset+len) */
    struct netbuf *nb;    /* data at the fragment's payload */
};

struct ip4_reass_datagram {
    uint32_t src, dst;
    uint16_t id;
    uint8_t proto;
    uint8_t nfrags;
    uint8_t in_use;
    uint16_t total_len; /* payload length once the last fragment (MF=0) is seen, else 0 */
    uint32_t bytes;     /* payload bytes held */
    uint64_t expires;
    uint8_t first_hdr[60]; /* IPv4 header of the offset-0 fragment (for ICMP errors) */
    uint8_t first_hdr_len;
    struct ip4_reass_frag frags[IP4_REASS_MAX_FRAGS]; /* sorted by offset */
};

struct ip4_reass {
    struct ip4_reass_datagram slots[IP4_REASS_MAX_DATAGRAMS];
    uint32_t bytes; /* payload held across all slots */
    struct timer timer;
    struct ip4_reass_stats stats;
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
