/*
 * Zone transfer messages: see xfr.h.
 *
 * dns_xfr_request -> parse (header, question, IXFR's SOA, OPT) -> dns_xfr_next -> peek the next
 * record (SOA, records in node order without the SOA, SOA) -> emit -> advance.
 */
#include "xfr.h"

#include <string.h>

#include "answer.h"

#include "unic/wire/bytes.h"
#include "unic/wire/wire.h"

#define OPT_RR_LEN 11 /* root name + fixed fields, no options */

/* The sections after the question: IXFR's SOA in authority (its serial into (*serial)), at
 * most one OPT of version 0 in additional, nothing after. False when malformed. */
static bool parse_rest(const uint8_t *msg, size_t len, size_t pos, const struct dns_hdr *h,
                       struct dns_xfr *x, bool *have_serial, uint32_t *serial)
{
    if (h->ancount != 0)
        return false;
    *have_serial = false;
    for (unsigned i = 0; i < (unsigned)h->nscount + h->arcount; i++) {
        struct dns_rr rr;
        if (dns_rr_parse(msg, len, pos, &rr, &pos) != 0)
            return false;
        if (i < h->nscount) {
            if (rr.type == DNS_TYPE_SOA) {
                *have_serial = true;
                *serial = rr.u.soa.serial;
            }
        } else if (rr.type == DNS_TYPE_OPT) {
            if (x->edns || rr.u.opt.version != 0)
                return false; /* two OPTs or BADVERS: dns_answer_stream says so */
            x->edns = true;
        }
    }
    return pos == len;
}

/* RFC 1982: serial (a) is at or after (b). */
static bool serial_at_or_after(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) >= 0;
}

static uint32_t zone_serial(const struct dns_zone *z)
{
    const struct zone_rr *soa = zone_rr_at(z, z->soa_rr);
    return rd32(zone_rdata(z, soa) + soa->rdlength - 20);
}

enum dns_xfr_kind dns_xfr_request(const struct dns_zone *z, const uint8_t *msg, size_t len,
                                  struct dns_xfr *x)
{
    struct dns_hdr h;
    size_t pos;
    if (dns_hdr_parse(msg, len, &h) != 0 || (h.flags & DNS_FLAG_QR) ||
        dns_hdr_opcode(&h) != DNS_OPCODE_QUERY || h.qdcount != 1)
        return DNS_XFR_NONE;
    memset(x, 0, sizeof(*x));
    if (dns_question_parse(msg, len, DNS_HDR_LEN, &x->q, &pos) != 0 ||
        (x->q.type != DNS_TYPE_AXFR && x->q.type != DNS_TYPE_IXFR) || x->q.class_ != DNS_CLASS_IN)
        return DNS_XFR_NONE;
    struct dns_name lower = x->q.name;
    dns_name_lower(&lower);
    bool have_serial;
    uint32_t serial = 0;
    if (!dns_name_equal(&lower, &z->origin) ||
        !parse_rest(msg, len, pos, &h, x, &have_serial, &serial))
        return DNS_XFR_NONE;
    x->id = h.id;
    x->flags = h.flags & (DNS_FLAG_RD | DNS_FLAG_CD);
    x->kind = x->q.type == DNS_TYPE_IXFR ? DNS_XFR_IXFR : DNS_XFR_AXFR;
    x->soa_only =
        x->kind == DNS_XFR_IXFR && have_serial && serial_at_or_after(serial, zone_serial(z));
    x->phase = DNS_XFR_SOA_FIRST;
    return x->kind;
}

/* The record that comes next (its index and its owner node); skips the SOA and the nodes
 * that own nothing. False when the transfer is complete. */
static bool peek(const struct dns_zone *z, struct dns_xfr *x, uint32_t *rr, uint32_t *node)
{
    while (x->phase == DNS_XFR_RECORDS) {
        if (x->rr == ZONE_NONE) {
            if (++x->node >= z->nnodes)
                x->phase = DNS_XFR_SOA_LAST;
            else
                x->rr = zone_node_at(z, x->node)->first_rr;
        } else if (x->rr == z->soa_rr) {
            x->rr = zone_rr_at(z, x->rr)->next;
        } else {
            *rr = x->rr;
            *node = x->node;
            return true;
        }
    }
    if (x->phase == DNS_XFR_DONE)
        return false;
    *rr = z->soa_rr;
    *node = z->soa_node;
    return true;
}

static void advance(const struct dns_zone *z, struct dns_xfr *x)
{
    switch (x->phase) {
    case DNS_XFR_SOA_FIRST:
        if (x->soa_only || z->nnodes == 0) {
            x->phase = DNS_XFR_DONE;
            break;
        }
        x->phase = DNS_XFR_RECORDS;
        x->node = 0;
        x->rr = zone_node_at(z, 0)->first_rr;
        break;
    case DNS_XFR_RECORDS:
        x->rr = zone_rr_at(z, x->rr)->next;
        break;
    default:
        x->phase = DNS_XFR_DONE;
        break;
    }
    x->records++;
}

static int emit_record(const struct dns_zone *z, struct dns_emitter *e, uint32_t rr, uint32_t node)
{
    struct dns_name owner;
    struct dns_rr out;
    const struct zone_rr *zr = zone_rr_at(z, rr);
    zone_node_name(z, node, &owner);
    zone_rr_decode(z, zr, &owner, zr->ttl, &out);
    return dns_emit_rr(e, &out);
}

/* As many records as fit under the emitter's limit; the first one may use up to (hard). False
 * when that one does not fit even there. */
static bool fill(const struct dns_zone *z, struct dns_xfr *x, struct dns_emitter *e,
                 struct dns_hdr *h, size_t hard)
{
    uint32_t rr, node;
    while (peek(z, x, &rr, &node)) {
        if (emit_record(z, e, rr, node) != 0) {
            if (h->ancount > 0)
                return true;
            e->cap = hard; /* a record larger than (soft) goes alone */
            if (emit_record(z, e, rr, node) != 0)
                return false;
            h->ancount++;
            advance(z, x);
            return true;
        }
        h->ancount++;
        advance(z, x);
        if (h->ancount == UINT16_MAX)
            break;
    }
    return true;
}

size_t dns_xfr_next(const struct dns_zone *z, struct dns_xfr *x, uint8_t *out, size_t cap,
                    size_t soft)
{
    if (x->phase == DNS_XFR_DONE || cap < DNS_HDR_LEN + OPT_RR_LEN)
        return 0;
    size_t reserve = x->edns ? OPT_RR_LEN : 0;
    struct dns_emitter e;
    dns_emit_init(&e, out, cap - reserve);
    dns_emit_set_limit(&e, (soft < cap ? soft : cap) - reserve);
    struct dns_hdr h = {.id = x->id, .flags = (uint16_t)(DNS_FLAG_QR | DNS_FLAG_AA | x->flags)};
    if (x->messages == 0 && dns_emit_question(&e, &x->q) == 0)
        h.qdcount = 1;
    size_t after_question = e.len;
    if (!fill(z, x, &e, &h, cap - reserve)) {
        e.len = after_question; /* a record no message holds: the transfer fails here */
        h.ancount = 0;
        h.flags |= DNS_RCODE_SERVFAIL;
        x->phase = DNS_XFR_DONE;
    }
    e.cap = cap;
    if (x->edns && dns_emit_opt(&e, DNS_ANSWER_EDNS_MAX, 0, 0) == 0)
        h.arcount = 1;
    dns_hdr_emit(out, cap, &h);
    x->messages++;
    return e.len;
}
