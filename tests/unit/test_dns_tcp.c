/* DNS over TCP and zone transfers of examples/dns, without a network: the stream session
 * (dns_tcp.h) driven through a fake connection that re-offers unconsumed bytes the way unic TCP
 * does (pipelined and split queries, length 0, a length longer than what follows,
 * back-pressure), the transfer messages (xfr.h: SOA first and last, every record once, sizes,
 * compression, IXFR), answers over TCP never truncated, and the --axfr-allow list (acl.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "acl.h"
#include "answer.h"
#include "dns_service.h"
#include "dns_tcp.h"
#include "unic/wire/bytes.h"
#include "xfr.h"
#include "zone.h"

static const uint8_t test_key[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1};

#define RECORDS 3000
#define WIDE 100
#define OUT_CAP (1u << 20)

/* A connection as dns_tcp sees it: the peer's stream comes in pieces, the bytes the session
 * leaves are offered again with the next piece (unless paused), and what it sends lands in
 * (out) while (space) allows. */
struct fake_conn {
    struct dns_tcp_session s;
    uint8_t pending[1 << 18];
    size_t npending;
    uint8_t *out;
    size_t nout;
    size_t space; /* send space left; SIZE_MAX: unlimited */
    bool paused;
    unsigned resumes;
};

static struct dns_zone zone;
static struct dns_answer_stats answer_stats;
static struct dns_tcp_shared shared;

static long io_send(void *ctx, const void *buf, size_t len)
{
    struct fake_conn *c = ctx;
    assert_true(len <= c->space);
    assert_true(c->nout + len <= OUT_CAP);
    memcpy(c->out + c->nout, buf, len);
    c->nout += len;
    if (c->space != SIZE_MAX)
        c->space -= len;
    return (long)len;
}

static size_t io_space(void *ctx)
{
    return ((struct fake_conn *)ctx)->space;
}

static void io_pause(void *ctx)
{
    ((struct fake_conn *)ctx)->paused = true;
}

static void io_resume(void *ctx)
{
    struct fake_conn *c = ctx;
    c->paused = false;
    c->resumes++;
}

static const struct dns_tcp_io fake_io = {io_send, io_space, io_pause, io_resume};

static struct fake_conn *conn_new(bool allowed)
{
    struct fake_conn *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    c->out = malloc(OUT_CAP);
    assert_non_null(c->out);
    c->space = SIZE_MAX;
    dns_tcp_session_init(&c->s, &shared, &fake_io, c, allowed);
    return c;
}

static void conn_free(struct fake_conn *c)
{
    free(c->out);
    free(c);
}

/* Offer everything pending (as TCP does after new bytes or a resume), unless paused. */
static void offer(struct fake_conn *c)
{
    if (c->paused || c->npending == 0)
        return;
    size_t used = dns_tcp_input(&c->s, c->pending, c->npending);
    assert_true(used <= c->npending);
    memmove(c->pending, c->pending + used, c->npending - used);
    c->npending -= used;
}

static void arrive(struct fake_conn *c, const uint8_t *data, size_t len)
{
    assert_true(c->npending + len <= sizeof(c->pending));
    memcpy(c->pending + c->npending, data, len);
    c->npending += len;
    offer(c);
}

/* Free (n) bytes of send space and tell the session, as on_writable does; then, if it resumed
 * input, offer the pending bytes again. */
static void writable(struct fake_conn *c, size_t n)
{
    c->space += n;
    unsigned before = c->resumes;
    dns_tcp_writable(&c->s);
    if (c->resumes != before)
        offer(c);
}

static size_t make_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t type,
                         uint16_t edns)
{
    struct dns_emitter e;
    dns_emit_init(&e, buf, cap);
    struct dns_question q = {.type = type, .class_ = DNS_CLASS_IN};
    assert_int_equal(dns_name_from_text(name, strlen(name), NULL, &q.name), 0);
    assert_int_equal(dns_emit_question(&e, &q), 0);
    struct dns_hdr h = {.id = id, .qdcount = 1};
    if (edns) {
        assert_int_equal(dns_emit_opt(&e, edns, 0, 0), 0);
        h.arcount = 1;
    }
    dns_hdr_emit(buf, cap, &h);
    return e.len;
}

/* An IXFR query carrying (serial) in its authority SOA. */
static size_t make_ixfr(uint8_t *buf, size_t cap, uint16_t id, uint32_t serial)
{
    struct dns_emitter e;
    dns_emit_init(&e, buf, cap);
    struct dns_question q = {.type = DNS_TYPE_IXFR, .class_ = DNS_CLASS_IN};
    assert_int_equal(dns_name_from_text("example.", 8, NULL, &q.name), 0);
    assert_int_equal(dns_emit_question(&e, &q), 0);
    struct dns_rr soa = {.name = q.name, .type = DNS_TYPE_SOA, .class_ = DNS_CLASS_IN};
    soa.u.soa.mname = soa.u.soa.rname = q.name;
    soa.u.soa.serial = serial;
    assert_int_equal(dns_emit_rr(&e, &soa), 0);
    struct dns_hdr h = {.id = id, .qdcount = 1, .nscount = 1};
    dns_hdr_emit(buf, cap, &h);
    return e.len;
}

/* A framed query for host<i>.example. A, id i, into (buf); returns its length. */
static size_t framed_host(uint8_t *buf, unsigned i)
{
    char name[32];
    snprintf(name, sizeof(name), "host%u.example.", i);
    size_t n = make_query(buf + 2, 512, (uint16_t)i, name, DNS_TYPE_A, 0);
    wr16(buf, (uint16_t)n);
    return n + 2;
}

static size_t frame_raw(uint8_t *buf, const uint8_t *msg, size_t n)
{
    wr16(buf, (uint16_t)n);
    memcpy(buf + 2, msg, n);
    return n + 2;
}

/* The (k)th framed message of (c)'s output: its offset and length; false past the end. */
static bool out_message(const struct fake_conn *c, unsigned k, size_t *off, size_t *len)
{
    size_t pos = 0;
    for (unsigned i = 0;; i++) {
        if (pos == c->nout)
            return false;
        assert_true(pos + 2 <= c->nout);
        size_t n = rd16(c->out + pos);
        assert_true(pos + 2 + n <= c->nout);
        if (i == k) {
            *off = pos + 2;
            *len = n;
            return true;
        }
        pos += 2 + n;
    }
}

static unsigned out_count(const struct fake_conn *c)
{
    unsigned k = 0;
    size_t off, len;
    while (out_message(c, k, &off, &len))
        k++;
    return k;
}

/* The answer to host<i>: id i, NOERROR, one A 10.128.0.0+i. */
static void check_host_answer(const struct fake_conn *c, unsigned k, unsigned i)
{
    size_t off, len, pos;
    assert_true(out_message(c, k, &off, &len));
    const uint8_t *m = c->out + off;
    struct dns_hdr h;
    struct dns_question q;
    struct dns_rr rr;
    assert_int_equal(dns_hdr_parse(m, len, &h), 0);
    assert_int_equal(h.id, (uint16_t)i);
    assert_int_equal(dns_hdr_rcode(&h), DNS_RCODE_NOERROR);
    assert_int_equal(h.ancount, 1);
    assert_int_equal(dns_question_parse(m, len, DNS_HDR_LEN, &q, &pos), 0);
    assert_int_equal(dns_rr_parse(m, len, pos, &rr, &pos), 0);
    assert_int_equal(rd32(rr.u.a), DNS_SERVICE_SYNTH_BASE + i);
}

static int setup(void **state)
{
    (void)state;
    zone_init(&zone, test_key, ZONE_DEFAULT_BUDGET);
    struct dns_service_args a = {.records = RECORDS, .records_given = true, .wide = WIDE};
    char err[256] = "";
    int rc = dns_service_build_zone(&zone, &a, NULL, 0, err, sizeof(err));
    if (rc)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    memset(&shared, 0, sizeof(shared));
    shared.zone = &zone;
    shared.answer_stats = &answer_stats;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    zone_destroy(&zone);
    return 0;
}

/* --- Framing -------------------------------------------------------------------------------- */

static void test_pipelined_in_one_piece(void **state)
{
    (void)state;
    struct fake_conn *c = conn_new(false);
    static uint8_t stream[100 * 64];
    size_t len = 0;
    for (unsigned i = 0; i < 100; i++)
        len += framed_host(stream + len, i);
    arrive(c, stream, len);
    assert_int_equal(c->npending, 0);
    assert_int_equal(out_count(c), 100);
    for (unsigned i = 0; i < 100; i++)
        check_host_answer(c, i, i); /* in order */
    conn_free(c);
}

/* Every split of the stream, down to a byte at a time, gives the same bytes out as the whole. */
static void test_split_anywhere(void **state)
{
    (void)state;
    static uint8_t stream[20 * 64];
    size_t len = 0;
    for (unsigned i = 0; i < 20; i++)
        len += framed_host(stream + len, i * 7);
    struct fake_conn *whole = conn_new(false);
    arrive(whole, stream, len);
    for (size_t piece = 1; piece <= 41; piece += 4) {
        struct fake_conn *c = conn_new(false);
        for (size_t off = 0; off < len; off += piece)
            arrive(c, stream + off, off + piece <= len ? piece : len - off);
        assert_int_equal(c->npending, 0);
        assert_int_equal(c->nout, whole->nout);
        assert_memory_equal(c->out, whole->out, whole->nout);
        conn_free(c);
    }
    conn_free(whole);
}

static void test_length_zero_and_short_frames(void **state)
{
    (void)state;
    struct fake_conn *c = conn_new(false);
    uint8_t stream[256];
    size_t len = framed_host(stream, 1);
    stream[len++] = 0; /* length 0 */
    stream[len++] = 0;
    stream[len++] = 0; /* length 5: shorter than a header */
    stream[len++] = 5;
    memset(stream + len, 0xff, 5);
    len += 5;
    len += framed_host(stream + len, 2);
    uint64_t bad = shared.stats.bad_length;
    arrive(c, stream, len);
    assert_int_equal(shared.stats.bad_length, bad + 2);
    assert_int_equal(out_count(c), 2);
    check_host_answer(c, 0, 1);
    check_host_answer(c, 1, 2);
    assert_int_equal(c->npending, 0);
    conn_free(c);
}

/* A length longer than what follows waits (nothing consumed, nothing sent) until the rest. */
static void test_length_longer_than_what_follows(void **state)
{
    (void)state;
    struct fake_conn *c = conn_new(false);
    uint8_t stream[600];
    size_t len = framed_host(stream, 3);
    arrive(c, stream, len - 1);
    assert_int_equal(c->nout, 0);
    assert_int_equal(c->npending, len - 1);
    arrive(c, stream + len - 1, 1);
    assert_int_equal(out_count(c), 1);
    /* The largest length, with a few bytes: held, never read past. */
    uint8_t big[8] = {0xff, 0xff, 1, 2, 3, 4, 5, 6};
    arrive(c, big, sizeof(big));
    assert_int_equal(out_count(c), 1);
    assert_int_equal(c->npending, sizeof(big));
    conn_free(c);
}

/* The answer must wait for space: the query stays, input pauses, and it is answered once the
 * space comes; queries behind it follow in order. */
static void test_backpressure(void **state)
{
    (void)state;
    struct fake_conn *c = conn_new(false);
    static uint8_t stream[50 * 64];
    size_t len = 0;
    for (unsigned i = 0; i < 50; i++)
        len += framed_host(stream + len, i);
    c->space = 200; /* about three answers */
    arrive(c, stream, len);
    unsigned first = out_count(c);
    assert_true(first >= 1 && first < 50);
    assert_true(c->paused);
    assert_true(dns_tcp_busy(&c->s));
    assert_true(c->npending > 0);
    for (int round = 0; round < 100 && c->paused; round++)
        writable(c, 300);
    assert_false(c->paused);
    assert_int_equal(out_count(c), 50);
    for (unsigned i = 0; i < 50; i++)
        check_host_answer(c, i, i);
    assert_true(shared.stats.send_waits > 0);
    conn_free(c);
}

/* --- Answers over TCP ----------------------------------------------------------------------- */

static void test_tcp_answers_not_truncated(void **state)
{
    (void)state;
    uint8_t q[512], out[DNS_TCP_MSG_MAX];
    struct dns_hdr h;
    size_t qlen = make_query(q, sizeof(q), 77, "wide.example.", DNS_TYPE_A, 0);
    size_t n = dns_answer(&zone, q, qlen, out, DNS_ANSWER_EDNS_MAX, &answer_stats);
    assert_int_equal(dns_hdr_parse(out, n, &h), 0);
    assert_true(h.flags & DNS_FLAG_TC); /* over UDP: TC, empty */
    assert_int_equal(h.ancount, 0);
    n = dns_answer_stream(&zone, q, qlen, out, sizeof(out), &answer_stats);
    assert_int_equal(dns_hdr_parse(out, n, &h), 0);
    assert_false(h.flags & DNS_FLAG_TC);
    assert_int_equal(h.ancount, WIDE);
    assert_true(n > DNS_ANSWER_EDNS_MAX);
    qlen = make_query(q, sizeof(q), 78, "wide.example.", DNS_TYPE_A, 1232); /* EDNS too */
    n = dns_answer_stream(&zone, q, qlen, out, sizeof(out), &answer_stats);
    assert_int_equal(dns_hdr_parse(out, n, &h), 0);
    assert_int_equal(h.ancount, WIDE);
    assert_int_equal(h.arcount, 1); /* our OPT */
}

/* --- Zone transfers ------------------------------------------------------------------------- */

struct xfr_seen {
    unsigned messages, records, soas, hosts, wides;
    size_t bytes, largest;
    uint32_t first_type, last_type;
};

/* Parse one transfer message and count what it holds. */
static void scan_xfr_message(const uint8_t *m, size_t len, uint16_t id, struct xfr_seen *s)
{
    struct dns_hdr h;
    size_t pos = DNS_HDR_LEN;
    assert_int_equal(dns_hdr_parse(m, len, &h), 0);
    assert_int_equal(h.id, id);
    assert_true(h.flags & DNS_FLAG_QR);
    assert_true(h.flags & DNS_FLAG_AA);
    assert_int_equal(dns_hdr_rcode(&h), DNS_RCODE_NOERROR);
    assert_int_equal(h.qdcount, s->messages == 0 ? 1 : 0); /* the question in the first only */
    if (h.qdcount) {
        struct dns_question q;
        assert_int_equal(dns_question_parse(m, len, pos, &q, &pos), 0);
        assert_int_equal(q.type, DNS_TYPE_AXFR);
    }
    for (unsigned i = 0; i < h.ancount; i++) {
        struct dns_rr rr;
        assert_int_equal(dns_rr_parse(m, len, pos, &rr, &pos), 0);
        if (s->records == 0)
            s->first_type = rr.type;
        s->last_type = rr.type;
        s->records++;
        s->soas += rr.type == DNS_TYPE_SOA;
        if (rr.type == DNS_TYPE_A && rd32(rr.u.a) >= DNS_SERVICE_WIDE_BASE)
            s->wides++;
        else if (rr.type == DNS_TYPE_A)
            s->hosts++;
    }
    assert_int_equal(pos, len);
    s->messages++;
    s->bytes += len;
    s->largest = len > s->largest ? len : s->largest;
}

static void test_axfr_messages(void **state)
{
    (void)state;
    uint8_t q[512];
    static uint8_t out[DNS_TCP_MSG_MAX];
    size_t qlen = make_query(q, sizeof(q), 4242, "EXAMPLE.", DNS_TYPE_AXFR, 0);
    struct dns_xfr x;
    assert_int_equal(dns_xfr_request(&zone, q, qlen, &x), DNS_XFR_AXFR);
    struct xfr_seen s = {0};
    size_t n;
    while ((n = dns_xfr_next(&zone, &x, out, sizeof(out), 1024)) > 0)
        scan_xfr_message(out, n, 4242, &s);
    assert_int_equal(s.records, zone_record_count(&zone) + 1); /* SOA twice */
    assert_int_equal(s.soas, 2);
    assert_int_equal(s.first_type, DNS_TYPE_SOA);
    assert_int_equal(s.last_type, DNS_TYPE_SOA);
    assert_int_equal(s.hosts, RECORDS);
    assert_int_equal(s.wides, WIDE);
    assert_true(s.largest <= 1024);
    assert_true(s.messages > 50);
    /* Compressed: a host record is "hostNNNN" + a pointer + 10 + 4 bytes, not the whole name. */
    assert_true(s.bytes < (size_t)s.records * 30);
    assert_int_equal(dns_xfr_next(&zone, &x, out, sizeof(out), 1024), 0); /* stays done */
}

/* Not transfers: other zones, other classes, responses, a bad EDNS version. */
static void test_xfr_request_screening(void **state)
{
    (void)state;
    uint8_t q[512];
    struct dns_xfr x;
    size_t n = make_query(q, sizeof(q), 1, "other.", DNS_TYPE_AXFR, 0);
    assert_int_equal(dns_xfr_request(&zone, q, n, &x), DNS_XFR_NONE);
    n = make_query(q, sizeof(q), 1, "host1.example.", DNS_TYPE_AXFR, 0);
    assert_int_equal(dns_xfr_request(&zone, q, n, &x), DNS_XFR_NONE);
    n = make_query(q, sizeof(q), 1, "example.", DNS_TYPE_A, 0);
    assert_int_equal(dns_xfr_request(&zone, q, n, &x), DNS_XFR_NONE);
    n = make_query(q, sizeof(q), 1, "example.", DNS_TYPE_AXFR, 0);
    q[2] |= 0x80; /* QR */
    assert_int_equal(dns_xfr_request(&zone, q, n, &x), DNS_XFR_NONE);
    n = make_query(q, sizeof(q), 1, "example.", DNS_TYPE_AXFR, 1232);
    assert_int_equal(dns_xfr_request(&zone, q, n, &x), DNS_XFR_AXFR);
    assert_true(x.edns);
    q[n - 5] = 1; /* EDNS version 1: dns_answer_stream says BADVERS */
    assert_int_equal(dns_xfr_request(&zone, q, n, &x), DNS_XFR_NONE);
    assert_int_equal(dns_xfr_request(&zone, q, n - 1, &x), DNS_XFR_NONE); /* truncated */
}

static void test_ixfr(void **state)
{
    (void)state;
    uint8_t q[512];
    static uint8_t out[DNS_TCP_MSG_MAX];
    struct dns_xfr x;
    size_t n = make_ixfr(q, sizeof(q), 5, 1); /* the synthetic zone's serial */
    assert_int_equal(dns_xfr_request(&zone, q, n, &x), DNS_XFR_IXFR);
    assert_true(x.soa_only);
    size_t len = dns_xfr_next(&zone, &x, out, sizeof(out), DNS_XFR_SOFT_MAX);
    struct dns_hdr h;
    assert_int_equal(dns_hdr_parse(out, len, &h), 0);
    assert_int_equal(h.ancount, 1);
    assert_int_equal(dns_xfr_next(&zone, &x, out, sizeof(out), DNS_XFR_SOFT_MAX), 0);
    n = make_ixfr(q, sizeof(q), 5, 0xfffffff0u); /* before 1 in serial arithmetic */
    assert_int_equal(dns_xfr_request(&zone, q, n, &x), DNS_XFR_IXFR);
    assert_false(x.soa_only);
    unsigned records = 0;
    while ((len = dns_xfr_next(&zone, &x, out, sizeof(out), DNS_XFR_SOFT_MAX)) > 0) {
        assert_int_equal(dns_hdr_parse(out, len, &h), 0);
        records += h.ancount;
    }
    assert_int_equal(records, zone_record_count(&zone) + 1);
}

/* A record larger than the soft size goes alone in a larger message. */
static void test_xfr_large_record(void **state)
{
    (void)state;
    struct dns_zone z;
    zone_init(&z, test_key, ZONE_DEFAULT_BUDGET);
    struct dns_name apex, ns;
    assert_int_equal(dns_name_from_text("big.", 4, NULL, &apex), 0);
    assert_int_equal(dns_name_from_text("ns.big.", 7, NULL, &ns), 0);
    uint8_t soa[300] = {0};
    memcpy(soa, ns.wire, ns.len);
    memcpy(soa + ns.len, ns.wire, ns.len);
    assert_int_equal(zone_add(&z, &apex, DNS_TYPE_SOA, 60, soa, 2u * ns.len + 20), 0);
    static uint8_t txt[3000];
    for (size_t i = 0; i < sizeof(txt); i += 250) {
        txt[i] = 249;
        memset(txt + i + 1, 'x', 249);
    }
    assert_int_equal(zone_add(&z, &apex, DNS_TYPE_TXT, 60, txt, sizeof(txt)), 0);
    assert_int_equal(zone_finalize(&z, NULL), 0);
    uint8_t q[512];
    static uint8_t out[DNS_TCP_MSG_MAX];
    size_t n = make_query(q, sizeof(q), 9, "big.", DNS_TYPE_AXFR, 0);
    struct dns_xfr x;
    assert_int_equal(dns_xfr_request(&z, q, n, &x), DNS_XFR_AXFR);
    size_t sizes[8];
    unsigned k = 0;
    while (k < 8 && (n = dns_xfr_next(&z, &x, out, sizeof(out), 512)) > 0) {
        struct dns_hdr h;
        assert_int_equal(dns_hdr_parse(out, n, &h), 0);
        assert_int_equal(dns_hdr_rcode(&h), DNS_RCODE_NOERROR);
        sizes[k++] = n;
    }
    assert_int_equal(k, 3); /* SOA | TXT alone | SOA */
    assert_true(sizes[1] > 3000 && sizes[0] < 512 && sizes[2] < 512);
    zone_destroy(&z);
}

/* A record no TCP message can hold (65535 bytes of rdata and its owner) ends the transfer
 * with SERVFAIL instead of a message that lies. */
static void test_xfr_record_too_large(void **state)
{
    (void)state;
    struct dns_zone z;
    zone_init(&z, test_key, ZONE_DEFAULT_BUDGET);
    struct dns_name apex, ns;
    assert_int_equal(dns_name_from_text("big.", 4, NULL, &apex), 0);
    assert_int_equal(dns_name_from_text("ns.big.", 7, NULL, &ns), 0);
    uint8_t soa[300] = {0};
    memcpy(soa, ns.wire, ns.len);
    memcpy(soa + ns.len, ns.wire, ns.len);
    assert_int_equal(zone_add(&z, &apex, DNS_TYPE_SOA, 60, soa, 2u * ns.len + 20), 0);
    static uint8_t txt[65535];
    size_t i = 0;
    for (; i + 250 <= sizeof(txt); i += 250) {
        txt[i] = 249;
        memset(txt + i + 1, 'x', 249);
    }
    txt[i] = (uint8_t)(sizeof(txt) - i - 1);
    assert_int_equal(zone_add(&z, &ns, DNS_TYPE_TXT, 60, txt, sizeof(txt)), 0);
    assert_int_equal(zone_finalize(&z, NULL), 0);
    uint8_t q[512];
    static uint8_t out[DNS_TCP_MSG_MAX];
    size_t n = make_query(q, sizeof(q), 9, "big.", DNS_TYPE_AXFR, 0);
    struct dns_xfr x;
    assert_int_equal(dns_xfr_request(&z, q, n, &x), DNS_XFR_AXFR);
    struct dns_hdr h;
    n = dns_xfr_next(&z, &x, out, sizeof(out), DNS_XFR_SOFT_MAX);
    assert_int_equal(dns_hdr_parse(out, n, &h), 0);
    assert_int_equal(dns_hdr_rcode(&h), DNS_RCODE_NOERROR); /* the first SOA */
    n = dns_xfr_next(&z, &x, out, sizeof(out), DNS_XFR_SOFT_MAX);
    assert_int_equal(dns_hdr_parse(out, n, &h), 0);
    assert_int_equal(dns_hdr_rcode(&h), DNS_RCODE_SERVFAIL);
    assert_int_equal(h.ancount, 0);
    assert_int_equal(dns_xfr_next(&z, &x, out, sizeof(out), DNS_XFR_SOFT_MAX), 0);
    zone_destroy(&z);
}

/* Through the session: refused when not allowed; when allowed, sent as space frees, and the
 * query pipelined behind it answered after it. */
static void test_session_transfer(void **state)
{
    (void)state;
    uint8_t stream[1024], q[512];
    size_t qlen = make_query(q, sizeof(q), 600, "example.", DNS_TYPE_AXFR, 0);
    size_t len = frame_raw(stream, q, qlen);
    len += framed_host(stream + len, 17);

    struct fake_conn *c = conn_new(false);
    uint64_t refused = shared.stats.xfr_refused;
    arrive(c, stream, len);
    assert_int_equal(shared.stats.xfr_refused, refused + 1);
    assert_int_equal(out_count(c), 2);
    size_t off = 0, mlen = 0;
    struct dns_hdr h;
    assert_true(out_message(c, 0, &off, &mlen));
    assert_int_equal(dns_hdr_parse(c->out + off, mlen, &h), 0);
    assert_int_equal(dns_hdr_rcode(&h), DNS_RCODE_REFUSED);
    check_host_answer(c, 1, 17);
    conn_free(c);

    c = conn_new(true);
    c->space = 40000;
    arrive(c, stream, len);
    assert_true(c->s.in_xfr);
    assert_true(c->paused);
    for (int round = 0; round < 1000 && (c->paused || c->s.in_xfr); round++)
        writable(c, 20000);
    assert_false(c->s.in_xfr);
    unsigned total = out_count(c);
    struct xfr_seen s = {0};
    for (unsigned k = 0; k + 1 < total; k++) {
        assert_true(out_message(c, k, &off, &mlen));
        scan_xfr_message(c->out + off, mlen, 600, &s);
    }
    assert_int_equal(s.records, zone_record_count(&zone) + 1);
    assert_true(s.largest <= DNS_XFR_SOFT_MAX);
    check_host_answer(c, total - 1, 17); /* after the transfer, in order */
    conn_free(c);
}

/* --- The allow-list ------------------------------------------------------------------------- */

static struct unic_addr addr(const char *text)
{
    struct unic_addr a;
    assert_int_equal(unic_addr_parse(text, &a), 0);
    return a;
}

static void test_acl(void **state)
{
    (void)state;
    struct acl acl;
    char err[128];
    assert_int_equal(acl_parse(&acl, NULL, err, sizeof(err)), 0);
    assert_false(acl_match(&acl, addr("10.0.0.1"))); /* nobody by default */
    assert_int_equal(acl_parse(&acl, "10.1.2.3,192.168.0.0/16,fd00::/8", err, sizeof(err)), 0);
    assert_int_equal(acl.count, 3);
    assert_true(acl_match(&acl, addr("10.1.2.3")));
    assert_false(acl_match(&acl, addr("10.1.2.4")));
    assert_true(acl_match(&acl, addr("192.168.44.5")));
    assert_false(acl_match(&acl, addr("192.169.0.1")));
    assert_true(acl_match(&acl, addr("fd12::1")));
    assert_false(acl_match(&acl, addr("fe80::1")));
    assert_int_equal(acl_parse(&acl, "0.0.0.0/0", err, sizeof(err)), 0);
    assert_true(acl_match(&acl, addr("203.0.113.9")));
    assert_false(acl_match(&acl, addr("2001:db8::1"))); /* an IPv4 prefix holds no IPv6 */
    const char *bad[] = {"10.0.0.1/33", "nonsense",   "10.0.0.1,", ",10.0.0.1",
                         "10.0.0.1/",   "10.0.0.1/x", "fd00::/129"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = acl_parse(&acl, bad[i], err, sizeof(err));
        if (rc == 0)
            print_error("accepted '%s'\n", bad[i]);
        assert_int_equal(rc, -EINVAL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipelined_in_one_piece),
        cmocka_unit_test(test_split_anywhere),
        cmocka_unit_test(test_length_zero_and_short_frames),
        cmocka_unit_test(test_length_longer_than_what_follows),
        cmocka_unit_test(test_backpressure),
        cmocka_unit_test(test_tcp_answers_not_truncated),
        cmocka_unit_test(test_axfr_messages),
        cmocka_unit_test(test_xfr_request_screening),
        cmocka_unit_test(test_ixfr),
        cmocka_unit_test(test_xfr_large_record),
        cmocka_unit_test(test_xfr_record_too_large),
        cmocka_unit_test(test_session_transfer),
        cmocka_unit_test(test_acl),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
