/*
 * The authoritative answering logic: see answer.h.
 *
 * dns_answer -> parse_query -> resolve -> (find_cut -> referral) | emit_rrset | CNAME step |
 * negative (SOA in authority) -> finish (TC, OPT, header).
 */
#include "answer.h"

#include <string.h>

#include "unic/wire/bytes.h"
#include "unic/wire/wire.h"

#define OPT_RR_LEN 11 /* root name + fixed fields, no options */

const char *const dns_answer_stat_names[] = {DNS_ANSWER_STATS(STATS_NAME)};
const size_t dns_answer_stat_count = STATS_COUNT(dns_answer_stat_names);

struct query {
    struct dns_hdr hdr;
    struct dns_question q;
    struct dns_name lower; /* q.name lowercased, for lookups */
    bool edns;
    struct dns_opt opt;
};

struct reply {
    struct dns_emitter e;
    struct dns_hdr hdr; /* counts grow as records are emitted */
    size_t after_question;
    unsigned names_after_question;
    bool truncated;
};

/* Additional section: parse everything after the question, find at most one OPT (RFC 6891
 * 6.1.1: more than one is FORMERR), and insist the message ends where its counts say. */
static int parse_sections(const uint8_t *msg, size_t len, size_t pos, struct query *q)
{
    int err = dns_rr_skip(msg, len, pos, (unsigned)q->hdr.ancount + q->hdr.nscount, &pos);
    for (unsigned i = 0; !err && i < q->hdr.arcount; i++) {
        struct dns_rr rr;
        err = dns_rr_parse(msg, len, pos, &rr, &pos);
        if (err || rr.type != DNS_TYPE_OPT)
            continue;
        if (q->edns)
            return WIRE_EMALFORMED;
        q->edns = true;
        q->opt = rr.u.opt;
    }
    if (!err && pos != len)
        err = WIRE_ELENGTH;
    return err;
}

static int parse_query(const uint8_t *msg, size_t len, struct query *q)
{
    size_t pos;
    q->edns = false;
    if (q->hdr.qdcount != 1)
        return WIRE_EMALFORMED;
    int err = dns_question_parse(msg, len, DNS_HDR_LEN, &q->q, &pos);
    if (err)
        return err;
    q->lower = q->q.name;
    dns_name_lower(&q->lower);
    return parse_sections(msg, len, pos, q);
}

/* --- Emitting zone records ------------------------------------------------------------------ */

enum section { ANSWER, AUTHORITY, ADDITIONAL };

static int add_rr(struct reply *r, const struct dns_zone *z, const struct zone_rr *zr,
                  const struct dns_name *owner, uint32_t ttl, enum section s)
{
    struct dns_rr rr;
    zone_rr_decode(z, zr, owner, ttl, &rr);
    int err = dns_emit_rr(&r->e, &rr);
    if (err) {
        if (s != ADDITIONAL) /* RFC 2181 9: only missing answers or authority make TC */
            r->truncated = true;
        return err;
    }
    uint16_t *count = s == ANSWER      ? &r->hdr.ancount
                      : s == AUTHORITY ? &r->hdr.nscount
                                       : &r->hdr.arcount;
    ++*count;
    return 0;
}

/* Every record of (node) of (type) (or all for ANY) under (owner); returns how many, or -1 if
 * one did not fit. */
static int emit_rrset(struct reply *r, const struct dns_zone *z, uint32_t node, uint16_t type,
                      const struct dns_name *owner, enum section s)
{
    int n = 0;
    for (uint32_t i = zone_node_at(z, node)->first_rr; i != ZONE_NONE; i = zone_rr_at(z, i)->next) {
        const struct zone_rr *zr = zone_rr_at(z, i);
        if (zr->type != type && type != DNS_TYPE_ANY)
            continue;
        if (add_rr(r, z, zr, owner, zr->ttl, s))
            return -1;
        n++;
    }
    return n;
}

/* One RRset into the additional section whole, or nothing of it (RFC 2181 9: a partial
 * RRset would be taken for the whole set). False when it did not fit. */
static bool emit_additional_rrset(struct reply *r, const struct dns_zone *z, uint32_t node,
                                  uint16_t type, const struct dns_name *owner)
{
    size_t len = r->e.len;
    unsigned nnames = r->e.nnames;
    uint16_t arcount = r->hdr.arcount;
    if (emit_rrset(r, z, node, type, owner, ADDITIONAL) >= 0)
        return true;
    r->e.len = len;
    r->e.nnames = nnames;
    r->hdr.arcount = arcount;
    return false;
}

/* Additional section processing (RFC 1035 3.3.9, 3.3.11): the A and AAAA RRsets of the NS or
 * MX targets of (node) that the zone holds, each whole or left out. One that does not fit is
 * left out quietly (RFC 2181 9), unless it is glue a referral needs: an address of a name
 * server inside the delegated zone (in-domain glue, below (cut); NULL outside referrals), whose
 * absence sets TC (RFC 9471 3). */
static void add_target_addresses(struct reply *r, const struct dns_zone *z, uint32_t node,
                                 uint16_t type, const struct dns_name *cut)
{
    for (uint32_t i = zone_node_at(z, node)->first_rr; i != ZONE_NONE; i = zone_rr_at(z, i)->next) {
        const struct zone_rr *zr = zone_rr_at(z, i);
        if (zr->type != type)
            continue;
        struct dns_name target;
        size_t skip = type == DNS_TYPE_MX ? 2 : 0, next;
        if (dns_name_parse(zone_rdata(z, zr), zr->rdlength, skip, &target, &next))
            continue;
        dns_name_lower(&target);
        uint32_t t = zone_find(z, &target);
        if (t == ZONE_NONE)
            continue;
        bool fit = emit_additional_rrset(r, z, t, DNS_TYPE_A, &target);
        fit = emit_additional_rrset(r, z, t, DNS_TYPE_AAAA, &target) && fit;
        if (!fit && cut && dns_name_is_subdomain(&target, cut)) {
            r->truncated = true;
            return;
        }
    }
}

/* --- Resolution ----------------------------------------------------------------------------- */

/* RFC 2308 5: a negative answer's SOA lives as long as the smaller of its TTL and minimum. */
static void add_soa_authority(struct reply *r, const struct dns_zone *z)
{
    const struct zone_rr *soa = zone_rr_at(z, z->soa_rr);
    uint32_t minimum = rd32(zone_rdata(z, soa) + soa->rdlength - 4);
    add_rr(r, z, soa, &z->origin, soa->ttl < minimum ? soa->ttl : minimum, AUTHORITY);
}

/* The highest node between the apex (excluded) and (name) that owns NS: a zone cut. */
static uint32_t find_cut(const struct dns_zone *z, const struct dns_name *name)
{
    unsigned below = (unsigned)(name->labels - z->origin.labels);
    for (unsigned k = below; k-- > 0;) {
        size_t off = dns_name_suffix_offset(name, k);
        uint32_t node = zone_find_wire(z, name->wire + off, name->len - off);
        if (node == ZONE_NONE)
            return ZONE_NONE; /* empty non-terminals are indexed: nothing deeper exists */
        if (zone_node_at(z, node)->flags & ZONE_NODE_NS)
            return node;
    }
    return ZONE_NONE;
}

static unsigned referral(struct reply *r, const struct dns_zone *z, uint32_t cut, bool first,
                         struct dns_answer_stats *st)
{
    struct dns_name owner;
    zone_node_name(z, cut, &owner);
    if (first)
        r->hdr.flags &= (uint16_t)~DNS_FLAG_AA; /* the child zone is authoritative, not us */
    if (emit_rrset(r, z, cut, DNS_TYPE_NS, &owner, AUTHORITY) >= 0) {
        struct dns_name child = owner;
        dns_name_lower(&child);
        add_target_addresses(r, z, cut, DNS_TYPE_NS, &child);
    }
    st->referral++;
    return DNS_RCODE_NOERROR;
}

/* The CNAME of (node) into the answer; (*name) and (*owner) move to its target. Returns false
 * when the chain leaves the zone or the answer is full. */
static bool follow_cname(struct reply *r, const struct dns_zone *z, uint32_t node,
                         struct dns_name *name, struct dns_name *owner)
{
    uint32_t i = zone_node_at(z, node)->first_rr; /* a CNAME owner owns nothing else */
    const struct zone_rr *zr = zone_rr_at(z, i);
    if (add_rr(r, z, zr, owner, zr->ttl, ANSWER))
        return false;
    size_t next;
    if (dns_name_parse(zone_rdata(z, zr), zr->rdlength, 0, owner, &next))
        return false;
    *name = *owner;
    dns_name_lower(name);
    return dns_name_is_subdomain(name, &z->origin);
}

static unsigned answer_node(struct reply *r, const struct dns_zone *z, uint32_t node,
                            uint16_t qtype, const struct dns_name *owner,
                            struct dns_answer_stats *st)
{
    int n = emit_rrset(r, z, node, qtype, owner, ANSWER);
    if (n > 0 && (qtype == DNS_TYPE_MX || qtype == DNS_TYPE_NS))
        add_target_addresses(r, z, node, qtype, NULL);
    if (n == 0) {
        add_soa_authority(r, z);
        st->nodata++;
    } else {
        st->noerror++;
    }
    return DNS_RCODE_NOERROR;
}

static unsigned resolve(struct reply *r, const struct dns_zone *z, const struct query *q,
                        struct dns_answer_stats *st)
{
    struct dns_name name = q->lower, owner = q->q.name;
    r->hdr.flags |= DNS_FLAG_AA;
    for (unsigned hop = 0; hop <= DNS_ANSWER_MAX_CNAME_CHAIN; hop++) {
        uint32_t cut = z->has_delegations ? find_cut(z, &name) : ZONE_NONE;
        if (cut != ZONE_NONE)
            return referral(r, z, cut, hop == 0, st);
        uint32_t node = zone_find(z, &name);
        if (node == ZONE_NONE) {
            add_soa_authority(r, z);
            st->nxdomain++;
            return DNS_RCODE_NXDOMAIN;
        }
        bool is_cname = zone_node_at(z, node)->flags & ZONE_NODE_CNAME;
        if (!is_cname || q->q.type == DNS_TYPE_CNAME || q->q.type == DNS_TYPE_ANY)
            return answer_node(r, z, node, q->q.type, &owner, st);
        if (!follow_cname(r, z, node, &name, &owner)) {
            st->noerror++;
            return DNS_RCODE_NOERROR;
        }
    }
    st->cname_chain_too_long++;
    return DNS_RCODE_NOERROR;
}

/* Questions we do not answer from the zone: the rcode, or NOERROR to go on. */
static unsigned screen_question(const struct dns_zone *z, const struct query *q,
                                struct dns_answer_stats *st)
{
    uint16_t type = q->q.type;
    if (type == DNS_TYPE_OPT) {
        st->formerr++;
        return DNS_RCODE_FORMERR;
    }
    if ((q->q.class_ != DNS_CLASS_IN && q->q.class_ != DNS_CLASS_ANY) || type == DNS_TYPE_AXFR ||
        type == DNS_TYPE_IXFR || !dns_name_is_subdomain(&q->lower, &z->origin)) {
        st->refused++;
        return DNS_RCODE_REFUSED;
    }
    return DNS_RCODE_NOERROR;
}

/* --- The response --------------------------------------------------------------------------- */

static void reply_start(struct reply *r, uint8_t *out, size_t cap, const struct dns_hdr *qh)
{
    dns_emit_init(&r->e, out, cap);
    r->hdr = (struct dns_hdr){
        .id = qh->id,
        .flags =
            (uint16_t)(DNS_FLAG_QR | (qh->flags & (DNS_OPCODE_MASK | DNS_FLAG_RD | DNS_FLAG_CD))),
    };
    r->truncated = false;
    r->after_question = r->e.len;
    r->names_after_question = 0;
}

/* Header (and OPT when the query had one); an answer that did not fit goes out empty with TC. */
static size_t finish(struct reply *r, size_t cap, const struct query *q, unsigned rcode)
{
    if (r->truncated) {
        r->e.len = r->after_question;
        r->e.nnames = r->names_after_question;
        r->hdr.ancount = r->hdr.nscount = r->hdr.arcount = 0;
        r->hdr.flags |= DNS_FLAG_TC;
    }
    if (q && q->edns) {
        r->e.cap = cap;
        if (dns_emit_opt(&r->e, DNS_ANSWER_EDNS_MAX, (uint8_t)(rcode >> 4), 0) == 0)
            r->hdr.arcount++;
    }
    r->hdr.flags |= (uint16_t)(rcode & DNS_RCODE_MASK);
    dns_hdr_emit(r->e.buf, DNS_HDR_LEN, &r->hdr);
    return r->e.len;
}

/* The largest answer the client takes, with room kept for our OPT record. */
static size_t answer_limit(const struct query *q)
{
    if (!q->edns)
        return DNS_UDP_MIN;
    size_t size = q->opt.udp_size;
    size = size < DNS_UDP_MIN           ? DNS_UDP_MIN
           : size > DNS_ANSWER_EDNS_MAX ? DNS_ANSWER_EDNS_MAX
                                        : size;
    return size - OPT_RR_LEN;
}

static size_t answer_question(const struct dns_zone *z, struct query *q, struct reply *r,
                              size_t cap, bool stream, struct dns_answer_stats *st)
{
    if (q->edns)
        st->edns++;
    if (q->edns && q->opt.version != 0) {
        st->badvers++;
        return finish(r, cap, q, DNS_RCODE_BADVERS);
    }
    /* Over TCP the message may take all of (cap), less the room our OPT needs. */
    dns_emit_set_limit(&r->e, stream ? cap - (q->edns ? OPT_RR_LEN : 0) : answer_limit(q));
    if (dns_emit_question(&r->e, &q->q) != 0) {
        st->drop_no_space++;
        return 0;
    }
    r->hdr.qdcount = 1;
    r->after_question = r->e.len;
    r->names_after_question = r->e.nnames;
    unsigned rcode = screen_question(z, q, st);
    if (rcode == DNS_RCODE_NOERROR)
        rcode = resolve(r, z, q, st);
    if (r->truncated)
        st->truncated++;
    return finish(r, cap, q, rcode);
}

static size_t answer(const struct dns_zone *z, const uint8_t *query, size_t qlen, uint8_t *out,
                     size_t cap, bool stream, struct dns_answer_stats *st)
{
    struct query q;
    if (cap < DNS_HDR_LEN + (stream ? OPT_RR_LEN : 0)) {
        st->drop_no_space++;
        return 0;
    }
    if (dns_hdr_parse(query, qlen, &q.hdr) != 0) {
        st->drop_short++;
        return 0;
    }
    if (q.hdr.flags & DNS_FLAG_QR) {
        st->drop_response++; /* never answer an answer: no reflection loops */
        return 0;
    }
    st->queries++;
    struct reply r;
    reply_start(&r, out, cap, &q.hdr);
    if (dns_hdr_opcode(&q.hdr) != DNS_OPCODE_QUERY) {
        st->notimp++;
        return finish(&r, cap, NULL, DNS_RCODE_NOTIMP);
    }
    if (parse_query(query, qlen, &q) != 0) {
        st->formerr++;
        return finish(&r, cap, NULL, DNS_RCODE_FORMERR);
    }
    return answer_question(z, &q, &r, cap, stream, st);
}

size_t dns_answer(const struct dns_zone *z, const uint8_t *query, size_t qlen, uint8_t *out,
                  size_t cap, struct dns_answer_stats *st)
{
    return answer(z, query, qlen, out, cap, false, st);
}

size_t dns_answer_stream(const struct dns_zone *z, const uint8_t *query, size_t qlen, uint8_t *out,
                         size_t cap, struct dns_answer_stats *st)
{
    return answer(z, query, qlen, out, cap, true, st);
}
