/* The DNS service logic of examples/dns, called directly (no network): zone loading (synthetic
 * records and zone files), answers, NXDOMAIN + SOA, NODATA, REFUSED, FORMERR, NOTIMP, BADVERS,
 * TC at 512 bytes without EDNS and at the EDNS size, CNAME chains, referrals, additional
 * addresses. The example's sources are compiled into this test (tests link only the OS). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "answer.h"
#include "unic/wire/bytes.h"
#include "dns_service.h"
#include "zone.h"
#include "zonefile.h"

static const uint8_t test_key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static const char test_zone[] = "$ORIGIN example.net.\n"
                                "$TTL 1h\n"
                                "@      IN SOA ns1 hostmaster 2024 3600 600 86400 120 ; apex\n"
                                "@         NS    ns1\n"
                                "@         MX    10 mail\n"
                                "ns1   300 IN A  192.0.2.53\n"
                                "mail      A     192.0.2.25\n"
                                "          AAAA  2001:db8::25\n"
                                "www       A     192.0.2.80\n"
                                "alias     CNAME www\n"
                                "chain     CNAME alias\n"
                                "out       CNAME www.elsewhere.org.\n"
                                "loop1     CNAME loop2\n"
                                "loop2     CNAME loop1\n"
                                "text      TXT   \"hello world\" plain \"\\\"q\\\"\"\n"
                                "deep.a.b  A     192.0.2.99\n"
                                "sub       NS    ns.sub\n"
                                "ns.sub    A     192.0.2.77\n"
                                "\n"
                                "; a comment line\n";

struct fixture {
    struct dns_zone zone;
    struct dns_answer_stats st;
    uint8_t out[DNS_ANSWER_EDNS_MAX];
    size_t len;
};

struct parsed {
    struct dns_hdr h;
    struct dns_question q;
    struct dns_rr rr[64];
    unsigned nrr;
    bool have_opt;
    struct dns_opt opt;
};

/* The dns service's words (argv[0] is the program name) as the OS parses them. */
static int parse_dns_args(int argc, char **argv, struct dns_service_args *a, char *err,
                          size_t errlen)
{
    static struct option_set o;
    int r = options_parse(&o, dns_service_options, DNS_SERVICE_OPTION_COUNT, 0, argc - 1, argv + 1,
                          err, errlen);
    if (r == 0)
        dns_service_args_from(&o, false, a);
    return r;
}

static int setup_file_zone(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof(f));
    zone_init(&f.zone, test_key, ZONE_DEFAULT_BUDGET);
    char err[256] = "";
    struct dns_service_args a = {.records = 0, .zone_file = "test.zone", .port = 53};
    int rc = dns_service_build_zone(&f.zone, &a, test_zone, strlen(test_zone), err, sizeof(err));
    if (rc)
        print_error("zone: %s\n", err);
    assert_int_equal(rc, 0);
    *state = &f;
    return 0;
}

static int setup_synthetic(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof(f));
    zone_init(&f.zone, test_key, ZONE_DEFAULT_BUDGET);
    char err[256] = "";
    char *argv[] = {"dns", NULL};
    struct dns_service_args a;
    assert_int_equal(parse_dns_args(1, argv, &a, err, sizeof(err)), 0);
    assert_int_equal(a.records, 10000);
    assert_int_equal(dns_service_build_zone(&f.zone, &a, NULL, 0, err, sizeof(err)), 0);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    zone_destroy(&f->zone);
    return 0;
}

/* A query for (name, type); (edns_size) 0: no OPT. */
static size_t make_query(uint8_t *buf, size_t cap, const char *name, uint16_t type,
                         uint16_t edns_size, uint8_t edns_version)
{
    struct dns_emitter e;
    dns_emit_init(&e, buf, cap);
    struct dns_question q = {.type = type, .class_ = DNS_CLASS_IN};
    assert_int_equal(dns_name_from_text(name, strlen(name), NULL, &q.name), 0);
    assert_int_equal(dns_emit_question(&e, &q), 0);
    struct dns_hdr h = {.id = 0x1234, .flags = DNS_FLAG_RD, .qdcount = 1};
    if (edns_size) {
        assert_int_equal(dns_emit_opt(&e, edns_size, 0, 0), 0);
        buf[e.len - 5] = edns_version; /* the TTL's second byte */
        h.arcount = 1;
    }
    dns_hdr_emit(buf, cap, &h);
    return e.len;
}

/* Parse the whole response with the wire code: it must always be well formed. */
static void parse_response(const uint8_t *msg, size_t len, struct parsed *p)
{
    memset(p, 0, sizeof(*p));
    size_t pos = DNS_HDR_LEN;
    assert_int_equal(dns_hdr_parse(msg, len, &p->h), 0);
    assert_true(p->h.flags & DNS_FLAG_QR);
    if (p->h.qdcount)
        assert_int_equal(dns_question_parse(msg, len, pos, &p->q, &pos), 0);
    unsigned total = (unsigned)p->h.ancount + p->h.nscount + p->h.arcount;
    assert_true(total <= 64);
    for (unsigned i = 0; i < total; i++) {
        assert_int_equal(dns_rr_parse(msg, len, pos, &p->rr[i], &pos), 0);
        if (p->rr[i].type == DNS_TYPE_OPT) {
            p->have_opt = true;
            p->opt = p->rr[i].u.opt;
        }
    }
    assert_int_equal(pos, len);
    p->nrr = total;
}

static void ask_raw(struct fixture *f, const uint8_t *q, size_t qlen, struct parsed *p)
{
    f->len = dns_answer(&f->zone, q, qlen, f->out, sizeof(f->out), &f->st);
    assert_true(f->len >= DNS_HDR_LEN);
    parse_response(f->out, f->len, p);
    assert_int_equal(p->h.id, rd16(q));
}

static void ask(struct fixture *f, const char *name, uint16_t type, uint16_t edns, struct parsed *p)
{
    uint8_t q[512];
    size_t n = make_query(q, sizeof(q), name, type, edns, 0);
    ask_raw(f, q, n, p);
}

static bool name_is(const struct dns_name *n, const char *text)
{
    struct dns_name want;
    return dns_name_from_text(text, strlen(text), NULL, &want) == 0 && dns_name_equal(n, &want);
}

/* --- Synthetic zone ------------------------------------------------------------------------- */

static void test_synthetic_answer(void **state)
{
    struct fixture *f = *state;
    struct parsed p;
    ask(f, "host4242.example.", DNS_TYPE_A, 0, &p);
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_NOERROR);
    assert_true(p.h.flags & DNS_FLAG_AA);
    assert_true(p.h.flags & DNS_FLAG_RD); /* copied */
    assert_false(p.h.flags & DNS_FLAG_RA);
    assert_int_equal(p.h.ancount, 1);
    assert_true(name_is(&p.rr[0].name, "host4242.example."));
    assert_memory_equal(p.rr[0].u.a, ((uint8_t[]){10, 128, 16, 146}), 4); /* 10.128.0.0+4242 */
    assert_int_equal(f->len, DNS_HDR_LEN + 22 + 16); /* owner compressed to a pointer */
    for (uint32_t i = 0; i < 10000; i += 997) {
        char name[32];
        snprintf(name, sizeof(name), "HOST%u.EXAMPLE.", (unsigned)i); /* case-insensitive */
        ask(f, name, DNS_TYPE_A, 0, &p);
        assert_int_equal(p.h.ancount, 1);
        assert_int_equal(rd32(p.rr[0].u.a), DNS_SERVICE_SYNTH_BASE + i);
        assert_true(name_is(&p.q.name, name)); /* the question keeps the client's case */
    }
    ask(f, "host10000.example.", DNS_TYPE_A, 0, &p);
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_NXDOMAIN);
    assert_int_equal(zone_record_count(&f->zone), 20002); /* A and AAAA each, + SOA and NS */
}

/* Every synthetic host has an AAAA too: fd00:10:128:: + i. */
static void test_synthetic_aaaa(void **state)
{
    struct fixture *f = *state;
    struct parsed p;
    ask(f, "host4242.example.", DNS_TYPE_AAAA, 0, &p);
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_NOERROR);
    assert_true(p.h.flags & DNS_FLAG_AA);
    assert_int_equal(p.h.ancount, 1);
    assert_int_equal(p.rr[0].type, DNS_TYPE_AAAA);
    static const uint8_t want[16] = {0xfd, 0, 0, 0x10, 0x01, 0x28, 0,    0,
                                     0,    0, 0, 0,    0,    0,    0x10, 0x92};
    assert_memory_equal(p.rr[0].u.aaaa, want, 16); /* fd00:10:128::1092 (4242) */
    for (uint32_t i = 0; i < 10000; i += 997) {
        char name[32];
        uint8_t addr[16];
        snprintf(name, sizeof(name), "host%u.example.", (unsigned)i);
        ask(f, name, DNS_TYPE_AAAA, 0, &p);
        assert_int_equal(p.h.ancount, 1);
        dns_service_synth_addr6(i, addr);
        assert_memory_equal(p.rr[0].u.aaaa, addr, 16);
    }
    ask(f, "host1.example.", DNS_TYPE_ANY, 0, &p); /* ANY: both */
    assert_int_equal(p.h.ancount, 2);
    ask(f, "host10000.example.", DNS_TYPE_AAAA, 0, &p);
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_NXDOMAIN);
}

static void test_nxdomain_has_soa(void **state)
{
    struct fixture *f = *state;
    struct parsed p;
    ask(f, "nohost.example.", DNS_TYPE_A, 0, &p);
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_NXDOMAIN);
    assert_true(p.h.flags & DNS_FLAG_AA);
    assert_int_equal(p.h.ancount, 0);
    assert_int_equal(p.h.nscount, 1);
    assert_int_equal(p.rr[0].type, DNS_TYPE_SOA);
    assert_true(name_is(&p.rr[0].name, "example."));
    assert_int_equal(p.rr[0].ttl, 60); /* min(3600, minimum 60) */
    assert_int_equal(f->st.nxdomain, 1);
}

static void test_refused_outside_zone(void **state)
{
    struct fixture *f = *state;
    struct parsed p;
    ask(f, "www.example.com.", DNS_TYPE_A, 0, &p);
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_REFUSED);
    assert_false(p.h.flags & DNS_FLAG_AA);
    assert_int_equal(p.h.qdcount, 1);
    assert_int_equal(p.nrr, 0);
    ask(f, "xexample.", DNS_TYPE_A, 0, &p); /* a suffix, but not at a label boundary */
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_REFUSED);
    ask(f, "example.", DNS_TYPE_AXFR, 0, &p);
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_REFUSED);
    uint8_t q[512];
    size_t n = make_query(q, sizeof(q), "host1.example.", DNS_TYPE_A, 0, 0);
    q[n - 1] = 3; /* class CH */
    ask_raw(f, q, n, &p);
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_REFUSED);
    assert_int_equal(f->st.refused, 4);
}

static void test_formerr(void **state)
{
    struct fixture *f = *state;
    struct parsed p;
    uint8_t q[512];
    size_t n = make_query(q, sizeof(q), "host1.example.", DNS_TYPE_A, 0, 0);
    q[5] = 2; /* qdcount 2, one question */
    ask_raw(f, q, n, &p);
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_FORMERR);
    assert_int_equal(p.h.qdcount, 0);
    q[5] = 0; /* no question */
    ask_raw(f, q, n, &p);
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_FORMERR);
    q[5] = 1;
    for (size_t cut = DNS_HDR_LEN; cut < n; cut++) { /* the question cut short anywhere */
        ask_raw(f, q, cut, &p);
        assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_FORMERR);
    }
    q[n] = 0xff; /* trailing garbage */
    ask_raw(f, q, n + 1, &p);
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_FORMERR);
    uint8_t loop[] = {0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1};
    ask_raw(f, loop, sizeof(loop), &p); /* a question whose name points at itself */
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_FORMERR);
    /* Two OPT records. */
    n = make_query(q, sizeof(q), "host1.example.", DNS_TYPE_A, 1232, 0);
    memcpy(q + n, q + n - 11, 11);
    q[11] = 2;
    ask_raw(f, q, n + 11, &p);
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_FORMERR);
    ask(f, "host1.example.", DNS_TYPE_OPT, 0, &p); /* OPT is no question type */
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_FORMERR);
}

static void test_notimp_and_drops(void **state)
{
    struct fixture *f = *state;
    struct parsed p;
    uint8_t q[512];
    size_t n = make_query(q, sizeof(q), "host1.example.", DNS_TYPE_A, 0, 0);
    q[2] |= (uint8_t)(DNS_OPCODE_STATUS << 3);
    ask_raw(f, q, n, &p);
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_NOTIMP);
    assert_int_equal(dns_hdr_opcode(&p.h), DNS_OPCODE_STATUS);
    assert_int_equal(f->st.notimp, 1);
    /* Responses and runts get nothing back. */
    n = make_query(q, sizeof(q), "host1.example.", DNS_TYPE_A, 0, 0);
    q[2] |= 0x80;
    assert_int_equal(dns_answer(&f->zone, q, n, f->out, sizeof(f->out), &f->st), 0);
    assert_int_equal(dns_answer(&f->zone, q, 11, f->out, sizeof(f->out), &f->st), 0);
    assert_int_equal(dns_answer(&f->zone, q, n, f->out, 11, &f->st), 0);
    assert_int_equal(f->st.drop_response, 1);
    assert_int_equal(f->st.drop_short, 1);
    assert_int_equal(f->st.drop_no_space, 1);
}

static void test_edns(void **state)
{
    struct fixture *f = *state;
    struct parsed p;
    ask(f, "host7.example.", DNS_TYPE_A, 4096, &p);
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_NOERROR);
    assert_int_equal(p.h.ancount, 1);
    assert_int_equal(p.h.arcount, 1);
    assert_true(p.have_opt);
    assert_int_equal(p.opt.udp_size, DNS_ANSWER_EDNS_MAX);
    assert_int_equal(p.opt.version, 0);
    uint8_t q[512];
    size_t n = make_query(q, sizeof(q), "host7.example.", DNS_TYPE_A, 1232, 1);
    ask_raw(f, q, n, &p);
    assert_true(p.have_opt);
    assert_int_equal(((unsigned)p.opt.ext_rcode << 4) | dns_hdr_rcode(&p.h), DNS_RCODE_BADVERS);
    assert_int_equal(p.h.ancount, 0);
    assert_int_equal(f->st.badvers, 1);
    /* EDNS on a negative answer: OPT after the SOA. */
    ask(f, "missing.example.", DNS_TYPE_A, 1232, &p);
    assert_int_equal(p.h.nscount, 1);
    assert_int_equal(p.h.arcount, 1);
    assert_int_equal(p.rr[1].type, DNS_TYPE_OPT);
}

/* --- Zone file ------------------------------------------------------------------------------ */

static void test_zone_file_answers(void **state)
{
    struct fixture *f = *state;
    struct parsed p;
    ask(f, "ns1.example.net.", DNS_TYPE_A, 0, &p);
    assert_int_equal(p.h.ancount, 1);
    assert_int_equal(p.rr[0].ttl, 300);
    assert_memory_equal(p.rr[0].u.a, ((uint8_t[]){192, 0, 2, 53}), 4);
    ask(f, "mail.example.net.", DNS_TYPE_AAAA, 0, &p);
    assert_int_equal(p.h.ancount, 1);
    assert_int_equal(p.rr[0].ttl, 3600);
    assert_memory_equal(p.rr[0].u.aaaa, ((uint8_t[]){0x20, 0x01, 0x0d, 0xb8, [15] = 0x25}), 16);
    ask(f, "text.example.net.", DNS_TYPE_TXT, 0, &p);
    assert_int_equal(p.h.ancount, 1);
    assert_int_equal(p.rr[0].rdlength, 12 + 6 + 4);
    assert_memory_equal(p.rr[0].rdata, "\x0bhello world\x05plain\x03\"q\"", 22);
    ask(f, "example.net.", DNS_TYPE_SOA, 0, &p);
    assert_int_equal(p.h.ancount, 1);
    assert_true(name_is(&p.rr[0].u.soa.mname, "ns1.example.net."));
    assert_true(name_is(&p.rr[0].u.soa.rname, "hostmaster.example.net."));
    assert_int_equal(p.rr[0].u.soa.serial, 2024);
    assert_int_equal(p.rr[0].u.soa.minimum, 120);
    ask(f, "example.net.", DNS_TYPE_ANY, 0, &p);
    assert_int_equal(p.h.ancount, 3); /* SOA, NS, MX */
}

static void test_additional_addresses(void **state)
{
    struct fixture *f = *state;
    struct parsed p;
    ask(f, "example.net.", DNS_TYPE_MX, 0, &p);
    assert_int_equal(p.h.ancount, 1);
    assert_int_equal(p.rr[0].u.mx.preference, 10);
    assert_true(name_is(&p.rr[0].u.mx.exchange, "mail.example.net."));
    assert_int_equal(p.h.arcount, 2); /* mail's A and AAAA */
    assert_int_equal(p.rr[1].type, DNS_TYPE_A);
    assert_int_equal(p.rr[2].type, DNS_TYPE_AAAA);
    ask(f, "example.net.", DNS_TYPE_NS, 0, &p);
    assert_int_equal(p.h.arcount, 1);
    assert_true(name_is(&p.rr[1].name, "ns1.example.net."));
}

static void test_nodata_and_empty_non_terminal(void **state)
{
    struct fixture *f = *state;
    struct parsed p;
    ask(f, "www.example.net.", DNS_TYPE_AAAA, 0, &p);
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_NOERROR);
    assert_int_equal(p.h.ancount, 0);
    assert_int_equal(p.h.nscount, 1);
    assert_int_equal(p.rr[0].type, DNS_TYPE_SOA);
    assert_int_equal(p.rr[0].ttl, 120);
    ask(f, "b.example.net.", DNS_TYPE_A, 0, &p); /* exists only as deep.a.b's ancestor */
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_NOERROR);
    assert_int_equal(p.h.ancount, 0);
    ask(f, "a.b.example.net.", DNS_TYPE_A, 0, &p);
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_NOERROR);
    ask(f, "c.b.example.net.", DNS_TYPE_A, 0, &p);
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_NXDOMAIN);
    ask(f, "deep.a.b.example.net.", DNS_TYPE_A, 0, &p);
    assert_int_equal(p.h.ancount, 1);
    assert_int_equal(f->st.nodata, 3);
}

static void test_cname_chains(void **state)
{
    struct fixture *f = *state;
    struct parsed p;
    ask(f, "chain.example.net.", DNS_TYPE_A, 0, &p);
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_NOERROR);
    assert_int_equal(p.h.ancount, 3); /* chain -> alias -> www A */
    assert_int_equal(p.rr[0].type, DNS_TYPE_CNAME);
    assert_true(name_is(&p.rr[0].u.target, "alias.example.net."));
    assert_true(name_is(&p.rr[1].name, "alias.example.net."));
    assert_int_equal(p.rr[2].type, DNS_TYPE_A);
    assert_true(name_is(&p.rr[2].name, "www.example.net."));
    ask(f, "alias.example.net.", DNS_TYPE_CNAME, 0, &p); /* the CNAME itself */
    assert_int_equal(p.h.ancount, 1);
    ask(f, "out.example.net.", DNS_TYPE_A, 0, &p); /* leaves the zone: stop there */
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_NOERROR);
    assert_int_equal(p.h.ancount, 1);
    assert_true(p.h.flags & DNS_FLAG_AA);
    ask(f, "loop1.example.net.", DNS_TYPE_A, 0, &p); /* bounded */
    assert_int_equal(p.h.ancount, DNS_ANSWER_MAX_CNAME_CHAIN + 1);
    assert_int_equal(f->st.cname_chain_too_long, 1);
}

static void test_referral(void **state)
{
    struct fixture *f = *state;
    struct parsed p;
    ask(f, "host.sub.example.net.", DNS_TYPE_A, 0, &p);
    assert_int_equal(dns_hdr_rcode(&p.h), DNS_RCODE_NOERROR);
    assert_false(p.h.flags & DNS_FLAG_AA);
    assert_int_equal(p.h.ancount, 0);
    assert_int_equal(p.h.nscount, 1);
    assert_true(name_is(&p.rr[0].name, "sub.example.net."));
    assert_int_equal(p.h.arcount, 1); /* glue */
    assert_memory_equal(p.rr[1].u.a, ((uint8_t[]){192, 0, 2, 77}), 4);
    assert_int_equal(f->st.referral, 1);
}

/* --- Truncation ----------------------------------------------------------------------------- */

static void test_truncation(void **state)
{
    (void)state;
    /* 12 TXT records of 60 bytes at one name: about 900 bytes of answer. */
    char text[4096] = "$ORIGIN big.\n@ SOA ns hm 1 2 3 4 5\n";
    for (int i = 0; i < 12; i++)
        snprintf(text + strlen(text), sizeof(text) - strlen(text),
                 "t TXT \"%02d-56789012345678901234567890123456789012345678901234567\"\n", i);
    struct fixture f;
    memset(&f, 0, sizeof(f));
    zone_init(&f.zone, test_key, 1 << 20);
    char err[200];
    assert_int_equal(zonefile_load(&f.zone, text, strlen(text), NULL, err, sizeof(err)), 0);
    assert_int_equal(zone_finalize(&f.zone, NULL), 0);
    struct parsed p;
    ask(&f, "t.big.", DNS_TYPE_TXT, 0, &p);
    assert_true(p.h.flags & DNS_FLAG_TC);
    assert_int_equal(p.h.ancount, 0);
    assert_int_equal(p.h.qdcount, 1);
    assert_true(f.len <= DNS_UDP_MIN);
    ask(&f, "t.big.", DNS_TYPE_TXT, 512, &p); /* EDNS, but only 512 */
    assert_true(p.h.flags & DNS_FLAG_TC);
    assert_true(p.have_opt);
    ask(&f, "t.big.", DNS_TYPE_TXT, 4096, &p);
    assert_false(p.h.flags & DNS_FLAG_TC);
    assert_int_equal(p.h.ancount, 12);
    assert_true(f.len > DNS_UDP_MIN && f.len <= DNS_ANSWER_EDNS_MAX);
    assert_int_equal(f.st.truncated, 2);
    ask(&f, "t.big.", DNS_TYPE_TXT, 700, &p); /* under the answer's size */
    assert_true(p.h.flags & DNS_FLAG_TC);
    zone_destroy(&f.zone);
}

/* Count the records of (type) in section (from .. from + n) of (p). */
static unsigned count_type(const struct parsed *p, unsigned from, unsigned n, uint16_t type)
{
    unsigned c = 0;
    for (unsigned i = from; i < from + n; i++)
        c += p->rr[i].type == type;
    return c;
}

/* RFC 2181 9: an RRset that does not fit the additional section is left out whole, and TC is
 * not set for it; RFC 9471 3: a referral whose in-domain glue does not fit sets TC. An MX target
 * with 40 A records and one AAAA, a delegation whose name server (in the child) has 40 glue
 * A records, and one whose name server lives elsewhere in the zone (not required glue). Before:
 * 28 of 40 A records, TC clear, in both the MX answer and the referral. */
static void test_additional_rrsets_whole_or_tc(void **state)
{
    (void)state;
    static char text[8192];
    snprintf(text, sizeof(text),
             "$ORIGIN big.\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n"
             "@ MX 10 mail\nmail AAAA 2001:db8::1\nsub NS ns.sub\n"
             "side NS host\n");
    for (int i = 1; i <= 40; i++)
        snprintf(text + strlen(text), sizeof(text) - strlen(text),
                 "mail A 192.0.2.%d\nns.sub A 198.51.100.%d\nhost A 203.0.113.%d\n", i, i, i);
    struct fixture f;
    memset(&f, 0, sizeof(f));
    zone_init(&f.zone, test_key, 1 << 20);
    char err[200];
    assert_int_equal(zonefile_load(&f.zone, text, strlen(text), NULL, err, sizeof(err)), 0);
    assert_int_equal(zone_finalize(&f.zone, NULL), 0);
    struct parsed p;

    ask(&f, "big.", DNS_TYPE_MX, 0, &p); /* 40 A records need 640 bytes: not in 512 */
    assert_false(p.h.flags & DNS_FLAG_TC);
    assert_int_equal(p.h.ancount, 1);
    assert_int_equal(count_type(&p, 1, p.h.arcount, DNS_TYPE_A), 0);
    assert_int_equal(count_type(&p, 1, p.h.arcount, DNS_TYPE_AAAA), 1); /* a set that fits */
    ask(&f, "big.", DNS_TYPE_MX, 4096, &p);
    assert_false(p.h.flags & DNS_FLAG_TC);
    assert_int_equal(count_type(&p, 1, p.h.arcount, DNS_TYPE_A), 40);

    ask(&f, "www.sub.big.", DNS_TYPE_A, 0, &p); /* in-domain glue omitted: TC */
    assert_true(p.h.flags & DNS_FLAG_TC);
    assert_int_equal(p.h.ancount + p.h.nscount + p.h.arcount, 0);
    ask(&f, "www.sub.big.", DNS_TYPE_A, 4096, &p);
    assert_false(p.h.flags & DNS_FLAG_TC);
    assert_int_equal(p.h.nscount, 1);
    assert_int_equal(count_type(&p, 1, p.h.arcount, DNS_TYPE_A), 40);

    ask(&f, "www.side.big.", DNS_TYPE_A, 0, &p); /* glue not required: left out, no TC */
    assert_false(p.h.flags & DNS_FLAG_TC);
    assert_int_equal(p.h.nscount, 1);
    assert_int_equal(count_type(&p, 1, p.h.arcount, DNS_TYPE_A), 0);
    zone_destroy(&f.zone);
}

/* --- Zone file errors and parsers ----------------------------------------------------------- */

static int load_text(const char *text, char *err, size_t errlen)
{
    struct dns_zone z;
    zone_init(&z, test_key, 1 << 20);
    int rc = zonefile_load(&z, text, strlen(text), NULL, err, errlen);
    if (!rc)
        rc = zone_finalize(&z, NULL);
    zone_destroy(&z);
    return rc;
}

static void test_zone_file_errors(void **state)
{
    (void)state;
    char err[256];
    const char *head = "$ORIGIN z.\n@ SOA ns hm 1 2 3 4 5\n";
    char text[512];
    static const struct {
        const char *line, *want;
    } cases[] = {
        {"a A 300.1.1.1\n", "line 3: bad address"},
        {"a AAAA 1:2:3\n", "line 3: bad address"},
        {"a WKS 1\n", "line 3: missing or unsupported type"},
        {"a A (1.2.3.4)\n", "line 3: parentheses"},
        {"a CNAME b\na A 1.2.3.4\n", "line 4: CNAME beside other data"},
        {"@ SOA ns hm 1 2 3 4 5\n", "line 3: a second SOA"},
        {"a MX x y.\n", "line 3: bad MX preference"},
        {"a TXT \"open\n", "line 3: unterminated"},
        {"$INCLUDE other\n", "line 3: unsupported directive"},
        {"a A 1.2.3.4 5\n", "line 3: A takes 1 value"},
        {"a.. A 1.2.3.4\n", "line 3: bad name"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text), "%s%s", head, cases[i].line);
        err[0] = 0;
        assert_int_not_equal(load_text(text, err, sizeof(err)), 0);
        if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("case %zu: got '%s', want '%s'", i, err, cases[i].want);
    }
    assert_int_equal(load_text("a. A 1.2.3.4\n", err, sizeof(err)), -ENOENT);  /* no SOA */
    assert_int_equal(load_text("www A 1.2.3.4\n", err, sizeof(err)), -EINVAL); /* no origin */
    assert_int_equal(load_text("  A 1.2.3.4\n", err, sizeof(err)), -EINVAL);   /* no owner */
    snprintf(text, sizeof(text), "%sother. A 1.2.3.4\n", head);
    assert_int_equal(load_text(text, err, sizeof(err)), -EDOM);
    snprintf(text, sizeof(text), "%sa 60 IN A 1.2.3.4\nb IN 1h A 1.2.3.4\n", head);
    assert_int_equal(load_text(text, err, sizeof(err)), 0);
}

static void test_presentation_parsers(void **state)
{
    (void)state;
    uint8_t a[16];
    uint32_t ttl;
    assert_int_equal(zonefile_parse_ip4("10.128.16.146", 13, a), 0);
    assert_memory_equal(a, ((uint8_t[]){10, 128, 16, 146}), 4);
    assert_int_not_equal(zonefile_parse_ip4("1.2.3", 5, a), 0);
    assert_int_not_equal(zonefile_parse_ip4("1.2.3.4.", 8, a), 0);
    assert_int_not_equal(zonefile_parse_ip4("1..3.4", 6, a), 0);
    assert_int_equal(zonefile_parse_ip6("::", 2, a), 0);
    assert_memory_equal(a, ((uint8_t[16]){0}), 16);
    assert_int_equal(zonefile_parse_ip6("::1", 3, a), 0);
    assert_int_equal(a[15], 1);
    assert_int_equal(zonefile_parse_ip6("fe80::", 6, a), 0);
    assert_int_equal(a[0], 0xfe);
    assert_int_equal(a[15], 0);
    const char *full = "2001:db8:0:1:2:3:4:ffff";
    assert_int_equal(zonefile_parse_ip6(full, strlen(full), a), 0);
    assert_int_equal(a[14], 0xff);
    const char *v4 = "::ffff:192.0.2.1";
    assert_int_equal(zonefile_parse_ip6(v4, strlen(v4), a), 0);
    assert_memory_equal(a + 10, ((uint8_t[]){0xff, 0xff, 192, 0, 2, 1}), 6);
    const char *bad[] = {":1::", "1:::2", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "1:", "g::"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_not_equal(zonefile_parse_ip6(bad[i], strlen(bad[i]), a), 0);
    assert_int_equal(zonefile_parse_ttl("1h30m", 5, &ttl), 0);
    assert_int_equal(ttl, 5400);
    assert_int_equal(zonefile_parse_ttl("86400", 5, &ttl), 0);
    assert_int_equal(ttl, 86400);
    assert_int_not_equal(zonefile_parse_ttl("h", 1, &ttl), 0);
    assert_int_not_equal(zonefile_parse_ttl("5x", 2, &ttl), 0);
    assert_int_not_equal(zonefile_parse_ttl("9999999999", 10, &ttl), 0);
}

static void test_service_args(void **state)
{
    (void)state;
    struct dns_service_args a;
    char err[256];
    char *ok[] = {"dns", "--records", "5", "--zone", "f", "--origin", "o.", "--port", "5353"};
    assert_int_equal(parse_dns_args(9, ok, &a, err, sizeof(err)), 0);
    assert_int_equal(a.records, 5);
    assert_string_equal(a.zone_file, "f");
    assert_int_equal(a.port, 5353);
    char *zone_only[] = {"dns", "--zone", "f"};
    assert_int_equal(parse_dns_args(3, zone_only, &a, err, sizeof(err)), 0);
    assert_int_equal(a.records, 0);
    char *bad1[] = {"dns", "--records", "4000001"};
    assert_int_equal(parse_dns_args(3, bad1, &a, err, sizeof(err)), -EINVAL);
    char *bad2[] = {"dns", "--port"};
    assert_int_equal(parse_dns_args(2, bad2, &a, err, sizeof(err)), -EINVAL);
    char *bad3[] = {"dns", "--frobnicate", "1"};
    assert_int_equal(parse_dns_args(3, bad3, &a, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "--frobnicate"));
    char *listen[] = {"dns", "--listen", "10.0.0.1"}; /* dns-linux only */
    assert_int_equal(parse_dns_args(3, listen, &a, err, sizeof(err)), -EINVAL);
    char *dflt[] = {"dns"};
    assert_int_equal(parse_dns_args(1, dflt, &a, err, sizeof(err)), 0);
    assert_int_equal(a.tcp_idle_timeout_s, 10);
    assert_int_equal(a.tcp_max_conns, 256);
    assert_null(a.axfr_allow); /* nobody */
    assert_int_equal(a.wide, 0);
    char *tcp[] = {"dns",          "--idle-timeout", "3",      "--max-conns", "7",
                   "--axfr-allow", "10.0.0.1",       "--wide", "50"};
    assert_int_equal(parse_dns_args(9, tcp, &a, err, sizeof(err)), 0);
    assert_int_equal(a.tcp_idle_timeout_s, 3);
    assert_int_equal(a.tcp_max_conns, 7);
    assert_string_equal(a.axfr_allow, "10.0.0.1");
    assert_int_equal(a.wide, 50);
    char *bad4[] = {"dns", "--wide", "1001"};
    assert_int_equal(parse_dns_args(3, bad4, &a, err, sizeof(err)), -EINVAL);
    char *bad5[] = {"dns", "--idle-timeout", "0"};
    assert_int_equal(parse_dns_args(3, bad5, &a, err, sizeof(err)), -EINVAL);
    /* dns-linux: the common options and --listen, no TCP ones. */
    static struct option_set o;
    char *lin[] = {"--listen", "10.0.0.1", "--wide", "3"};
    assert_int_equal(
        options_parse(&o, dns_linux_options, DNS_LINUX_OPTION_COUNT, 0, 4, lin, err, sizeof(err)),
        0);
    dns_service_args_from(&o, true, &a);
    assert_string_equal(a.listen, "10.0.0.1");
    assert_int_equal(a.wide, 3);
    char *lin_tcp[] = {"--axfr-allow", "10.0.0.1"};
    assert_int_equal(options_parse(&o, dns_linux_options, DNS_LINUX_OPTION_COUNT, 0, 2, lin_tcp,
                                   err, sizeof(err)),
                     -EINVAL);
}

static void test_zone_budget_is_enforced(void **state)
{
    (void)state;
    struct dns_zone z;
    zone_init(&z, test_key, 64 << 10); /* 64 KiB: about a thousand records */
    struct dns_service_args a = {.records = 100000, .port = 53};
    char err[256];
    assert_int_equal(dns_service_build_zone(&z, &a, NULL, 0, err, sizeof(err)), -ENOMEM);
    assert_true(z.used <= 64 << 10);
    zone_destroy(&z);
}

/* 10,000 synthetic hosts take the zone's exact size (zone_reserve), about 1.1 MB, where the
 * doubling arrays took 1.57 MB and more during their copies: what lets the kvm image serve them
 * in a 4 MiB guest. */
static void test_zone_synthetic_size(void **state)
{
    (void)state;
    struct dns_zone z;
    zone_init(&z, test_key, ZONE_DEFAULT_BUDGET);
    struct dns_service_args a = {.records = 10000, .port = 53};
    char err[256];
    assert_int_equal(dns_service_build_zone(&z, &a, NULL, 0, err, sizeof(err)), 0);
    size_t exact = z.nnodes * sizeof(struct zone_node) + z.nrrs * sizeof(struct zone_rr) +
                   z.data_len + z.nslots * sizeof(struct zone_slot);
    assert_true(z.used <= 1200000);
    assert_true(z.used <= exact + exact / 16); /* what the host names' digits overestimate */
    zone_destroy(&z);
}

/* Every synthetic name is found, with its A and AAAA records; names that are not there are not. */
static void test_zone_lookup_all(void **state)
{
    struct fixture *f = *state;
    struct dns_name origin, name;
    assert_int_equal(dns_name_from_text("example.", 8, NULL, &origin), 0);
    for (uint32_t i = 0; i < 10000; i++) {
        assert_int_equal(dns_service_synth_name(&origin, i, &name), 0);
        uint32_t node = zone_find(&f->zone, &name);
        assert_int_not_equal(node, ZONE_NONE);
        const struct zone_rr *rr = zone_rr_at(&f->zone, zone_node_at(&f->zone, node)->first_rr);
        assert_int_equal(rr->type, DNS_TYPE_A);
        assert_int_equal(rd32(zone_rdata(&f->zone, rr)), DNS_SERVICE_SYNTH_BASE + i);
        assert_int_not_equal(rr->next, ZONE_NONE);
        rr = zone_rr_at(&f->zone, rr->next);
        assert_int_equal(rr->type, DNS_TYPE_AAAA);
        assert_int_equal(rd32(zone_rdata(&f->zone, rr) + 12), i);
        assert_int_equal(rr->next, ZONE_NONE);
    }
    assert_int_equal(dns_service_synth_name(&origin, 10000, &name), 0);
    assert_int_equal(zone_find(&f->zone, &name), ZONE_NONE);
    assert_true(f->zone.nslots >= 2 * f->zone.nnodes); /* at most half full */
}

static void test_zone_add_rules(void **state)
{
    (void)state;
    struct dns_zone z;
    zone_init(&z, test_key, 1 << 20);
    struct dns_name apex, a, b;
    dns_name_from_text("z.", 2, NULL, &apex);
    dns_name_from_text("a.z.", 4, NULL, &a);
    dns_name_from_text("B.c.z.", 6, NULL, &b);
    uint8_t soa[1 + 1 + 20] = {0}; /* root, root, five numbers */
    const uint8_t ip[4] = {1, 2, 3, 4};
    assert_int_equal(zone_finalize(&z, NULL), -ENOENT);
    assert_int_equal(zone_add(&z, &apex, DNS_TYPE_SOA, 60, soa, sizeof(soa)), 0);
    assert_int_equal(zone_add(&z, &apex, DNS_TYPE_SOA, 60, soa, sizeof(soa)), -EEXIST);
    assert_int_equal(zone_add(&z, &a, DNS_TYPE_A, 60, ip, 4), 0);
    assert_int_equal(zone_add(&z, &a, DNS_TYPE_CNAME, 60, apex.wire, apex.len), -EEXIST);
    assert_int_equal(zone_add(&z, &b, DNS_TYPE_CNAME, 60, apex.wire, apex.len), 0);
    assert_int_equal(zone_add(&z, &b, DNS_TYPE_A, 60, ip, 4), -EEXIST);
    assert_int_equal(zone_add(&z, &b, DNS_TYPE_CNAME, 60, apex.wire, apex.len), -EEXIST);
    assert_int_equal(zone_add(&z, &a, DNS_TYPE_A, 60, ip, 3), -EINVAL);     /* short A */
    assert_int_equal(zone_add(&z, &a, DNS_TYPE_NS, 60, ip, 4), -EINVAL);    /* not a name */
    assert_int_equal(zone_add(&z, &a, DNS_TYPE_OPT, 60, NULL, 0), -EINVAL); /* pseudo-RR */
    assert_int_equal(zone_add(&z, &a, DNS_TYPE_MX, 60, (uint8_t[]){0, 1, 0xc0, 0}, 4), -EINVAL);
    assert_int_equal(zone_add(&z, &a, 99, 60, NULL, 0), 0); /* unknown types are opaque */
    assert_int_equal(zone_record_count(&z), 4);
    assert_int_equal(zone_finalize(&z, NULL), 0);
    assert_int_equal(zone_add(&z, &a, DNS_TYPE_A, 60, ip, 4), -EINVAL); /* after finalize */
    struct dns_name c;
    dns_name_from_text("c.z.", 4, NULL, &c); /* an empty non-terminal: a node, no records */
    uint32_t node = zone_find(&z, &c);
    assert_int_not_equal(node, ZONE_NONE);
    assert_int_equal(zone_node_at(&z, node)->first_rr, ZONE_NONE);
    dns_name_lower(&b); /* lookups take lowercased names; storage lowercased B.c.z. */
    assert_int_not_equal(zone_find(&z, &b), ZONE_NONE);
    zone_destroy(&z);
}

/* Garbage in never crashes and always gives a well-formed answer or nothing. */
static void test_random_queries(void **state)
{
    struct fixture *f = *state;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    uint8_t q[128];
    for (int round = 0; round < 20000; round++) {
        size_t n = make_query(q, sizeof(q), "host77.example.", DNS_TYPE_A, 1232, 0);
        for (int k = 0; k < 1 + round % 4; k++) { /* flip a few bytes of a valid query */
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            q[(x >> 8) % n] = (uint8_t)x;
        }
        size_t len = dns_answer(&f->zone, q, n - (x >> 40) % 3, f->out, sizeof(f->out), &f->st);
        if (len) {
            struct parsed p;
            parse_response(f->out, len, &p);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_synthetic_answer, setup_synthetic, teardown),
        cmocka_unit_test_setup_teardown(test_synthetic_aaaa, setup_synthetic, teardown),
        cmocka_unit_test_setup_teardown(test_nxdomain_has_soa, setup_synthetic, teardown),
        cmocka_unit_test_setup_teardown(test_refused_outside_zone, setup_synthetic, teardown),
        cmocka_unit_test_setup_teardown(test_formerr, setup_synthetic, teardown),
        cmocka_unit_test_setup_teardown(test_notimp_and_drops, setup_synthetic, teardown),
        cmocka_unit_test_setup_teardown(test_edns, setup_synthetic, teardown),
        cmocka_unit_test_setup_teardown(test_zone_file_answers, setup_file_zone, teardown),
        cmocka_unit_test_setup_teardown(test_additional_addresses, setup_file_zone, teardown),
        cmocka_unit_test_setup_teardown(test_nodata_and_empty_non_terminal, setup_file_zone,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cname_chains, setup_file_zone, teardown),
        cmocka_unit_test_setup_teardown(test_referral, setup_file_zone, teardown),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_additional_rrsets_whole_or_tc),
        cmocka_unit_test(test_zone_file_errors),
        cmocka_unit_test(test_presentation_parsers),
        cmocka_unit_test(test_service_args),
        cmocka_unit_test(test_zone_budget_is_enforced),
        cmocka_unit_test(test_zone_synthetic_size),
        cmocka_unit_test_setup_teardown(test_zone_lookup_all, setup_synthetic, teardown),
        cmocka_unit_test(test_zone_add_rules),
        cmocka_unit_test_setup_teardown(test_random_queries, setup_synthetic, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
