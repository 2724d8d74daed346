/*
 * Zone storage: see zone.h. Three growable arrays (nodes, records, bytes) and a hash table of
 * node indices with linear probing, kept at most half full.
 */
#include "zone.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unic/random.h"
#include "unic/wire/bytes.h"

#define ZONE_MIN_SLOTS 64

void zone_init(struct dns_zone *z, const uint8_t key[16], size_t budget)
{
    memset(z, 0, sizeof(*z));
    memcpy(z->key, key, sizeof(z->key));
    z->budget = budget;
    z->soa_rr = ZONE_NONE;
    z->soa_node = ZONE_NONE;
    z->origin.len = 1; /* the root until zone_finalize */
}

void zone_destroy(struct dns_zone *z)
{
    free(z->nodes);
    free(z->rrs);
    free(z->data);
    free(z->slots);
    memset(z, 0, sizeof(*z));
}

/* Make (*arr) of (elem)-byte elements (ncap) long, within the budget. Both the old and the
 * new array count against the budget while the copy is made. */
static int resize(struct dns_zone *z, void **arr, size_t *cap, size_t elem, size_t ncap)
{
    size_t old_bytes = *cap * elem, new_bytes = ncap * elem;
    if (new_bytes / elem != ncap || z->used + new_bytes > z->budget)
        return -ENOMEM;
    void *p = malloc(new_bytes);
    if (!p)
        return -ENOMEM;
    if (old_bytes)
        memcpy(p, *arr, old_bytes);
    free(*arr);
    *arr = p;
    *cap = ncap;
    z->used = z->used - old_bytes + new_bytes;
    return 0;
}

/* Make room for (need) elements of (elem) bytes in (*arr), doubling. */
static int grow(struct dns_zone *z, void **arr, size_t *cap, size_t elem, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 64;
    while (ncap < need)
        ncap *= 2;
    return resize(z, arr, cap, elem, ncap);
}

static uint64_t name_hash(const struct dns_zone *z, const uint8_t *wire, size_t len)
{
    return siphash24(z->key, wire, len);
}

static bool node_is(const struct dns_zone *z, uint32_t node, const uint8_t *wire, size_t len)
{
    const struct zone_node *n = &z->nodes[node];
    return n->name_len == len && memcmp(z->data + n->name_off, wire, len) == 0;
}

static void slot_insert(struct zone_slot *slots, size_t nslots, uint64_t hash, uint32_t node)
{
    size_t i = (size_t)hash & (nslots - 1);
    while (slots[i].node != ZONE_NONE)
        i = (i + 1) & (nslots - 1);
    slots[i].hash = (uint32_t)hash;
    slots[i].node = node;
}

/* A table of (nslots), a power of two, with every node inserted again. */
static int rehash_to(struct dns_zone *z, size_t nslots)
{
    size_t bytes = nslots * sizeof(struct zone_slot);
    if (z->used + bytes > z->budget)
        return -ENOMEM;
    struct zone_slot *slots = malloc(bytes);
    if (!slots)
        return -ENOMEM;
    for (size_t i = 0; i < nslots; i++)
        slots[i].node = ZONE_NONE;
    for (uint32_t n = 0; n < z->nnodes; n++) {
        const struct zone_node *node = &z->nodes[n];
        slot_insert(slots, nslots, name_hash(z, z->data + node->name_off, node->name_len), n);
    }
    z->used = z->used - z->nslots * sizeof(struct zone_slot) + bytes;
    free(z->slots);
    z->slots = slots;
    z->nslots = nslots;
    return 0;
}

/* Double the table (or create it). */
static int rehash(struct dns_zone *z)
{
    return rehash_to(z, z->nslots ? z->nslots * 2 : ZONE_MIN_SLOTS);
}

int zone_reserve(struct dns_zone *z, size_t nodes, size_t rrs, size_t data)
{
    size_t want_nodes = z->nnodes + nodes, want_rrs = z->nrrs + rrs, want_data = z->data_len + data;
    if (want_nodes >= UINT32_MAX / 2 || want_rrs >= UINT32_MAX || want_data > UINT32_MAX)
        return -ENOMEM;
    int err = 0;
    if (want_nodes > z->cap_nodes)
        err = resize(z, (void **)&z->nodes, &z->cap_nodes, sizeof(struct zone_node), want_nodes);
    if (!err && want_rrs > z->cap_rrs)
        err = resize(z, (void **)&z->rrs, &z->cap_rrs, sizeof(struct zone_rr), want_rrs);
    if (!err && want_data > z->data_cap)
        err = resize(z, (void **)&z->data, &z->data_cap, 1, want_data);
    size_t nslots = z->nslots ? z->nslots : ZONE_MIN_SLOTS;
    while (nslots < want_nodes * 2)
        nslots *= 2;
    if (!err && nslots > z->nslots)
        err = rehash_to(z, nslots);
    return err;
}

static uint32_t find_hashed(const struct dns_zone *z, const uint8_t *wire, size_t len,
                            uint64_t hash)
{
    if (z->nslots == 0)
        return ZONE_NONE;
    size_t mask = z->nslots - 1;
    for (size_t i = (size_t)hash & mask; z->slots[i].node != ZONE_NONE; i = (i + 1) & mask) {
        if (z->slots[i].hash == (uint32_t)hash && node_is(z, z->slots[i].node, wire, len))
            return z->slots[i].node;
    }
    return ZONE_NONE;
}

uint32_t zone_find_wire(const struct dns_zone *z, const uint8_t *wire, size_t len)
{
    return find_hashed(z, wire, len, name_hash(z, wire, len));
}

uint32_t zone_find(const struct dns_zone *z, const struct dns_name *name)
{
    return zone_find_wire(z, name->wire, name->len);
}

static int append_bytes(struct dns_zone *z, const uint8_t *p, size_t n, uint32_t *off)
{
    if (z->data_len + n > UINT32_MAX)
        return -ENOMEM;
    int err = grow(z, (void **)&z->data, &z->data_cap, 1, z->data_len + n);
    if (err)
        return err;
    if (n)
        memcpy(z->data + z->data_len, p, n);
    *off = (uint32_t)z->data_len;
    z->data_len += n;
    return 0;
}

/* The node of the lowercased wire name (wire, len), created with no records if missing. */
static int find_or_add_node(struct dns_zone *z, const uint8_t *wire, size_t len, uint32_t *out)
{
    uint64_t hash = name_hash(z, wire, len);
    *out = find_hashed(z, wire, len, hash);
    if (*out != ZONE_NONE)
        return 0;
    if (z->nnodes >= UINT32_MAX - 1)
        return -ENOMEM;
    int err = grow(z, (void **)&z->nodes, &z->cap_nodes, sizeof(struct zone_node), z->nnodes + 1);
    if (!err && (size_t)(z->nnodes + 1) * 2 > z->nslots)
        err = rehash(z);
    uint32_t name_off = 0;
    if (!err)
        err = append_bytes(z, wire, len, &name_off);
    if (err)
        return err;
    struct zone_node *node = &z->nodes[z->nnodes];
    node->name_off = name_off;
    node->name_len = (uint8_t)len;
    node->first_rr = node->last_rr = ZONE_NONE;
    node->flags = 0;
    slot_insert(z->slots, z->nslots, hash, z->nnodes);
    *out = z->nnodes++;
    return 0;
}

/* RFC 1034 3.6.2: a CNAME owner owns nothing else; and a zone has one SOA. */
static int check_conflict(const struct dns_zone *z, const struct zone_node *node, uint16_t type)
{
    if (type == DNS_TYPE_SOA && z->soa_rr != ZONE_NONE)
        return -EEXIST;
    if (type == DNS_TYPE_CNAME)
        return node->flags ? -EEXIST : 0;
    return (node->flags & ZONE_NODE_CNAME) ? -EEXIST : 0;
}

static void link_rr(struct dns_zone *z, uint32_t node_i, uint32_t rr_i)
{
    struct zone_node *node = &z->nodes[node_i];
    if (node->last_rr == ZONE_NONE)
        node->first_rr = rr_i;
    else
        z->rrs[node->last_rr].next = rr_i;
    node->last_rr = rr_i;
    uint16_t type = z->rrs[rr_i].type;
    node->flags |= type == DNS_TYPE_CNAME ? ZONE_NODE_CNAME : ZONE_NODE_OTHER;
    if (type == DNS_TYPE_NS)
        node->flags |= ZONE_NODE_NS;
}

/* An uncompressed name at (off) in (p, len); (*next) after it. */
static bool plain_name(const uint8_t *p, size_t len, size_t off, size_t *next)
{
    size_t start = off;
    while (off < len && p[off] != 0) {
        if (p[off] > DNS_MAX_LABEL)
            return false;
        off += 1 + (size_t)p[off];
    }
    *next = off + 1;
    return off < len && *next - start <= DNS_MAX_NAME;
}

/* The answering code decodes these types without further checks, so check them here. */
static bool rdata_valid(uint16_t type, const uint8_t *rd, size_t n)
{
    size_t pos;
    switch (type) {
    case DNS_TYPE_A:
        return n == 4;
    case DNS_TYPE_AAAA:
        return n == 16;
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_PTR:
        return plain_name(rd, n, 0, &pos) && pos == n;
    case DNS_TYPE_MX:
        return n > 2 && plain_name(rd, n, 2, &pos) && pos == n;
    case DNS_TYPE_SOA:
        return plain_name(rd, n, 0, &pos) && plain_name(rd, n, pos, &pos) && n - pos == 20;
    case DNS_TYPE_TXT:
        for (pos = 0; pos < n; pos += 1 + (size_t)rd[pos])
            if (pos + 1 + rd[pos] > n)
                return false;
        return n > 0;
    case DNS_TYPE_OPT:
        return false; /* a pseudo-record, never zone data */
    default:
        return true;
    }
}

int zone_add(struct dns_zone *z, const struct dns_name *owner, uint16_t type, uint32_t ttl,
             const uint8_t *rdata, size_t rdlength)
{
    if (z->finalized || rdlength > UINT16_MAX || !rdata_valid(type, rdata, rdlength))
        return -EINVAL;
    struct dns_name lower = *owner;
    dns_name_lower(&lower);
    uint32_t node_i;
    int err = find_or_add_node(z, lower.wire, lower.len, &node_i);
    if (!err)
        err = check_conflict(z, &z->nodes[node_i], type);
    if (!err && z->nrrs >= UINT32_MAX - 1)
        err = -ENOMEM;
    if (!err)
        err = grow(z, (void **)&z->rrs, &z->cap_rrs, sizeof(struct zone_rr), z->nrrs + 1);
    uint32_t rdata_off = 0;
    if (!err)
        err = append_bytes(z, rdata, rdlength, &rdata_off);
    if (err)
        return err;
    struct zone_rr *rr = &z->rrs[z->nrrs];
    *rr = (struct zone_rr){.next = ZONE_NONE,
                           .rdata_off = rdata_off,
                           .ttl = ttl,
                           .type = type,
                           .rdlength = (uint16_t)rdlength};
    if (type == DNS_TYPE_SOA) {
        z->soa_rr = z->nrrs;
        z->soa_node = node_i;
    }
    link_rr(z, node_i, z->nrrs++);
    return 0;
}

/* Index every ancestor of node (i) strictly below the apex, so that a name with nothing but
 * children answers NODATA rather than NXDOMAIN (RFC 8020). */
static int add_empty_non_terminals(struct dns_zone *z, uint32_t i)
{
    struct dns_name name;
    name.len = z->nodes[i].name_len;
    memcpy(name.wire, z->data + z->nodes[i].name_off, name.len);
    size_t end = name.len - z->origin.len;
    for (size_t off = 1 + (size_t)name.wire[0]; off < end; off += 1 + (size_t)name.wire[off]) {
        uint32_t unused;
        int err = find_or_add_node(z, name.wire + off, name.len - off, &unused);
        if (err)
            return err;
    }
    return 0;
}

void zone_node_name(const struct dns_zone *z, uint32_t i, struct dns_name *out)
{
    const struct zone_node *node = &z->nodes[i];
    size_t next;
    /* Stored names were checked on the way in; parsing them again only recounts labels. */
    if (dns_name_parse(z->data + node->name_off, node->name_len, 0, out, &next) != 0)
        out->len = 0;
}

int zone_finalize(struct dns_zone *z, struct dns_name *bad_owner)
{
    if (z->soa_rr == ZONE_NONE)
        return -ENOENT;
    zone_node_name(z, z->soa_node, &z->origin);
    uint32_t owners = z->nnodes; /* nodes added below are ancestors, checked by construction */
    for (uint32_t i = 0; i < owners; i++) {
        struct dns_name name;
        zone_node_name(z, i, &name);
        if (!dns_name_is_subdomain(&name, &z->origin)) {
            if (bad_owner)
                *bad_owner = name;
            return -EDOM;
        }
        if ((z->nodes[i].flags & ZONE_NODE_NS) && i != z->soa_node)
            z->has_delegations = true;
        int err = add_empty_non_terminals(z, i);
        if (err)
            return err;
    }
    z->finalized = true;
    return 0;
}

/* The zone keeps rdata uncompressed in wire form, checked by zone_add: decode the names so the
 * emitter can compress them. Other types are emitted from the raw bytes. */
static void decode_rdata(const uint8_t *rd, const struct zone_rr *zr, struct dns_rr *out)
{
    size_t n = zr->rdlength, pos;
    switch (zr->type) {
    case DNS_TYPE_A:
        memcpy(out->u.a, rd, 4);
        break;
    case DNS_TYPE_AAAA:
        memcpy(out->u.aaaa, rd, 16);
        break;
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_PTR:
        dns_name_parse(rd, n, 0, &out->u.target, &pos);
        break;
    case DNS_TYPE_MX:
        out->u.mx.preference = rd16(rd);
        dns_name_parse(rd, n, 2, &out->u.mx.exchange, &pos);
        break;
    case DNS_TYPE_SOA:
        dns_name_parse(rd, n, 0, &out->u.soa.mname, &pos);
        dns_name_parse(rd, n, pos, &out->u.soa.rname, &pos);
        out->u.soa.serial = rd32(rd + pos);
        out->u.soa.refresh = rd32(rd + pos + 4);
        out->u.soa.retry = rd32(rd + pos + 8);
        out->u.soa.expire = rd32(rd + pos + 12);
        out->u.soa.minimum = rd32(rd + pos + 16);
        break;
    default:
        break;
    }
}

void zone_rr_decode(const struct dns_zone *z, const struct zone_rr *zr,
                    const struct dns_name *owner, uint32_t ttl, struct dns_rr *out)
{
    out->name.len = owner->len;
    out->name.labels = owner->labels;
    memcpy(out->name.wire, owner->wire, owner->len);
    out->type = zr->type;
    out->class_ = DNS_CLASS_IN;
    out->ttl = ttl;
    out->rdlength = zr->rdlength;
    out->rdata = zone_rdata(z, zr);
    decode_rdata(out->rdata, zr, out);
}
