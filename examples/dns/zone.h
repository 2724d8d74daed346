/*
 * Zone storage for the authoritative DNS server: one zone (the apex is the owner of its SOA),
 * names kept lowercased in wire form, records kept with their rdata in uncompressed wire form.
 *
 * Lookups are O(1): an open-addressing hash table keyed with SipHash-2-4 under a random key, so
 * that a zone built from attacker-chosen names cannot be made to collide. Memory is bounded:
 * every array grows by doubling within (budget) bytes, and an add that would pass it fails
 * with -ENOMEM.
 *
 * Life cycle: zone_init -> zone_add ... -> zone_finalize (checks the zone, adds the empty
 * non-terminals so that NODATA and NXDOMAIN differ correctly) -> zone_find / zone_rr_* from the
 * answering code -> zone_destroy. No allocation after zone_finalize.
 */
#ifndef DNS_ZONE_H
#define DNS_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unic/wire/dns.h"

#define ZONE_NONE UINT32_MAX

/* One record: a link in its owner node's list. */
struct zone_rr {
    uint32_t next; /* next record of the same owner, or ZONE_NONE */
    uint32_t rdata_off;
    uint32_t ttl;
    uint16_t type;
    uint16_t rdlength;
};

#define ZONE_NODE_CNAME 0x01 /* owns a CNAME                     */
#define ZONE_NODE_OTHER 0x02 /* owns a record that is not CNAME  */
#define ZONE_NODE_NS 0x04    /* owns NS records                  */

struct zone_node {
    uint32_t name_off; /* lowercased wire name in zone->data */
    uint32_t first_rr, last_rr;
    uint8_t name_len;
    uint8_t flags;
};

struct zone_slot {
    uint32_t hash; /* low 32 bits of the SipHash, to skip most mismatches */
    uint32_t node; /* ZONE_NONE when empty */
};

struct dns_zone {
    struct dns_name origin; /* the SOA owner, set by zone_finalize */
    uint32_t soa_rr;        /* ZONE_NONE until an SOA is added     */
    uint32_t soa_node;
    bool finalized;
    bool has_delegations; /* NS records below the apex exist     */
    uint8_t key[16];

    struct zone_node *nodes;
    uint32_t nnodes;
    size_t cap_nodes;
    struct zone_rr *rrs;
    uint32_t nrrs;
    size_t cap_rrs;
    uint8_t *data; /* names and rdata */
    size_t data_len, data_cap;
    struct zone_slot *slots;
    size_t nslots; /* a power of two, or 0 */

    size_t budget, used; /* bytes of all the arrays above */
};

#define ZONE_DEFAULT_BUDGET (256u << 20)

/* Empty zone, hashing under (key), using at most (budget) bytes. */
void zone_init(struct dns_zone *z, const uint8_t key[16], size_t budget);
void zone_destroy(struct dns_zone *z);

/* Add one record. 0, -ENOMEM (budget), -EEXIST (a second SOA, or a CNAME beside other data:
 * RFC 1034 3.6.2), -EINVAL (rdata malformed for its type or too long, an OPT, or after
 * zone_finalize). */
int zone_add(struct dns_zone *z, const struct dns_name *owner, uint16_t type, uint32_t ttl,
             const uint8_t *rdata, size_t rdlength);

/* Check the zone (one SOA; every owner at or below its apex) and index the empty
 * non-terminals. 0, -ENOENT (no SOA), -EDOM (an owner outside the zone), -ENOMEM. On error
 * (bad_owner) (may be NULL) receives the offending name. */
int zone_finalize(struct dns_zone *z, struct dns_name *bad_owner);

/* Room for (nodes) more owner names, (rrs) more records and (data) more bytes of names and
 * rdata, each array grown once to its exact size: a caller that knows what it will add (the
 * synthetic records) holds the zone's size at its peak, where doubling could take up to three
 * times it (old and new arrays during a copy, and half of each unused). 0 or -ENOMEM. */
int zone_reserve(struct dns_zone *z, size_t nodes, size_t rrs, size_t data);

/* The node owning (name), which must be lowercased; ZONE_NONE if none. */
uint32_t zone_find(const struct dns_zone *z, const struct dns_name *name);

/* The same for a lowercased name given as (wire, len), e.g. a suffix of a longer name. */
uint32_t zone_find_wire(const struct dns_zone *z, const uint8_t *wire, size_t len);

static inline const struct zone_node *zone_node_at(const struct dns_zone *z, uint32_t i)
{
    return &z->nodes[i];
}

static inline const struct zone_rr *zone_rr_at(const struct dns_zone *z, uint32_t i)
{
    return &z->rrs[i];
}

static inline const uint8_t *zone_rdata(const struct dns_zone *z, const struct zone_rr *rr)
{
    return z->data + rr->rdata_off;
}

/* The name of node (i) as stored (lowercased); len 0 if it cannot be read back. */
void zone_node_name(const struct dns_zone *z, uint32_t i, struct dns_name *out);

/* Record (zr) as a dns_rr owned by (owner) with (ttl), names in its rdata decoded so that
 * dns_emit_rr can compress them. */
void zone_rr_decode(const struct dns_zone *z, const struct zone_rr *zr,
                    const struct dns_name *owner, uint32_t ttl, struct dns_rr *out);

/* Number of records (not counting empty non-terminals, which own none). */
static inline uint32_t zone_record_count(const struct dns_zone *z)
{
    return z->nrrs;
}

#endif
