/* DHCP: wire parse/emit, and the client state machine on stack B against a fake server on
 * stack A over the virtual wire: lease, ARP probes of the address (RFC 5227) and DECLINE on a
 * conflict, lost packets with backoff, NAK, renewal at T1, rebinding at T2, expiry, foreign
 * replies. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_platform.h"
#include "harness.h"
#include "unic/dhcp.h"
#include "unic/udp.h"
#include "unic/wire/arp.h"
#include "unic/wire/bytes.h"
#include "unic/wire/dhcp.h"
#include "unic/wire/wire.h"

#define SERVER 0x0a000001u
#define LEASED 0x0a000032u /* 10.0.0.50 */
#define DNS 0x0a000035u
#define SEC NSEC_PER_SEC

/* ---- the fake server on stack A ---- */

struct seen {
    uint8_t type;
    uint64_t at;
    uint32_t xid, dst, ciaddr, requested_ip, server_id;
    uint8_t param_count;
    uint16_t secs;
};

struct server {
    struct udp_sock *sock;
    uint32_t lease_s, t1_s, t2_s;
    unsigned ignore_discovers, ignore_requests, nak_requests;
    unsigned conflicting; /* exchanges that hand out SERVER, an address A itself holds */
    bool ignore_unicast, silent, bogus_offers, foreign_ack;
    uint32_t renew_to; /* a renewal's ACK gives this address instead (0: the same) */
    struct seen seen[128];
    unsigned n;
};

/* B's ARP probes (sender 0.0.0.0), seen on the wire. */
struct probes {
    unsigned n;
    uint64_t first_at, last_at;
    uint32_t target;
    bool answer_once; /* a third host probes for the same address when B first does */
};

struct fixture {
    struct harness h;
    struct server s;
    struct probes p;
    unsigned ups; /* addresses B took (on_up) */
    uint32_t up_addr[8];
};
static struct fixture *cur; /* the running test's: the server callback reads the clock there */

static struct dhcp_msg reply_to(const struct dhcp_msg *q, uint8_t type)
{
    struct dhcp_msg r = {.op = DHCP_OP_REPLY, .htype = 1, .hlen = 6, .xid = q->xid, .type = type};
    memcpy(r.chaddr, q->chaddr, 16);
    r.server_id = SERVER;
    return r;
}

static void server_send(struct server *s, const struct dhcp_msg *q, const struct dhcp_msg *r)
{
    uint8_t buf[DHCP_MAX_LEN];
    int n = dhcp_emit(buf, sizeof(buf), r);
    assert_true(n > 0);
    /* A renewing client has an address and gets a unicast answer; others the broadcast. */
    uint32_t dst = q->ciaddr ? q->ciaddr : 0xffffffffu;
    assert_int_equal(udp_sendto(s->sock, unic_addr_ip4(dst), DHCP_CLIENT_PORT, buf, (size_t)n), 0);
}

static uint32_t server_addr(const struct server *s)
{
    return s->conflicting ? SERVER : LEASED;
}

static void server_offer(struct server *s, const struct dhcp_msg *q)
{
    struct dhcp_msg r = reply_to(q, DHCP_OFFER);
    r.yiaddr = server_addr(s);
    r.lease_time = s->lease_s;
    if (s->bogus_offers) { /* four that the client must ignore, then the real one */
        s->bogus_offers = false;
        struct dhcp_msg bad = r;
        bad.xid ^= 1;
        server_send(s, q, &bad);
        bad = r;
        bad.chaddr[5] ^= 0xff;
        server_send(s, q, &bad);
        bad = r;
        bad.server_id = 0;
        server_send(s, q, &bad);
        bad = r;
        bad.yiaddr = 0xe0000001u; /* multicast: not an address to hold */
        server_send(s, q, &bad);
    }
    server_send(s, q, &r);
}

static void server_ack(struct server *s, const struct dhcp_msg *q)
{
    uint32_t want = q->requested_ip ? q->requested_ip : q->ciaddr, addr = server_addr(s);
    if (s->nak_requests || want != addr) {
        if (s->nak_requests)
            s->nak_requests--;
        struct dhcp_msg r = reply_to(q, DHCP_NAK);
        server_send(s, q, &r);
        return;
    }
    struct dhcp_msg r = reply_to(q, DHCP_ACK);
    r.yiaddr = q->ciaddr && s->renew_to ? s->renew_to : addr;
    if (s->conflicting)
        s->conflicting--;
    r.lease_time = s->lease_s;
    r.t1 = s->t1_s;
    r.t2 = s->t2_s;
    r.subnet_mask = 0xffffff00u;
    r.router = SERVER;
    r.dns[0] = DNS;
    r.dns_count = 1;
    if (s->foreign_ack) { /* another server's ACK for the same transaction comes first */
        s->foreign_ack = false;
        struct dhcp_msg other = r;
        other.server_id = SERVER + 98;
        other.yiaddr = LEASED + 1;
        server_send(s, q, &other);
    }
    server_send(s, q, &r);
}

static void server_recv(struct udp_sock *sock, const struct udp_meta *meta, const uint8_t *data,
                        size_t len)
{
    struct server *s = udp_sock_user(sock);
    struct dhcp_msg q;
    assert_int_equal(dhcp_parse(data, len, &q), WIRE_OK);
    assert_int_equal(q.op, DHCP_OP_REQUEST);
    assert_true(s->n < 128);
    s->seen[s->n++] = (struct seen){.type = q.type,
                                    .at = cur->h.timers.now,
                                    .xid = q.xid,
                                    .dst = unic_addr_to_ip4(meta->dst),
                                    .ciaddr = q.ciaddr,
                                    .requested_ip = q.requested_ip,
                                    .server_id = q.server_id,
                                    .param_count = q.param_count,
                                    .secs = q.secs};
    if (s->silent || (s->ignore_unicast && unic_addr_to_ip4(meta->dst) != 0xffffffffu))
        return;
    if (q.type == DHCP_DISCOVER && s->ignore_discovers)
        s->ignore_discovers--;
    else if (q.type == DHCP_DISCOVER)
        server_offer(s, &q);
    else if (q.type == DHCP_REQUEST && s->ignore_requests)
        s->ignore_requests--;
    else if (q.type == DHCP_REQUEST)
        server_ack(s, &q);
}

static void count_recv(struct udp_sock *sock, const struct udp_meta *meta, const uint8_t *data,
                       size_t len)
{
    (void)meta, (void)data, (void)len;
    ((struct server *)udp_sock_user(sock))->n++;
}

/* A third host's ARP probe for (ip). */
static void inject_probe(struct harness *h, uint32_t ip)
{
    uint8_t f[14 + ARP_PKT_LEN];
    memset(f, 0xff, 6);
    memcpy(f + 6, "\x02\0\0\0\0\x09", 6);
    wr16(f + 12, 0x0806);
    struct arp_pkt a = {.op = ARP_OP_REQUEST, .sha = {2, 0, 0, 0, 0, 9}, .tpa = ip};
    assert_int_equal(arp_emit(f + 14, ARP_PKT_LEN, &a), ARP_PKT_LEN);
    harness_inject(h, SIDE_B, f, sizeof(f));
}

static bool watch_probes(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    struct fixture *f = h->user;
    struct arp_pkt a;
    if (from != SIDE_B || nb->len < 14 || rd16(nb->data + 12) != 0x0806 ||
        arp_parse(nb->data + 14, nb->len - 14, &a) != WIRE_OK || a.op != ARP_OP_REQUEST ||
        a.spa != 0)
        return true;
    if (!f->p.n++)
        f->p.first_at = h->timers.now;
    f->p.last_at = h->timers.now;
    f->p.target = a.tpa;
    if (f->p.answer_once) {
        f->p.answer_once = false;
        inject_probe(h, a.tpa);
    }
    return true;
}

static void record_up(struct inet *inet, void *arg)
{
    struct fixture *f = arg;
    if (f->ups < 8)
        f->up_addr[f->ups] = inet->addr;
    f->ups++;
}

static void fixture_init(struct fixture *f, const struct harness_opts *o)
{
    harness_init(&f->h, o);
    f->h.tap = watch_probes;
    f->h.user = f;
    harness_b(&f->h)->on_up = record_up;
    harness_b(&f->h)->on_up_arg = f;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct harness_opts o = {.unconfigured_b = true};
    fixture_init(f, &o);
    f->s.lease_s = 100;
    f->s.sock = udp_bind(harness_a(&f->h), DHCP_SERVER_PORT, server_recv, &f->s, NULL);
    assert_non_null(f->s.sock);
    cur = f;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(harness_destroy(&f->h), 0); /* no buffer leaked */
    free(f);
    cur = NULL;
    return 0;
}

static bool b_has_address(void *arg)
{
    return harness_b(arg)->addr != 0;
}

static bool b_has_no_address(void *arg)
{
    return harness_b(arg)->addr == 0;
}

/* Run until B is bound; returns the virtual time it took. */
static uint64_t run_until_bound(struct fixture *f, uint64_t max_ns)
{
    uint64_t t0 = f->h.timers.now;
    assert_true(harness_run_until(&f->h, b_has_address, &f->h, max_ns));
    return f->h.timers.now - t0;
}

static void assert_near(uint64_t got, uint64_t want, uint64_t tolerance)
{
    if (got + tolerance < want || got > want + tolerance)
        fail_msg("%llu ns, expected %llu +- %llu", (unsigned long long)got,
                 (unsigned long long)want, (unsigned long long)tolerance);
}

/* Time between seen messages i-1 and i. */
static uint64_t gap(const struct server *s, unsigned i)
{
    return s->seen[i].at - s->seen[i - 1].at;
}

/* ---- wire ---- */

static void test_wire_round_trip(void **state)
{
    (void)state;
    struct dhcp_msg m = {.op = DHCP_OP_REPLY,
                         .htype = 1,
                         .hlen = 6,
                         .xid = 0xdeadbeef,
                         .secs = 3,
                         .flags = DHCP_FLAG_BROADCAST,
                         .yiaddr = LEASED,
                         .type = DHCP_ACK,
                         .subnet_mask = 0xffffff00u,
                         .router = SERVER,
                         .server_id = SERVER,
                         .lease_time = 3600,
                         .t1 = 1800,
                         .t2 = 3150,
                         .dns = {DNS, DNS + 1},
                         .dns_count = 2,
                         .max_size = 1500,
                         .params = {1, 3, 6},
                         .param_count = 3};
    memcpy(m.chaddr, "\x02\0\0\0\0\x02", 6);
    uint8_t buf[DHCP_MAX_LEN];
    int n = dhcp_emit(buf, sizeof(buf), &m);
    assert_int_equal(n, DHCP_BOOTP_MIN_LEN); /* short messages are padded to 300 bytes */
    assert_int_equal(rd32(buf + 236), DHCP_MAGIC);
    struct dhcp_msg out;
    assert_int_equal(dhcp_parse(buf, (size_t)n, &out), WIRE_OK);
    uint8_t again[DHCP_MAX_LEN]; /* field by field through the emitter: the struct has padding */
    assert_int_equal(dhcp_emit(again, sizeof(again), &out), n);
    assert_memory_equal(again, buf, (size_t)n);
    assert_int_equal(out.xid, 0xdeadbeef);
    assert_int_equal(out.flags, DHCP_FLAG_BROADCAST);
    assert_int_equal(out.yiaddr, LEASED);
    assert_int_equal(out.lease_time, 3600);
    assert_int_equal(out.t2, 3150);
    assert_int_equal(out.dns_count, 2);
    assert_int_equal(out.dns[1], DNS + 1);
    assert_int_equal(out.max_size, 1500);
    assert_int_equal(out.param_count, 3);
    assert_memory_equal(out.chaddr, m.chaddr, 16);
    assert_int_equal(dhcp_emit(buf, DHCP_MAX_LEN - 1, &m), WIRE_ENOSPACE);
}

/* Options: 53 (type) first, then (opts) of (len) bytes, then END. */
static size_t build(uint8_t *buf, const uint8_t *opts, size_t len)
{
    memset(buf, 0, DHCP_MAX_LEN);
    buf[0] = DHCP_OP_REPLY;
    wr32(buf + 236, DHCP_MAGIC);
    memcpy(buf + 240, opts, len);
    return 240 + len;
}

static void test_wire_rejects_malformed(void **state)
{
    (void)state;
    uint8_t buf[DHCP_MAX_LEN];
    struct dhcp_msg m;
    const uint8_t ok[] = {53, 1, DHCP_OFFER, 255};
    assert_int_equal(dhcp_parse(buf, build(buf, ok, sizeof(ok)), &m), WIRE_OK);
    assert_int_equal(m.type, DHCP_OFFER);
    assert_int_equal(dhcp_parse(buf, 239, &m), WIRE_ETRUNCATED);
    buf[236] ^= 1;
    assert_int_equal(dhcp_parse(buf, 244, &m), WIRE_EVERSION);
    const uint8_t runs_past[] = {53, 1, DHCP_OFFER, 51, 4, 0, 0};
    assert_int_equal(dhcp_parse(buf, build(buf, runs_past, sizeof(runs_past)), &m), WIRE_EOPTION);
    const uint8_t no_len[] = {53, 1, DHCP_OFFER, 51};
    assert_int_equal(dhcp_parse(buf, build(buf, no_len, sizeof(no_len)), &m), WIRE_EOPTION);
    const uint8_t bad_mask[] = {53, 1, DHCP_OFFER, 1, 3, 255, 255, 255, 255};
    assert_int_equal(dhcp_parse(buf, build(buf, bad_mask, sizeof(bad_mask)), &m), WIRE_EOPTION);
    const uint8_t bad_dns[] = {53, 1, DHCP_OFFER, 6, 6, 1, 2, 3, 4, 5, 6, 255};
    assert_int_equal(dhcp_parse(buf, build(buf, bad_dns, sizeof(bad_dns)), &m), WIRE_EOPTION);
    const uint8_t no_type[] = {1, 4, 255, 255, 255, 0, 255};
    assert_int_equal(dhcp_parse(buf, build(buf, no_type, sizeof(no_type)), &m), WIRE_EMALFORMED);
    build(buf, ok, sizeof(ok));
    buf[2] = 17; /* hlen */
    assert_int_equal(dhcp_parse(buf, 244, &m), WIRE_EMALFORMED);
}

static void test_wire_options(void **state)
{
    (void)state;
    uint8_t buf[DHCP_MAX_LEN];
    struct dhcp_msg m;
    /* pads, an unknown option skipped, four DNS servers (three kept), two routers (one kept),
     * no END (tolerated) */
    const uint8_t opts[] = {0, 0, 53, 1, DHCP_ACK, 200, 2, 9, 9, 6, 16, 1, 1, 1, 1,  2, 2, 2, 2,
                            3, 3, 3,  3, 4,        4,   4, 4, 3, 8, 10, 0, 0, 1, 10, 0, 0, 2};
    assert_int_equal(dhcp_parse(buf, build(buf, opts, sizeof(opts)), &m), WIRE_OK);
    assert_int_equal(m.type, DHCP_ACK);
    assert_int_equal(m.dns_count, 3);
    assert_int_equal(m.dns[2], 0x03030303u);
    assert_int_equal(m.router, SERVER);
    /* option 52 moves the lease time into `file` and the server id into `sname` */
    const uint8_t overload[] = {53, 1, DHCP_ACK, 52, 1, 3, 255};
    build(buf, overload, sizeof(overload));
    memcpy(buf + 108, (const uint8_t[]){51, 4, 0, 0, 0x0e, 0x10, 255}, 7);
    memcpy(buf + 44, (const uint8_t[]){54, 4, 10, 0, 0, 1, 255}, 7);
    assert_int_equal(dhcp_parse(buf, 240 + sizeof(overload), &m), WIRE_OK);
    assert_int_equal(m.lease_time, 3600);
    assert_int_equal(m.server_id, SERVER);
    assert_int_equal(dhcp_mask_prefix(0xffffff00u), 24);
    assert_int_equal(dhcp_mask_prefix(0), 0);
    assert_int_equal(dhcp_mask_prefix(0xffffffffu), 32);
    assert_int_equal(dhcp_mask_prefix(0xff00ff00u), -1);
}

/* RFC 3396 7: every instance of an option is joined, options field first, then `file`, then
 * `sname`, before the value is read. Before: option 6 sent as [8.8.8.8] then [8.8.4.4] left
 * one DNS server, and a mask split 2 + 2 made the whole message WIRE_EOPTION. */
static void test_wire_concatenates_split_options(void **state)
{
    (void)state;
    uint8_t buf[DHCP_MAX_LEN];
    struct dhcp_msg m;
    const uint8_t dns[] = {53, 1, DHCP_ACK, 6, 4, 8, 8, 8, 8, 6, 4, 8, 8, 4, 4, 255};
    assert_int_equal(dhcp_parse(buf, build(buf, dns, sizeof(dns)), &m), WIRE_OK);
    assert_int_equal(m.dns_count, 2);
    assert_int_equal(m.dns[0], 0x08080808u);
    assert_int_equal(m.dns[1], 0x08080404u);
    const uint8_t mask[] = {53, 1, DHCP_OFFER, 1, 2, 255, 255, 3, 4, 10, 0, 0, 1, 1, 2, 255, 0};
    assert_int_equal(dhcp_parse(buf, build(buf, mask, sizeof(mask)), &m), WIRE_OK);
    assert_int_equal(m.subnet_mask, 0xffffff00u);
    assert_int_equal(m.router, SERVER);
    const uint8_t zero_then_four[] = {53, 1, DHCP_ACK, 51, 0, 51, 4, 0, 0, 0x0e, 0x10};
    assert_int_equal(dhcp_parse(buf, build(buf, zero_then_four, sizeof(zero_then_four)), &m),
                     WIRE_OK);
    assert_int_equal(m.lease_time, 3600);
    /* The order of the areas: DNS 1.1.1.1 in options, 2.2.2.2 in file, 3.3.3.3 in sname; the
     * mask split across options (2 bytes) and file (2 bytes); sname's END stops only sname. */
    const uint8_t spread[] = {53, 1, DHCP_ACK, 52, 1, 3, 6, 4, 1, 1, 1, 1, 1, 2, 255, 255, 255};
    build(buf, spread, sizeof(spread));
    memcpy(buf + 108, (const uint8_t[]){6, 4, 2, 2, 2, 2, 1, 2, 255, 0, 255}, 11);
    memcpy(buf + 44, (const uint8_t[]){6, 4, 3, 3, 3, 3, 255}, 7);
    assert_int_equal(dhcp_parse(buf, 240 + sizeof(spread), &m), WIRE_OK);
    assert_int_equal(m.dns_count, 3);
    assert_int_equal(m.dns[0], 0x01010101u);
    assert_int_equal(m.dns[1], 0x02020202u);
    assert_int_equal(m.dns[2], 0x03030303u);
    assert_int_equal(m.subnet_mask, 0xffffff00u);
    /* Joined lengths are still checked: a mask of 2 + 3 bytes, DNS of 4 + 2 bytes. */
    const uint8_t mask5[] = {53, 1, DHCP_OFFER, 1, 2, 255, 255, 1, 3, 255, 0, 0, 255};
    assert_int_equal(dhcp_parse(buf, build(buf, mask5, sizeof(mask5)), &m), WIRE_EOPTION);
    const uint8_t dns6[] = {53, 1, DHCP_OFFER, 6, 4, 1, 1, 1, 1, 6, 2, 2, 2, 255};
    assert_int_equal(dhcp_parse(buf, build(buf, dns6, sizeof(dns6)), &m), WIRE_EOPTION);
    /* An option joined past what is kept (64 bytes): 60 + 40 + 4 bytes of DNS servers. The
     * third copy was aimed at keep + 100, beyond the array (UBSan under the dhcp fuzzer). */
    uint8_t long_dns[3 + 62 + 42 + 6 + 1] = {53, 1, DHCP_ACK, 6, 60};
    memset(long_dns + 5, 9, 60);
    long_dns[65] = 6, long_dns[66] = 40;
    memset(long_dns + 67, 9, 40);
    long_dns[107] = 6, long_dns[108] = 4;
    memset(long_dns + 109, 9, 4);
    long_dns[113] = 255;
    assert_int_equal(dhcp_parse(buf, build(buf, long_dns, sizeof(long_dns)), &m), WIRE_OK);
    assert_int_equal(m.dns_count, 3);
    assert_int_equal(m.dns[2], 0x09090909u);
    /* A message type given twice is one 2-byte option: malformed. */
    const uint8_t type2[] = {53, 1, DHCP_OFFER, 53, 1, DHCP_OFFER, 255};
    assert_int_equal(dhcp_parse(buf, build(buf, type2, sizeof(type2)), &m), WIRE_EOPTION);
}

/* ---- the client ---- */

static void test_acquires_lease(void **state)
{
    struct fixture *f = *state;
    struct inet *b = harness_b(&f->h);
    assert_int_equal(dhcp_start(b), 0);
    assert_int_equal(dhcp_start(b), -EALREADY);
    uint64_t took = run_until_bound(f, 30 * SEC);
    assert_true(took < 2 * SEC); /* start jitter, two round trips, the probes */
    assert_int_equal(b->addr, LEASED);
    assert_int_equal(b->netmask, 0xffffff00u);
    assert_int_equal(b->gateway, SERVER);
    assert_int_equal(b->dns, DNS);
    struct server *s = &f->s;
    assert_int_equal(s->n, 2);
    assert_int_equal(s->seen[0].type, DHCP_DISCOVER);
    assert_int_equal(s->seen[0].dst, 0xffffffffu);
    assert_int_equal(s->seen[1].type, DHCP_REQUEST);
    assert_int_equal(s->seen[1].dst, 0xffffffffu);
    assert_int_equal(s->seen[1].xid, s->seen[0].xid);
    assert_int_equal(s->seen[1].requested_ip, LEASED);
    assert_int_equal(s->seen[1].server_id, SERVER);
    assert_int_equal(s->seen[1].ciaddr, 0);
    assert_int_equal(dhcp_stat(b, "leases"), 1);
    /* After the ACK, three ARP probes of the address 200 ms apart, 400 ms for answers, bound. */
    assert_int_equal(f->p.n, 3);
    assert_int_equal(f->p.target, LEASED);
    assert_true(f->p.first_at > s->seen[1].at);
    assert_true(f->p.first_at - s->seen[1].at <= 101 * NSEC_PER_MSEC);
    assert_int_equal(f->p.last_at - f->p.first_at, 400 * NSEC_PER_MSEC);
    assert_int_equal(f->h.timers.now - f->p.last_at, 400 * NSEC_PER_MSEC);
    assert_int_equal(dhcp_stat(b, "probes"), 3);
    assert_int_equal(f->ups, 1);
    assert_int_equal(f->up_addr[0], LEASED);
    /* The address works: A reaches B there over UDP. */
    struct server probe = {0};
    struct udp_sock *sb = udp_bind(b, DHCP_SERVER_PORT, count_recv, &probe, NULL);
    assert_non_null(sb);
    assert_int_equal(udp_sendto(s->sock, unic_addr_ip4(LEASED), DHCP_SERVER_PORT, "hi", 2), 0);
    harness_run(&f->h, 10 * NSEC_PER_MSEC);
    assert_int_equal(probe.n, 1);
}

/* The first lease is of an address A itself holds: A answers the probe, B declines it and
 * starts over 10 s later, then takes the next lease; the declined address was never used. */
static void test_conflict_declines_and_rediscovers(void **state)
{
    struct fixture *f = *state;
    struct inet *b = harness_b(&f->h);
    f->s.conflicting = 1;
    assert_int_equal(dhcp_start(b), 0);
    run_until_bound(f, 60 * SEC);
    struct server *s = &f->s;
    assert_int_equal(s->n, 5); /* DISCOVER REQUEST DECLINE DISCOVER REQUEST */
    assert_int_equal(s->seen[1].requested_ip, SERVER);
    assert_int_equal(s->seen[2].type, DHCP_DECLINE);
    assert_int_equal(s->seen[2].requested_ip, SERVER);
    assert_int_equal(s->seen[2].server_id, SERVER);
    assert_int_equal(s->seen[2].ciaddr, 0);
    assert_int_equal(s->seen[2].dst, 0xffffffffu);
    assert_int_equal(s->seen[2].xid, s->seen[1].xid);
    assert_int_equal(s->seen[2].param_count, 0);
    assert_true(gap(s, 2) < 400 * NSEC_PER_MSEC); /* at the probe after the answer */
    assert_int_equal(s->seen[3].type, DHCP_DISCOVER);
    assert_int_not_equal(s->seen[3].xid, s->seen[0].xid);
    assert_int_equal(s->seen[3].requested_ip, 0); /* not a hint for the declined address */
    assert_near(gap(s, 3), 10 * SEC, 10 * NSEC_PER_MSEC);
    assert_int_equal(s->seen[4].type, DHCP_REQUEST);
    assert_int_equal(b->addr, LEASED);
    assert_int_equal(f->ups, 1);
    assert_int_equal(f->up_addr[0], LEASED);
    assert_int_equal(f->p.n, 1 + 3);
    assert_int_equal(dhcp_stat(b, "tx_decline"), 1);
    assert_int_equal(dhcp_stat(b, "restarts"), 1);
    assert_int_equal(inet_stat(b, "arp.probe_conflicts"), 1);
}

/* RFC 2131 3.1 (3), MUST: the REQUESTs after an OFFER carry the `secs` of the DISCOVER they
 * answer, retransmitted or not; table 5: a DECLINE's `secs` is 0. The server ignores the
 * first DISCOVER (so the exchange is seconds old) and the first two REQUESTs. */
static void test_secs_of_requests_and_decline(void **state)
{
    struct fixture *f = *state;
    struct inet *b = harness_b(&f->h);
    f->s.ignore_discovers = 1;
    f->s.ignore_requests = 2;
    f->s.conflicting = 1;
    assert_int_equal(dhcp_start(b), 0);
    run_until_bound(f, 120 * SEC);
    struct server *s = &f->s;
    assert_int_equal(s->seen[0].type, DHCP_DISCOVER);
    assert_int_equal(s->seen[1].type, DHCP_DISCOVER);
    assert_true(s->seen[1].secs >= 3);
    unsigned i = 2;
    for (; s->seen[i].type == DHCP_REQUEST; i++)
        assert_int_equal(s->seen[i].secs, s->seen[1].secs);
    assert_int_equal(i, 5); /* three REQUESTs, then */
    assert_int_equal(s->seen[i].type, DHCP_DECLINE);
    assert_int_equal(s->seen[i].secs, 0);
}

/* RFC 5227 2.1.1 (MUST): after MAX_CONFLICTS (10) conflicts, at most one new address a
 * RATE_LIMIT_INTERVAL (60 s); it went on every 10 s for ever. */
static void test_conflicts_slow_down_after_ten(void **state)
{
    struct fixture *f = *state;
    struct inet *b = harness_b(&f->h);
    f->s.conflicting = 12;
    assert_int_equal(dhcp_start(b), 0);
    run_until_bound(f, 600 * SEC);
    struct server *s = &f->s;
    unsigned declines = 0;
    for (unsigned i = 1; i < s->n; i++) {
        if (s->seen[i - 1].type != DHCP_DECLINE)
            continue;
        declines++;
        assert_int_equal(s->seen[i].type, DHCP_DISCOVER);
        if (declines < 10)
            assert_near(gap(s, i), 10 * SEC, 10 * NSEC_PER_MSEC);
        else
            assert_near(gap(s, i), 60 * SEC, 10 * NSEC_PER_MSEC);
    }
    assert_int_equal(declines, 12);
    assert_int_equal(b->addr, LEASED);
}

/* RFC 2131 4.4.1 (SHOULD) and RFC 5227 2.1: an ACK that moves a renewing client to another
 * address is a new address: probed before use. Here it is A's own (SERVER): B took it at
 * once, two hosts on one address; now A answers the probe and B declines it. */
static void test_renewal_to_another_address_is_probed(void **state)
{
    struct fixture *f = *state;
    struct inet *b = harness_b(&f->h);
    assert_int_equal(dhcp_start(b), 0);
    run_until_bound(f, 30 * SEC);
    unsigned probes = f->p.n;
    f->s.renew_to = SERVER;
    harness_run(&f->h, 55 * SEC); /* T1 at 50 s */
    assert_true(dhcp_stat(b, "tx_renew") >= 1);
    assert_true(f->p.n > probes);
    assert_int_equal(f->p.target, SERVER);
    assert_int_equal(dhcp_stat(b, "tx_decline"), 1);
    assert_int_not_equal(b->addr, SERVER);
}

/* Another host probes for the same address at the same time (RFC 5227 2.1.1): also declined. */
static void test_simultaneous_probe_declines(void **state)
{
    struct fixture *f = *state;
    struct inet *b = harness_b(&f->h);
    f->p.answer_once = true;
    assert_int_equal(dhcp_start(b), 0);
    run_until_bound(f, 60 * SEC);
    struct server *s = &f->s;
    assert_int_equal(s->n, 5);
    assert_int_equal(s->seen[2].type, DHCP_DECLINE);
    assert_int_equal(s->seen[2].requested_ip, LEASED);
    assert_near(gap(s, 3), 10 * SEC, 10 * NSEC_PER_MSEC);
    assert_int_equal(b->addr, LEASED);
    assert_int_equal(f->ups, 1);
    assert_int_equal(f->p.n, 1 + 3);
    assert_int_equal(dhcp_stat(b, "tx_decline"), 1);
}

static void test_lost_discovers_back_off(void **state)
{
    struct fixture *f = *state;
    f->s.ignore_discovers = 3;
    assert_int_equal(dhcp_start(harness_b(&f->h)), 0);
    run_until_bound(f, 60 * SEC);
    struct server *s = &f->s;
    assert_int_equal(s->n, 5); /* 4 DISCOVERs, 1 REQUEST */
    assert_near(gap(s, 1), 4 * SEC, SEC);
    assert_near(gap(s, 2), 8 * SEC, SEC);
    assert_near(gap(s, 3), 16 * SEC, SEC);
    assert_int_equal(dhcp_stat(harness_b(&f->h), "retransmits"), 3);
}

static void test_backoff_capped_at_64s_with_jitter(void **state)
{
    struct fixture *f = *state;
    f->s.silent = true;
    assert_int_equal(dhcp_start(harness_b(&f->h)), 0);
    harness_run(&f->h, 600 * SEC);
    struct server *s = &f->s;
    static const uint64_t want[] = {4, 8, 16, 32, 64, 64, 64, 64, 64, 64, 64};
    assert_true(s->n >= 10);
    bool jittered = false;
    for (unsigned i = 1; i < s->n && i <= 11; i++) {
        assert_near(gap(s, i), want[i - 1] * SEC, SEC);
        jittered |= gap(s, i) != want[i - 1] * SEC;
        assert_int_equal(s->seen[i].type, DHCP_DISCOVER);
        assert_int_equal(s->seen[i].xid, s->seen[0].xid); /* one transaction */
    }
    assert_true(jittered);
    assert_int_equal(harness_b(&f->h)->addr, 0);
}

/* Without a server the client says what it waits for at each retry, with the time so far. */
static void test_waiting_is_logged(void **state)
{
    struct fixture *f = *state;
    static char console[4096];
    f->s.silent = true;
    fake_console_quiet(1);
    fake_console_capture(console, sizeof(console));
    assert_int_equal(dhcp_start(harness_b(&f->h)), 0);
    harness_run(&f->h, 30 * SEC); /* retries near 4, 12 and 28 s */
    fake_console_capture(NULL, 0);
    fake_console_quiet(0);
    unsigned lines = 0;
    for (const char *p = strstr(console, "dhcp: no offer after"); p;
         p = strstr(p + 1, "dhcp: no offer after"))
        lines++;
    assert_int_equal(lines, 3);
    assert_non_null(strstr(console, "still asking (no DHCP server on the link? give --ip"));
    assert_true(strstr(console, "after 3 s") || strstr(console, "after 4 s") ||
                strstr(console, "after 5 s"));
}

static void test_nak_restarts(void **state)
{
    struct fixture *f = *state;
    f->s.nak_requests = 1;
    assert_int_equal(dhcp_start(harness_b(&f->h)), 0);
    run_until_bound(f, 30 * SEC);
    struct server *s = &f->s;
    assert_int_equal(s->n, 4); /* DISCOVER REQUEST(NAK) DISCOVER REQUEST(ACK) */
    assert_int_equal(s->seen[2].type, DHCP_DISCOVER);
    assert_int_not_equal(s->seen[2].xid, s->seen[0].xid);
    assert_near(gap(s, 2), SEC, 10 * NSEC_PER_MSEC);
    assert_int_equal(dhcp_stat(harness_b(&f->h), "rx_nak"), 1);
    assert_int_equal(dhcp_stat(harness_b(&f->h), "restarts"), 1);
    assert_int_equal(harness_b(&f->h)->addr, LEASED);
}

static void test_unanswered_requests_restart(void **state)
{
    struct fixture *f = *state;
    f->s.ignore_requests = 4;
    assert_int_equal(dhcp_start(harness_b(&f->h)), 0);
    run_until_bound(f, 120 * SEC);
    struct server *s = &f->s;
    assert_int_equal(s->n, 7); /* DISCOVER, 4 REQUESTs, DISCOVER, REQUEST */
    for (unsigned i = 1; i <= 4; i++)
        assert_int_equal(s->seen[i].type, DHCP_REQUEST);
    assert_near(gap(s, 2), 4 * SEC, SEC);
    assert_near(gap(s, 3), 8 * SEC, SEC);
    assert_int_equal(s->seen[5].type, DHCP_DISCOVER);
    assert_int_equal(dhcp_stat(harness_b(&f->h), "restarts"), 1);
}

static void test_renews_at_t1(void **state)
{
    struct fixture *f = *state;
    struct inet *b = harness_b(&f->h);
    assert_int_equal(dhcp_start(b), 0);
    run_until_bound(f, 30 * SEC);
    uint64_t requested_at = f->s.seen[1].at; /* the lease counts from the REQUEST (4.4.1) */
    harness_run(&f->h, 49 * SEC);
    assert_int_equal(f->s.n, 2); /* quiet until T1 = 50 s */
    harness_run(&f->h, 2 * SEC);
    struct server *s = &f->s;
    assert_int_equal(s->n, 3);
    assert_int_equal(s->seen[2].type, DHCP_REQUEST);
    assert_near(s->seen[2].at - requested_at, 50 * SEC, 10 * NSEC_PER_MSEC);
    assert_int_equal(s->seen[2].dst, SERVER); /* unicast to the server */
    assert_int_equal(s->seen[2].ciaddr, LEASED);
    assert_int_equal(s->seen[2].requested_ip, 0);
    assert_int_equal(s->seen[2].server_id, 0);
    assert_int_equal(dhcp_stat(b, "renewals"), 1);
    assert_int_equal(b->addr, LEASED);
    /* The renewed lease runs from the renewal: next T1 50 s later, and never an expiry. */
    harness_run(&f->h, 48 * SEC);
    assert_int_equal(s->n, 3);
    harness_run(&f->h, 200 * SEC);
    assert_int_equal(dhcp_stat(b, "renewals"), 5);
    assert_int_equal(dhcp_stat(b, "expired"), 0);
    assert_int_equal(b->addr, LEASED);
}

static void test_rebinds_at_t2(void **state)
{
    struct fixture *f = *state;
    struct inet *b = harness_b(&f->h);
    f->s.ignore_unicast = true;
    assert_int_equal(dhcp_start(b), 0);
    run_until_bound(f, 30 * SEC);
    uint64_t requested_at = f->s.seen[1].at; /* the lease counts from the REQUEST (4.4.1) */
    harness_run(&f->h, 90 * SEC);
    struct server *s = &f->s;
    assert_int_equal(s->n, 4); /* + unicast REQUEST at T1, broadcast REQUEST at T2 */
    assert_int_equal(s->seen[2].dst, SERVER);
    assert_near(s->seen[2].at - requested_at, 50 * SEC, 10 * NSEC_PER_MSEC);
    assert_int_equal(s->seen[3].dst, 0xffffffffu);
    assert_int_equal(s->seen[3].ciaddr, LEASED);
    assert_near(s->seen[3].at - requested_at, 87500 * NSEC_PER_MSEC, 10 * NSEC_PER_MSEC);
    assert_int_equal(dhcp_stat(b, "tx_rebind"), 1);
    assert_int_equal(dhcp_stat(b, "renewals"), 1);
    assert_int_equal(b->addr, LEASED);
}

/* RFC 2131 4.4.5: T1 MUST be earlier than T2, and T2 earlier than the end of the lease. A
 * server's T2 equal to the lease (100 s) left no time to rebind: the timer found the lease
 * over first and the address was dropped though a broadcast REBIND would have kept it. Such
 * times are inconsistent: the defaults (50 s, 87.5 s) are used. */
static void test_t2_at_lease_end_uses_defaults(void **state)
{
    struct fixture *f = *state;
    struct inet *b = harness_b(&f->h);
    f->s.ignore_unicast = true;
    f->s.t1_s = 50;
    f->s.t2_s = 100;
    assert_int_equal(dhcp_start(b), 0);
    run_until_bound(f, 30 * SEC);
    uint64_t requested_at = f->s.seen[1].at;
    harness_run(&f->h, 110 * SEC);
    assert_int_equal(dhcp_stat(b, "tx_rebind"), 1);
    assert_true(f->s.n >= 4);
    assert_near(f->s.seen[3].at - requested_at, 87500 * NSEC_PER_MSEC, 10 * NSEC_PER_MSEC);
    assert_int_equal(b->addr, LEASED);
}

static void test_lease_expires(void **state)
{
    struct fixture *f = *state;
    struct inet *b = harness_b(&f->h);
    assert_int_equal(dhcp_start(b), 0);
    run_until_bound(f, 30 * SEC);
    uint64_t requested_at = f->s.seen[1].at; /* the lease counts from the REQUEST (4.4.1) */
    f->s.silent = true;
    assert_true(harness_run_until(&f->h, b_has_no_address, &f->h, 200 * SEC));
    assert_near(f->h.timers.now - requested_at, 100 * SEC, 10 * NSEC_PER_MSEC);
    assert_int_equal(dhcp_stat(b, "expired"), 1);
    struct server *s = &f->s;
    harness_run(&f->h, 1 * SEC);
    assert_true(s->n >= 5); /* T1 unicast, T2 broadcast, then DISCOVER again */
    assert_int_equal(s->seen[s->n - 1].type, DHCP_DISCOVER);
    assert_int_equal(s->seen[s->n - 1].requested_ip, LEASED); /* asks for the old address */
    f->s.silent = false;
    run_until_bound(f, 30 * SEC);
    assert_int_equal(b->addr, LEASED);
}

static void test_ignores_foreign_replies(void **state)
{
    struct fixture *f = *state;
    struct inet *b = harness_b(&f->h);
    f->s.bogus_offers = true;
    assert_int_equal(dhcp_start(b), 0);
    run_until_bound(f, 30 * SEC);
    assert_int_equal(dhcp_stat(b, "rx_wrong_xid"), 1);
    assert_int_equal(dhcp_stat(b, "rx_wrong_chaddr"), 1);
    assert_int_equal(dhcp_stat(b, "rx_bad_offer"), 2);
    assert_int_equal(dhcp_stat(b, "rx_offer"), 3);
    assert_int_equal(b->addr, LEASED);
}

static void test_ack_from_another_server_ignored(void **state)
{
    struct fixture *f = *state;
    struct inet *b = harness_b(&f->h);
    f->s.foreign_ack = true;
    assert_int_equal(dhcp_start(b), 0);
    run_until_bound(f, 30 * SEC);
    assert_int_equal(dhcp_stat(b, "rx_wrong_server"), 1);
    assert_int_equal(b->addr, LEASED);
}

static void test_nak_while_renewing_drops_address(void **state)
{
    struct fixture *f = *state;
    struct inet *b = harness_b(&f->h);
    assert_int_equal(dhcp_start(b), 0);
    run_until_bound(f, 30 * SEC);
    uint64_t requested_at = f->s.seen[1].at; /* the lease counts from the REQUEST (4.4.1) */
    f->s.nak_requests = 1;
    assert_true(harness_run_until(&f->h, b_has_no_address, &f->h, 100 * SEC));
    assert_near(f->h.timers.now - requested_at, 50 * SEC,
                10 * NSEC_PER_MSEC); /* T1 + a round trip */
    assert_int_equal(dhcp_stat(b, "rx_nak"), 1);
    run_until_bound(f, 30 * SEC);
    struct server *s = &f->s;
    assert_int_equal(s->seen[s->n - 2].type, DHCP_DISCOVER);
    assert_int_equal(b->addr, LEASED);
}

static void test_configured_dns_is_kept(void **state)
{
    struct fixture *f = *state;
    struct inet *b = harness_b(&f->h);
    b->dns = 0x01020304u; /* as --dns sets it */
    assert_int_equal(dhcp_start(b), 0);
    run_until_bound(f, 30 * SEC);
    assert_int_equal(b->dns, 0x01020304u);
}

static void test_infinite_lease_arms_nothing(void **state)
{
    struct fixture *f = *state;
    f->s.lease_s = DHCP_LEASE_INFINITE;
    assert_int_equal(dhcp_start(harness_b(&f->h)), 0);
    run_until_bound(f, 30 * SEC);
    harness_run(&f->h, 10 * 86400 * SEC);
    assert_int_equal(f->s.n, 2);
    assert_int_equal(timer_queue_next(&f->h.timers), TIMER_NEVER);
}

/* Random loss, duplication, reordering and corruption on the wire, both ways, several seeds: the
 * client still gets a lease and keeps it for hours (renewals retry every 60 s before T2). */
static void test_keeps_lease_under_faults(void **state)
{
    (void)state;
    int64_t retransmits = 0;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        struct fixture *f = calloc(1, sizeof(*f));
        struct fault_config fc = {.loss_ppb = FAULT_PPB(0.3),
                                  .duplicate_ppb = FAULT_PPB(0.05),
                                  .reorder_ppb = FAULT_PPB(0.05),
                                  .corrupt_ppb = FAULT_PPB(0.05),
                                  .seed = seed,
                                  .seeded = true};
        struct harness_opts o = {.unconfigured_b = true, .fault = {fc, fc}};
        o.fault[1].seed = seed + 100;
        fixture_init(f, &o);
        cur = f;
        f->s.lease_s = 3600;
        f->s.sock = udp_bind(harness_a(&f->h), DHCP_SERVER_PORT, server_recv, &f->s, NULL);
        struct inet *b = harness_b(&f->h);
        assert_int_equal(dhcp_start(b), 0);
        run_until_bound(f, 600 * SEC);
        harness_run(&f->h, 4 * 3600 * SEC);
        assert_int_equal(b->addr, LEASED);
        assert_int_equal(dhcp_stat(b, "expired"), 0);
        assert_true(dhcp_stat(b, "renewals") >= 3);
        retransmits += dhcp_stat(b, "retransmits");
        assert_int_equal(harness_destroy(&f->h), 0);
        free(f);
        cur = NULL;
    }
    assert_true(retransmits >= 5); /* the faults did bite */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wire_round_trip),
        cmocka_unit_test(test_wire_rejects_malformed),
        cmocka_unit_test(test_wire_options),
        cmocka_unit_test(test_wire_concatenates_split_options),
        cmocka_unit_test_setup_teardown(test_acquires_lease, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflict_declines_and_rediscovers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_simultaneous_probe_declines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_discovers_back_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backoff_capped_at_64s_with_jitter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waiting_is_logged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nak_restarts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unanswered_requests_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_renews_at_t1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebinds_at_t2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_t2_at_lease_end_uses_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secs_of_requests_and_decline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflicts_slow_down_after_ten, setup, teardown),
        cmocka_unit_test_setup_teardown(test_renewal_to_another_address_is_probed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lease_expires, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ignores_foreign_replies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ack_from_another_server_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nak_while_renewing_drops_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_configured_dns_is_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_infinite_lease_arms_nothing, setup, teardown),
        cmocka_unit_test(test_keeps_lease_under_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
