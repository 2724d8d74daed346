/*
 * libFuzzer harness for the DNS wire code and the DNS service's answering logic.
 *
 * For each input, taken as a DNS message:
 *  1. parse it whole (header, questions, records); every decoded name must survive the trip to
 *     presentation form and back unchanged;
 *  2. emit what was parsed again, with compression, and parse that: the second parse must give
 *     the same questions and records (names, types, decoded rdata, raw rdata for other types);
 *  3. hand it to dns_answer() of examples/dns as a query against a small zone (synthetic
 *     records and a zone file): the answer, if any, must be a well-formed response that fits
 *     the size the query allows.
 * The example's sources are compiled in, as in tests/unit/test_dns_server.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "dns_service.h"
#include "zone.h"
#include "zonefile.h"
#include "unic/wire/bytes.h"

#define MAX_ITEMS 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dns_zone zone;

static const char zone_text[] = "$ORIGIN example.\n"
                                "@ SOA ns1 hostmaster 1 3600 600 86400 60\n"
                                "@ NS ns1\n"
                                "@ MX 10 mail\n"
                                "ns1 A 10.0.0.53\n"
                                "mail A 10.0.0.25\n"
                                "mail AAAA 2001:db8::25\n"
                                "www A 10.0.0.80\n"
                                "alias CNAME www\n"
                                "loop CNAME loop\n"
                                "t TXT \"hello\" \"world\"\n"
                                "sub NS ns.sub\n"
                                "ns.sub A 10.0.0.77\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static const uint8_t key[16] = {42};
    struct dns_service_args a = {.records = 1000, .records_given = true, .zone_file = "fuzz"};
    char err[256];
    zone_init(&zone, key, ZONE_DEFAULT_BUDGET);
    if (dns_service_build_zone(&zone, &a, zone_text, strlen(zone_text), err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        abort();
    }
    return 0;
}

struct message {
    struct dns_hdr h;
    unsigned nq, nrr;
    struct dns_question q[MAX_ITEMS];
    struct dns_rr rr[MAX_ITEMS];
};

static void check_name_text(const struct dns_name *n)
{
    char text[DNS_MAX_NAME_TEXT];
    struct dns_name back;
    int len = dns_name_to_text(n, text, sizeof(text));
    if (len < 0 || dns_name_from_text(text, (size_t)len, NULL, &back) != 0 || back.len != n->len ||
        back.labels != n->labels || memcmp(back.wire, n->wire, n->len) != 0)
        abort();
}

/* Parse up to MAX_ITEMS questions and records; stops at the first error. */
static int parse_message(const uint8_t *msg, size_t len, struct message *m)
{
    size_t pos = DNS_HDR_LEN;
    m->nq = m->nrr = 0;
    int err = dns_hdr_parse(msg, len, &m->h);
    for (unsigned i = 0; !err && i < m->h.qdcount && m->nq < MAX_ITEMS; i++)
        err = dns_question_parse(msg, len, pos, &m->q[m->nq++], &pos);
    unsigned total = (unsigned)m->h.ancount + m->h.nscount + m->h.arcount;
    for (unsigned i = 0; !err && i < total && m->nrr < MAX_ITEMS; i++)
        err = dns_rr_parse(msg, len, pos, &m->rr[m->nrr++], &pos);
    if (err) { /* the failed item is not part of the message */
        if (m->nrr)
            m->nrr--;
        else if (m->nq)
            m->nq--;
    }
    return err;
}

static bool same_rdata(const struct dns_rr *a, const struct dns_rr *b)
{
    switch (a->type) {
    case DNS_TYPE_A:
        return memcmp(a->u.a, b->u.a, 4) == 0;
    case DNS_TYPE_AAAA:
        return memcmp(a->u.aaaa, b->u.aaaa, 16) == 0;
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_PTR:
        return dns_name_equal(&a->u.target, &b->u.target);
    case DNS_TYPE_MX:
        return a->u.mx.preference == b->u.mx.preference &&
               dns_name_equal(&a->u.mx.exchange, &b->u.mx.exchange);
    case DNS_TYPE_SOA:
        return dns_name_equal(&a->u.soa.mname, &b->u.soa.mname) &&
               dns_name_equal(&a->u.soa.rname, &b->u.soa.rname) &&
               a->u.soa.serial == b->u.soa.serial && a->u.soa.minimum == b->u.soa.minimum;
    case DNS_TYPE_OPT:
        return b->rdlength == 0 && a->u.opt.udp_size == b->u.opt.udp_size; /* options dropped */
    default:
        return a->rdlength == b->rdlength && memcmp(a->rdata, b->rdata, a->rdlength) == 0;
    }
}

/* Emit (m) again and check that it parses back to the same content. */
static void check_reemit(const struct message *m)
{
    static uint8_t buf[1 << 17];
    static struct message back;
    struct dns_emitter e;
    dns_emit_init(&e, buf, sizeof(buf));
    for (unsigned i = 0; i < m->nq; i++)
        if (dns_emit_question(&e, &m->q[i]) != 0)
            return;
    for (unsigned i = 0; i < m->nrr; i++)
        if (dns_emit_rr(&e, &m->rr[i]) != 0)
            return;
    struct dns_hdr h = {.id = m->h.id, .qdcount = (uint16_t)m->nq, .ancount = (uint16_t)m->nrr};
    dns_hdr_emit(buf, sizeof(buf), &h);
    if (parse_message(buf, e.len, &back) != 0 || back.nq != m->nq || back.nrr != m->nrr)
        abort();
    for (unsigned i = 0; i < m->nq; i++)
        if (!dns_name_equal(&back.q[i].name, &m->q[i].name) || back.q[i].type != m->q[i].type)
            abort();
    for (unsigned i = 0; i < m->nrr; i++) {
        const struct dns_rr *a = &m->rr[i], *b = &back.rr[i];
        if (!dns_name_equal(&a->name, &b->name) || a->type != b->type || a->ttl != b->ttl ||
            !same_rdata(a, b))
            abort();
    }
}

/* The service's answer must be a well-formed response within the query's size limit. */
static void check_answer(const uint8_t *query, size_t size)
{
    static uint8_t out[DNS_ANSWER_EDNS_MAX];
    static struct message resp;
    static struct dns_answer_stats st;
    size_t n = dns_answer(&zone, query, size, out, sizeof(out), &st);
    if (n == 0)
        return;
    if (n > DNS_ANSWER_EDNS_MAX || parse_message(out, n, &resp) != 0 ||
        !(resp.h.flags & DNS_FLAG_QR) || resp.h.id != rd16(query))
        abort();
    bool edns = resp.nrr > 0 && resp.rr[resp.nrr - 1].type == DNS_TYPE_OPT;
    if (!edns && n > DNS_UDP_MIN)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so that ASan catches any read past the end. */
    uint8_t *msg = malloc(size ? size : 1);
    static struct message m;
    memcpy(msg, data, size);
    parse_message(msg, size, &m);
    for (unsigned i = 0; i < m.nq; i++)
        check_name_text(&m.q[i].name);
    for (unsigned i = 0; i < m.nrr; i++)
        check_name_text(&m.rr[i].name);
    check_reemit(&m);
    check_answer(msg, size);
    free(msg);
    return 0;
}
