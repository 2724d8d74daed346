/*
 * TCP over IPv6 on the two-stack wire (A fd00::1, B fd00::2, both also on IPv4): bulk transfers
 * clean and under loss and reordering, one listener for both families, the MSS from the IPv6
 * MTU and from a lowered path MTU, TSO (GSO TCPV6), SYN cookies, RFC 5961 (challenge ACK for an
 * in-window RST or a SYN), checksums (a bad one dropped, a good one to a closed port answered
 * with RST over IPv6), ICMPv6 errors (packet too big). Raw segments are built here, with the
 * IPv6 pseudo-header checksum.
 */
#include "ip6_test.h"
#include "test_tcp_util.h"
#include "unic/ip6.h"
#include "unic/ip6_stack.h"
#include "unic/wire/eth.h"
#include "unic/wire/icmp6.h"

#define PORT 9

static struct unic_addr fd00(uint8_t last)
{
    struct unic_addr a = {{0xfd, 0}};
    a.bytes[15] = last;
    return a;
}

/* Both stacks get IPv6 (no SLAAC) and fd00::1/64 (A), fd00::2/64 (B), past DAD. */
static void ip6_up(struct harness *h)
{
    for (int s = 0; s < 2; s++) {
        struct inet *in = &h->stack[s];
        ip6_start(in, false);
        assert_int_equal(ip6_addr_add(in, fd00((uint8_t)(s + 1)), 64, IP6_ORIGIN_STATIC,
                                      TIMER_NEVER, TIMER_NEVER),
                         0);
    }
    harness_run(h, 5 * NSEC_PER_SEC); /* duplicate address detection */
    struct unic_addr src;
    assert_int_equal(ip6_select_src(harness_b(h), fd00(1), &src), 0);
    assert_true(unic_addr_equal(src, fd00(2)));
}

static struct harness *harness6(const struct harness_opts *o)
{
    struct harness *h = harness_new(o);
    ip6_up(h);
    return h;
}

static void connect6(struct app *a, struct inet *from, struct unic_addr to, uint16_t port)
{
    int err = 0;
    a->conn = tcp_connect(from, to, port, app_on_connected, a, &err);
    assert_int_equal(err, 0);
    assert_non_null(a->conn);
}

/* ---- raw IPv6 segments ---------------------------------------------------------------------- */

struct raw6 {
    struct unic_addr src, dst;
    struct tcp_hdr h;
    bool bad_checksum;
};

static void inject6(struct harness *hs, enum harness_side to, const struct raw6 *s)
{
    uint8_t f[200] = {0};
    f[5] = (uint8_t)(to + 1);
    f[0] = 0x02, f[6] = 0x02, f[11] = (uint8_t)(2 - to);
    wr16(f + 12, ETH_TYPE_IP6);
    uint8_t *ip = f + 14, *t = ip + 40;
    int hl = tcp_emit(t, 60, &s->h);
    assert_true(hl >= 20);
    tcp_set_checksum_sum(t, (size_t)hl,
                         csum_pseudo_ip6(s->src.bytes, s->dst.bytes, 6, (uint32_t)hl));
    if (s->bad_checksum)
        t[16] ^= 0x40;
    ip[0] = 0x60;
    wr16(ip + 4, (uint16_t)hl);
    ip[6] = 6;
    ip[7] = 64;
    memcpy(ip + 8, s->src.bytes, 16);
    memcpy(ip + 24, s->dst.bytes, 16);
    harness_inject(hs, to, f, 14 + 40 + (size_t)hl);
}

/* What the tap saw of TCP over IPv6 from one side. */
struct watch6 {
    enum harness_side from;
    unsigned segs, rsts, acks, max_payload;
    struct tcp_hdr last;
    bool checksum_bad;
};
static struct watch6 watch;

static bool tap6(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    (void)h;
    const uint8_t *ip = nb->data + 14;
    if (from != watch.from || nb->len < 14 + 40 + 20 || rd16(nb->data + 12) != ETH_TYPE_IP6 ||
        ip[6] != 6)
        return true;
    size_t tl = rd16(ip + 4);
    struct tcp_hdr th;
    if (tl + 54 > nb->len || tcp_parse(ip + 40, tl, &th) < 0)
        return true;
    if (!tcp_checksum_ok_sum(ip + 40, tl, csum_pseudo_ip6(ip + 8, ip + 24, 6, (uint32_t)tl)))
        watch.checksum_bad = true;
    watch.segs++;
    watch.last = th;
    if (th.flags & TCP_RST)
        watch.rsts++;
    else if (th.flags == TCP_ACK && tl == th.hdr_len)
        watch.acks++;
    if (tl - th.hdr_len > watch.max_payload)
        watch.max_payload = (unsigned)(tl - th.hdr_len);
    return true;
}

/* ---- transfers ------------------------------------------------------------------------------ */

struct bulk6 {
    struct harness *h;
    struct server srv;
    struct app cli;
};

static bool bulk6_done(void *arg)
{
    struct bulk6 *b = arg;
    return b->cli.closed && b->srv.n == 1 && b->srv.apps[0].closed;
}

static void bulk6_run(struct bulk6 *b, uint64_t up, uint64_t down, uint64_t limit_ns)
{
    assert_non_null(tcp_listen(harness_a(b->h), PORT, server_on_accept, &b->srv, NULL));
    b->srv.proto =
        (struct app){.tx_seed = 7, .rx_seed = 3, .tx_total = down, .close_when_sent = true};
    b->cli = (struct app){.tx_seed = 3, .rx_seed = 7, .tx_total = up, .close_when_sent = true};
    connect6(&b->cli, harness_b(b->h), fd00(1), PORT);
    assert_true(harness_run_until(b->h, bulk6_done, b, limit_ns));
    const struct app *s = &b->srv.apps[0];
    assert_int_equal(s->rx_done, up);
    assert_int_equal(b->cli.rx_done, down);
    assert_int_equal(s->rx_bad + b->cli.rx_bad, 0);
    assert_int_equal(s->close_reason, 0);
    assert_int_equal(b->cli.close_reason, 0);
}

static void bulk6_finish(struct bulk6 *b)
{
    harness_run(b->h, 121 * NSEC_PER_SEC);
    assert_int_equal(tcp_conn_count(harness_a(b->h)), 0);
    assert_int_equal(tcp_conn_count(harness_b(b->h)), 0);
    harness_free(b->h);
}

/* 1 MiB each way over IPv6: the endpoints are IPv6, segments carry 1500 - 40 - 20 - 12 bytes,
 * every checksum verifies, nothing was fragmented. */
static void test_tcp6_bulk(void **state)
{
    (void)state;
    struct bulk6 b = {.h = harness6(NULL)};
    watch = (struct watch6){.from = SIDE_A};
    b.h->tap = tap6;
    bulk6_run(&b, 1 << 20, 1 << 20, 60 * NSEC_PER_SEC);
    assert_false(watch.checksum_bad);
    assert_int_equal(watch.max_payload, 1500 - 40 - 20 - 12);
    assert_int_equal(inet_stat(harness_a(b.h), "ip6.tx_fragmented"), 0);
    bulk6_finish(&b);
}

/* The same under 2% loss and 2% reordering each way. */
static void test_tcp6_bulk_lossy(void **state)
{
    (void)state;
    struct harness_opts o = {0};
    for (int s = 0; s < 2; s++)
        o.fault[s] = (struct fault_config){.loss_ppb = 20000000,
                                           .reorder_ppb = 20000000,
                                           .seed = 12 + (uint64_t)s,
                                           .seeded = true};
    struct bulk6 b = {.h = harness6(&o)};
    bulk6_run(&b, 1 << 20, 1 << 20, 600 * NSEC_PER_SEC);
    assert_true(tcp_stat(harness_a(b.h), "tx_retransmits") > 0);
    bulk6_finish(&b);
}

/* TSO over IPv6: A's link takes super-packets (GSO TCPV6) and cuts them; the partial checksum
 * (IPv6 pseudo header) completes right and every wire segment fits the MTU. */
static void test_tcp6_tso(void **state)
{
    (void)state;
    struct harness_opts o = {.tso_max = {65535, 0}};
    struct bulk6 b = {.h = harness6(&o)};
    bulk6_run(&b, 64 << 10, 4 << 20, 60 * NSEC_PER_SEC);
    assert_true(b.h->tso_frames[SIDE_A] > 0);
    assert_int_equal(b.h->tso_bad[SIDE_A], 0);
    assert_true(b.h->tso_segments[SIDE_A] > 2 * b.h->tso_frames[SIDE_A]);
    assert_true(b.h->tso_payload_max[SIDE_A] > 10000);
    bulk6_finish(&b);
}

/* One listener takes IPv4 and IPv6 connections; the addresses tell them apart. */
static void test_tcp6_listener_both_families(void **state)
{
    (void)state;
    struct harness *h = harness6(NULL);
    struct server srv = {0};
    srv.proto = (struct app){.rx_seed = 2};
    assert_non_null(tcp_listen(harness_a(h), PORT, server_on_accept, &srv, NULL));
    struct app c4 = {.tx_seed = 2, .tx_total = 1000};
    struct app c6 = c4;
    app_connect(&c4, harness_b(h), ADDR_A, PORT);
    connect6(&c6, harness_b(h), fd00(1), PORT);
    assert_true(unic_addr_equal(tcp_peer_addr(c6.conn), fd00(1)));
    assert_true(unic_addr_equal(tcp_local_addr(c6.conn), fd00(2)));
    assert_true(unic_addr_equal(tcp_peer_addr(c4.conn), unic_addr_ip4(ADDR_A)));
    harness_run(h, 2 * NSEC_PER_SEC);
    assert_int_equal(srv.n, 2);
    unsigned v6 = 0;
    for (unsigned i = 0; i < 2; i++) {
        struct app *a = &srv.apps[i];
        assert_int_equal(a->rx_done, 1000);
        assert_int_equal(a->rx_bad, 0);
        struct unic_addr peer = tcp_peer_addr(a->conn);
        if (!unic_addr_is_ip4(peer)) {
            v6++;
            assert_true(unic_addr_equal(peer, fd00(2)));
            assert_true(unic_addr_equal(tcp_local_addr(a->conn), fd00(1)));
        } else {
            assert_true(unic_addr_equal(peer, unic_addr_ip4(ADDR_B)));
        }
        tcp_abort(a->conn);
    }
    assert_int_equal(v6, 1);
    tcp_abort(c4.conn);
    tcp_abort(c6.conn);
    harness_run(h, NSEC_PER_SEC);
    harness_free(h);
}

/* The path MTU falls to 1280 in the middle of a transfer (a packet too big): the next segments
 * fit it, nothing is fragmented, and the data arrives whole. The receiver holds the data at
 * first, so the transfer is stopped (zero window) when the MTU falls. */
static void test_tcp6_path_mtu(void **state)
{
    (void)state;
    struct harness *h = harness6(NULL);
    struct server srv = {0};
    srv.proto = (struct app){.rx_seed = 5, .hold = true, .close_on_eof = true};
    assert_non_null(tcp_listen(harness_a(h), PORT, server_on_accept, &srv, NULL));
    struct app c = {.tx_seed = 5, .tx_total = 4 << 20, .close_when_sent = true};
    connect6(&c, harness_b(h), fd00(1), PORT);
    harness_run(h, NSEC_PER_SEC);
    assert_int_equal(srv.n, 1);
    assert_int_equal(srv.apps[0].rx_done, 0);
    ip6_pmtu_update(harness_b(h), fd00(1), 1280);
    watch = (struct watch6){.from = SIDE_B}; /* what B sends from now on */
    h->tap = tap6;
    srv.apps[0].hold = false;
    tcp_recv_resume(srv.apps[0].conn);
    assert_true(harness_run_until(h, app_done, &c, 60 * NSEC_PER_SEC));
    assert_int_equal(c.close_reason, 0);
    assert_int_equal(srv.apps[0].rx_done, 4 << 20);
    assert_int_equal(srv.apps[0].rx_bad, 0);
    assert_true(watch.max_payload <= 1280 - 40 - 20 - 12);
    assert_true(watch.max_payload > 1000);
    assert_true(watch.segs > (3u << 20) / 1208); /* all but what A held before the fall */
    assert_false(watch.checksum_bad);
    assert_int_equal(inet_stat(harness_b(h), "ip6.tx_fragmented"), 0);
    harness_run(h, 121 * NSEC_PER_SEC);
    harness_free(h);
}

/* Drops B's data segments while (drop_data), noting the first one's sequence number. */
static bool drop_data;
static uint32_t dropped_seq;
static unsigned dropped;
static bool tap_drop(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    tap6(h, from, nb);
    const uint8_t *ip = nb->data + 14;
    struct tcp_hdr th;
    if (!drop_data || from != SIDE_B || nb->len < 14 + 40 + 20 ||
        rd16(nb->data + 12) != ETH_TYPE_IP6 || ip[6] != 6 ||
        tcp_parse(ip + 40, rd16(ip + 4), &th) < 0 || rd16(ip + 4) == th.hdr_len)
        return true;
    if (dropped++ == 0)
        dropped_seq = th.seq;
    return false;
}

/* The packet-too-big tests' start: B connects to A over IPv6 and sends 20,000 bytes whose
 * first data segments the tap drops (their sequence in dropped_seq); it returns once they are
 * sent and lost. */
static struct harness *too_big_start(struct server *srv, struct app *c)
{
    struct harness *h = harness6(NULL);
    *srv = (struct server){.proto = (struct app){.rx_seed = 5}};
    assert_non_null(tcp_listen(harness_a(h), PORT, server_on_accept, srv, NULL));
    *c = (struct app){.tx_seed = 5};
    connect6(c, harness_b(h), fd00(1), PORT);
    harness_run(h, NSEC_PER_SEC);
    assert_int_equal(srv->n, 1);
    watch = (struct watch6){.from = SIDE_B};
    h->tap = tap_drop;
    drop_data = true;
    dropped = 0;
    c->tx_total = 20000;
    app_pump(c);
    harness_run(h, NSEC_PER_MSEC); /* sent and dropped; the RTO is 200 ms away at least */
    assert_true(dropped > 0);
    drop_data = false;
    return h;
}

/* ... and its end: every byte arrives, intact. */
static void too_big_finish(struct harness *h, struct server *srv, struct app *c)
{
    harness_run(h, 5 * NSEC_PER_SEC);
    assert_int_equal(srv->apps[0].rx_done, 20000);
    assert_int_equal(srv->apps[0].rx_bad, 0);
    tcp_abort(c->conn);
    tcp_abort(srv->apps[0].conn);
    harness_run(h, NSEC_PER_SEC);
    harness_free(h);
}

/* An ICMPv6 packet too big quoting a segment in flight: the first unacknowledged segment goes
 * again at once, at the new size (RFC 8201 5.2); one quoting a sequence number not in flight,
 * or for no connection, is ignored; another error is soft. */
static void test_tcp6_icmp_too_big(void **state)
{
    (void)state;
    static struct server srv;
    static struct app c;
    struct harness *h = too_big_start(&srv, &c);
    ip6_pmtu_update(harness_b(h), fd00(1), 1280);
    uint8_t l4[8];
    wr16(l4, tcp_local_port(c.conn));
    wr16(l4 + 2, PORT);
    wr32(l4 + 4, dropped_seq - 100000); /* not in flight */
    struct ip_error e = {.type = ICMP6_PACKET_TOO_BIG,
                         .too_big = true,
                         .err = -EMSGSIZE,
                         .param = 1280,
                         .src = fd00(2),
                         .dst = fd00(1),
                         .l4 = l4,
                         .l4_len = sizeof(l4)};
    harness_b(h)->tcp_error(harness_b(h), &e);
    assert_int_equal(tcp_stat(harness_b(h), "rx_icmp_ignored"), 1);
    assert_int_equal(tcp_stat(harness_b(h), "tx_fast_retransmits"), 0);
    wr32(l4 + 4, dropped_seq);
    e.type = 1; /* destination unreachable: soft */
    e.too_big = false;
    e.err = -EHOSTUNREACH;
    harness_b(h)->tcp_error(harness_b(h), &e);
    assert_int_equal(tcp_stat(harness_b(h), "rx_icmp_soft"), 1);
    e.type = ICMP6_PACKET_TOO_BIG;
    e.too_big = true;
    e.err = -EMSGSIZE;
    watch.max_payload = 0;
    harness_b(h)->tcp_error(harness_b(h), &e);
    assert_int_equal(tcp_stat(harness_b(h), "rx_icmp_too_big"), 1);
    assert_int_equal(tcp_stat(harness_b(h), "tx_fast_retransmits"), 1);
    assert_int_equal(watch.last.seq, dropped_seq); /* at once, from snd_una */
    assert_true(watch.max_payload <= 1280 - 40 - 20 - 12);
    assert_true(watch.max_payload > 1000);
    too_big_finish(h, &srv, &c);
}

/* The same through the wire: a packet too big from a router (fd00::9) quoting the lost segment
 * goes icmp6.c -> path MTU -> tcp_error6: the segment goes again at once, at the new size. */
static void test_tcp6_icmp_too_big_frame(void **state)
{
    (void)state;
    static struct server srv;
    static struct app c;
    struct harness *h = too_big_start(&srv, &c);
    uint8_t f[200];
    static const uint8_t mac_b[6] = {0x02, 0, 0, 0, 0, 0x02};
    struct unic_addr router = fd00(9);
    size_t body = 8 + 40 + 8;
    size_t n = frame_ip6(f, mac_b, router, fd00(2), 58, (uint16_t)body, 64);
    uint8_t *m = f + n;
    memset(m, 0, body);
    m[0] = ICMP6_PACKET_TOO_BIG;
    wr32(m + 4, 1280);
    struct ip6_hdr q = {.payload_len = 1400, .next_header = 6, .hop_limit = 64};
    memcpy(q.src, fd00(2).bytes, 16);
    memcpy(q.dst, fd00(1).bytes, 16);
    ip6_emit(m + 8, 40, &q);
    wr16(m + 48, tcp_local_port(c.conn));
    wr16(m + 50, PORT);
    wr32(m + 52, dropped_seq);
    frame_icmp6_sum(m, body, router, fd00(2));
    watch.max_payload = 0;
    harness_inject(h, SIDE_B, f, n + body);
    harness_run(h, NSEC_PER_MSEC); /* well before any retransmission timeout */
    assert_int_equal(ip6_path_mtu(harness_b(h), fd00(1)), 1280);
    assert_int_equal(tcp_stat(harness_b(h), "rx_icmp_too_big"), 1);
    assert_int_equal(tcp_stat(harness_b(h), "tx_fast_retransmits"), 1);
    assert_int_equal(tcp_stat(harness_b(h), "tx_rto"), 0);
    assert_int_equal(watch.last.seq, dropped_seq);
    assert_true(watch.max_payload <= 1280 - 40 - 20 - 12);
    too_big_finish(h, &srv, &c);
}

/* Backlog 0: every SYN over IPv6 gets a cookie, and the connections still carry data. */
static void test_tcp6_syn_cookies(void **state)
{
    (void)state;
    struct harness *h = harness6(NULL);
    struct tcp_params p;
    tcp_default_params(&p);
    p.syn_backlog = 0;
    assert_int_equal(tcp_configure(harness_a(h), &p), 0);
    struct server srv = {0};
    srv.proto =
        (struct app){.tx_seed = 1, .rx_seed = 2, .tx_total = 50000, .close_when_sent = true};
    assert_non_null(tcp_listen(harness_a(h), PORT, server_on_accept, &srv, NULL));
    struct app c[3];
    for (int i = 0; i < 3; i++) {
        c[i] = (struct app){.tx_seed = 2, .rx_seed = 1, .tx_total = 50000, .close_when_sent = true};
        connect6(&c[i], harness_b(h), fd00(1), PORT);
    }
    harness_run(h, 5 * NSEC_PER_SEC);
    assert_int_equal(tcp_stat(harness_a(h), "syn_cookies_sent"), 3);
    assert_int_equal(tcp_stat(harness_a(h), "syn_cookies_ok"), 3);
    assert_int_equal(tcp_stat(harness_a(h), "syn_cookies_bad"), 0);
    assert_int_equal(srv.n, 3);
    for (int i = 0; i < 3; i++) {
        assert_true(c[i].closed);
        assert_int_equal(c[i].rx_done, 50000);
        assert_int_equal(srv.apps[i].rx_done, 50000);
        assert_int_equal(srv.apps[i].rx_bad + c[i].rx_bad, 0);
    }
    harness_run(h, 121 * NSEC_PER_SEC);
    harness_free(h);
}

/* RFC 5961 over IPv6: a RST inside the window but not at rcv_nxt gets a challenge ACK and the
 * connection lives; one at rcv_nxt resets it. A SYN on it is challenged too. */
static void test_tcp6_rfc5961(void **state)
{
    (void)state;
    struct harness *h = harness6(NULL);
    struct server srv = {0};
    srv.proto = (struct app){.rx_seed = 1};
    assert_non_null(tcp_listen(harness_a(h), PORT, server_on_accept, &srv, NULL));
    struct app c = {.tx_seed = 1, .tx_total = 100};
    tcp_test_force_isn(harness_b(h), 1000);
    connect6(&c, harness_b(h), fd00(1), PORT);
    harness_run(h, NSEC_PER_SEC);
    assert_int_equal(srv.apps[0].rx_done, 100);
    uint16_t cport = tcp_local_port(c.conn);
    uint32_t rcv_nxt = 1000 + 1 + 100; /* A's rcv_nxt: B's ISN + SYN + data */
    watch = (struct watch6){.from = SIDE_A};
    h->tap = tap6;
    struct raw6 r = {.src = fd00(2), .dst = fd00(1)};
    r.h = (struct tcp_hdr){.sport = cport, .dport = PORT, .seq = rcv_nxt + 10, .flags = TCP_RST};
    inject6(h, SIDE_A, &r);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(tcp_stat(harness_a(h), "tx_challenge_acks"), 1);
    assert_int_equal(watch.acks, 1);
    assert_int_equal(watch.last.ack, rcv_nxt);
    assert_false(srv.apps[0].closed);
    r.h.flags = TCP_SYN, r.h.seq = rcv_nxt + 5;
    inject6(h, SIDE_A, &r);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(tcp_stat(harness_a(h), "rx_syn_challenged"), 1);
    assert_false(srv.apps[0].closed);
    r.h.flags = TCP_RST, r.h.seq = rcv_nxt;
    inject6(h, SIDE_A, &r);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_true(srv.apps[0].closed);
    assert_int_equal(srv.apps[0].close_reason, -ECONNRESET);
    tcp_abort(c.conn);
    harness_run(h, NSEC_PER_SEC);
    harness_free(h);
}

/* A SYN with a bad checksum is dropped (counted, no answer); the same SYN with a good one to a
 * closed port gets a RST over IPv6 with a valid checksum. A SYN from a multicast source never
 * does. */
static void test_tcp6_checksum_and_rst(void **state)
{
    (void)state;
    struct harness *h = harness6(NULL);
    struct tcp_params p;
    tcp_default_params(&p);
    assert_int_equal(tcp_configure(harness_a(h), &p), 0);
    watch = (struct watch6){.from = SIDE_A};
    h->tap = tap6;
    struct raw6 r = {.src = fd00(2), .dst = fd00(1), .bad_checksum = true};
    r.h = (struct tcp_hdr){
        .sport = 40000, .dport = 4444, .seq = 77, .flags = TCP_SYN, .window = 1000};
    inject6(h, SIDE_A, &r);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(tcp_stat(harness_a(h), "rx_bad_checksum"), 1);
    assert_int_equal(watch.segs, 0);
    r.bad_checksum = false;
    inject6(h, SIDE_A, &r);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(watch.rsts, 1);
    assert_false(watch.checksum_bad);
    assert_int_equal(watch.last.ack, 78);
    assert_int_equal(watch.last.dport, 40000);
    r.src.bytes[0] = 0xff; /* a multicast source: ip6 or TCP drops it */
    inject6(h, SIDE_A, &r);
    r.src = unic_addr_ip4(0x0a000002); /* an IPv4-mapped source would alias an IPv4 peer */
    inject6(h, SIDE_A, &r);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(watch.rsts, 1);
    assert_int_equal(
        tcp_stat(harness_a(h), "rx_bad_addr") + inet_stat(harness_a(h), "ip6.rx_bad_source"), 2);
    harness_free(h);
}

/* connect() to a multicast or unspecified IPv6 address, or to port 0, is refused. */
static void test_tcp6_connect_checks(void **state)
{
    (void)state;
    struct harness *h = harness6(NULL);
    int err = 0;
    struct unic_addr mc = fd00(1);
    mc.bytes[0] = 0xff;
    assert_null(tcp_connect(harness_b(h), mc, 80, app_on_connected, NULL, &err));
    assert_int_equal(err, -EINVAL);
    assert_null(tcp_connect(harness_b(h), fd00(1), 0, app_on_connected, NULL, &err));
    assert_int_equal(err, -EINVAL);
    struct unic_addr any = {{0}};
    assert_null(tcp_connect(harness_b(h), any, 80, app_on_connected, NULL, &err));
    assert_int_equal(err, -EINVAL);
    harness_free(h);
}

/* RFC 9293 MUST-43: an active open from a local address the service names. B has fd00::2 and
 * a second address, fd00::12: a connection from each reaches A's listener with that source,
 * and its data arrives; one from B's link-local address to fd00::1 (on the link) too. Not ours,
 * still tentative, of the other family, or link-local towards a destination off the link:
 * refused. Over IPv4 the stack's one address is accepted, any other refused. */
static void test_tcp6_connect_from(void **state)
{
    (void)state;
    struct harness *h = harness6(NULL);
    struct inet *b = harness_b(h);
    assert_int_equal(ip6_addr_add(b, fd00(0x12), 64, IP6_ORIGIN_STATIC, TIMER_NEVER, TIMER_NEVER),
                     0);
    harness_run(h, 5 * NSEC_PER_SEC); /* DAD */
    struct server srv = {0};
    srv.proto = (struct app){.rx_seed = 3};
    assert_non_null(tcp_listen(harness_a(h), PORT, server_on_accept, &srv, NULL));
    struct unic_addr link_local;
    assert_int_equal(ip6_select_src(b, ip6_test_addr("fe80::1"), &link_local), 0);
    assert_true(ip6_addr_is_link_local(link_local.bytes));
    struct unic_addr from[3] = {fd00(0x12), fd00(2), link_local};
    struct app c[4] = {{0}};
    int err = 1;
    for (int i = 0; i < 3; i++) {
        c[i] = (struct app){.tx_seed = 3, .tx_total = 3000};
        c[i].conn = tcp_connect_from(b, from[i], fd00(1), PORT, app_on_connected, &c[i], &err);
        assert_int_equal(err, 0);
        assert_true(unic_addr_equal(tcp_local_addr(c[i].conn), from[i]));
    }
    c[3] = (struct app){.tx_seed = 3, .tx_total = 3000};
    c[3].conn = tcp_connect_from(b, unic_addr_ip4(ADDR_B), unic_addr_ip4(ADDR_A), PORT,
                                 app_on_connected, &c[3], &err);
    assert_int_equal(err, 0);
    harness_run(h, 2 * NSEC_PER_SEC);
    assert_int_equal(srv.n, 4);
    for (int i = 0; i < 4; i++) {
        struct app *a = &srv.apps[i];
        assert_int_equal(a->rx_done, 3000);
        assert_int_equal(a->rx_bad, 0);
        bool found = false;
        for (int j = 0; j < 4; j++)
            found |= unic_addr_equal(tcp_peer_addr(a->conn), tcp_local_addr(c[j].conn)) &&
                     tcp_peer_port(a->conn) == tcp_local_port(c[j].conn);
        assert_true(found);
    }
    for (int i = 0; i < 4; i++) {
        tcp_abort(srv.apps[i].conn);
        tcp_abort(c[i].conn);
    }

    struct unic_addr far = ip6_test_addr("2001:db8::1"), tentative = fd00(0x13);
    assert_int_equal(ip6_addr_add(b, tentative, 64, IP6_ORIGIN_STATIC, TIMER_NEVER, TIMER_NEVER),
                     0);
    const struct {
        struct unic_addr src, dst;
        int err;
    } bad[] = {
        {fd00(0x99), fd00(1), -EADDRNOTAVAIL},     /* another host's */
        {fd00(1), fd00(2), -EADDRNOTAVAIL},        /* A's, not B's */
        {tentative, fd00(1), -EADDRNOTAVAIL},      /* DAD still running */
        {unic_addr_ip4(ADDR_B), fd00(1), -EINVAL}, /* the other family */
        {fd00(2), unic_addr_ip4(ADDR_A), -EINVAL},
        {link_local, far, -EINVAL}, /* would leave the link */
        {unic_addr_ip4(ADDR_A), unic_addr_ip4(ADDR_A), -EADDRNOTAVAIL},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = 0;
        assert_null(
            tcp_connect_from(b, bad[i].src, bad[i].dst, PORT, app_on_connected, NULL, &err));
        assert_int_equal(err, bad[i].err);
    }
    harness_run(h, NSEC_PER_SEC);
    harness_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp6_bulk),
        cmocka_unit_test(test_tcp6_bulk_lossy),
        cmocka_unit_test(test_tcp6_tso),
        cmocka_unit_test(test_tcp6_listener_both_families),
        cmocka_unit_test(test_tcp6_path_mtu),
        cmocka_unit_test(test_tcp6_icmp_too_big),
        cmocka_unit_test(test_tcp6_icmp_too_big_frame),
        cmocka_unit_test(test_tcp6_syn_cookies),
        cmocka_unit_test(test_tcp6_rfc5961),
        cmocka_unit_test(test_tcp6_checksum_and_rst),
        cmocka_unit_test(test_tcp6_connect_checks),
        cmocka_unit_test(test_tcp6_connect_from),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
