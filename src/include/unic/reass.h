/*
 * Reassembly, the part IPv4 (ip4_reass.c) and IPv6 (ip6_reass.c) share: a table of
 * REASS_MAX_SLOTS datagrams in progress under one timer, each with up to REASS_MAX_FRAGS
 * fragments kept sorted by offset. Overlaps are refused, so a datagram is complete when its
 * pieces tile [0, total_len) without gaps. The families keep what differs: the header parsing,
 * the limits on lengths, the counters (these functions return what happened and the family
 * counts it), what an overlap does to the slot and what expiry sends.
 * Call order: <family>_reass_input -> reass_find, reass_place, reass_insert, reass_complete ->
 * reass_gather -> (the family writes the header) -> reass_release.
 */
#ifndef UNIC_REASS_H
#define UNIC_REASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unic/addr.h"
#include "unic/netbuf.h"
#include "unic/timer.h"

struct inet;

#define REASS_MAX_SLOTS 8
#define REASS_MAX_FRAGS 64
#define REASS_MAX_FIRST_HDR 60 /* the longest IPv4 header; an IPv6 header is 40 */

struct reass_frag {
    uint16_t offset, len; /* fragmentable part bytes [offset, offset+len) */
    struct netbuf *nb;    /* data at the fragment's payload */
};

/* Which datagram a fragment belongs to (IPv4 addresses as ::ffff:a.b.c.d, proto 0 for IPv6,
 * whose key has none). */
struct reass_key {
    struct unic_addr src, dst;
    uint32_t id;
    uint8_t proto;
};

struct reass_slot {
    struct reass_key key;
    bool in_use;
    bool dead;       /* IPv6 after an overlap: drop what still comes (RFC 5722) */
    bool have_first; /* the offset-0 fragment came: first_hdr is set */
    uint8_t nfrags;
    uint8_t next_header; /* IPv6: the offset-0 fragment's fragment header's */
    uint8_t first_hdr_len;
    uint32_t total_len; /* fragmentable part length once the last fragment is seen, else 0 */
    uint32_t bytes;     /* buffer bytes held (reass_cost) */
    uint64_t expires;
    struct netbuf *first; /* IPv6: the offset-0 fragment whole, quoted by time exceeded */
    uint8_t first_hdr[REASS_MAX_FIRST_HDR];   /* the offset-0 fragment's IP header */
    struct reass_frag frags[REASS_MAX_FRAGS]; /* sorted by offset */
};

/* A slot ran out of time: the family counts it (and may send an error); the slot is freed
 * after. */
typedef void (*reass_expire_fn)(struct inet *inet, struct reass_slot *d);

struct reass {
    struct reass_slot slots[REASS_MAX_SLOTS];
    uint32_t bytes; /* buffer bytes held across all slots (reass_cost) */
    struct timer timer;
    uint64_t timeout_ns;
    struct inet *inet;
    reass_expire_fn expire;
};

/* What a fragment costs while held: its whole buffer, not its payload (as Linux counts
 * truesize): eight bytes of payload pin a pool buffer of NETBUF_POOL_BUF_SIZE. */
static inline uint32_t reass_cost(const struct netbuf *nb)
{
    return (uint32_t)nb->cap;
}

/* May (r) take a fragment of (cost) more? Within (max) bytes, and within a quarter of the
 * packet pool (a small image's 256 buffers must still receive and send while fragments that
 * never complete wait out their timeout). */
bool reass_has_room(const struct reass *r, uint32_t cost, size_t max);

/* What reass_place found when a fragment cannot go in (else it returns the index). */
enum reass_refusal {
    REASS_INCONSISTENT = -1, /* its end contradicts the datagram's known end */
    REASS_DUPLICATE = -2,    /* the very same piece again */
    REASS_OVERLAP = -3,
    REASS_TOO_MANY = -4, /* REASS_MAX_FRAGS already */
};

void reass_init(struct reass *r, struct inet *inet, uint64_t timeout_ns, reass_expire_fn expire);
void reass_destroy(struct reass *r);

/* The slot (k) belongs to, or a new one; (*evicted) tells whether the oldest slot was freed to
 * make room, so a flood of never-completed datagrams cannot block new ones. */
struct reass_slot *reass_find(struct reass *r, const struct reass_key *k, bool *evicted);

/* Where the piece [off, off+len) of a fragment (more: not the last) goes in (d): its index, or
 * a negative enum reass_refusal. */
int reass_place(const struct reass_slot *d, uint32_t off, uint32_t len, bool more);

/* Takes (nb) (data at the payload) into (d) at index (pos) from reass_place. */
void reass_insert(struct reass *r, struct reass_slot *d, int pos, uint32_t off, uint32_t len,
                  bool more, struct netbuf *nb);

bool reass_complete(const struct reass_slot *d);

/* The whole datagram: a new buffer with (hdr_len) bytes left for the header, then the pieces;
 * NULL (the slot freed) when no buffer can be had. On success the family writes the header,
 * then calls reass_release. */
struct netbuf *reass_gather(struct reass *r, struct reass_slot *d, size_t hdr_len);

/* Frees the slot (d) and rearms the timer. */
void reass_release(struct reass *r, struct reass_slot *d);

/* Frees what (d) holds but keeps the slot, dead, until it expires (RFC 5722). */
void reass_kill(struct reass *r, struct reass_slot *d);

#endif
