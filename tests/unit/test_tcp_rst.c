/* TCP against forged and malformed segments: RST handling and challenge ACKs (RFC 5961), SYN
 * on an established connection, ACKs for unsent data, PAWS, bad headers (one counter each),
 * SYN cookies and a SYN flood; a RST at a closed window, SYNs rewritten (no MSS option, a
 * window scale above 14), opens to broadcast addresses (rows of docs/tcp-requirements.md).
 * White-box: reads sequence numbers from tcp_internal.h. */
#include "../../src/net/tcp_internal.h"
#include "test_tcp_util.h"

struct est {
    struct harness *h;
    struct server srv;
    struct app cli;
    struct tcp_conn *s;    /* server side of the connection, on A */
    uint16_t lport, rport; /* its ports (forge() uses them once the handle is gone) */
};

static struct est *est_new(const struct tcp_params *pa)
{
    struct est *e = calloc(1, sizeof(*e));
    e->h = harness_new(NULL);
    if (pa)
        assert_int_equal(tcp_configure(harness_a(e->h), pa), 0);
    assert_non_null(tcp_listen(harness_a(e->h), 80, server_on_accept, &e->srv, NULL));
    app_connect(&e->cli, harness_b(e->h), ADDR_A, 80);
    harness_run(e->h, 10 * NSEC_PER_MSEC);
    assert_int_equal(e->srv.n, 1);
    e->s = e->srv.apps[0].conn;
    e->lport = e->s->lport;
    e->rport = e->s->rport;
    assert_int_equal(tcp_state(e->s), TCP_ESTABLISHED);
    return e;
}

static void est_free(struct est *e)
{
    if (!e->srv.apps[0].closed)
        tcp_abort(e->srv.apps[0].conn);
    if (!e->cli.closed)
        tcp_abort(e->cli.conn);
    harness_run(e->h, 10 * NSEC_PER_MSEC);
    harness_free(e->h);
    free(e);
}

/* A segment "from B" to A's server connection, with the given seq/ack/flags. */
static void forge(struct est *e, uint32_t seq, uint32_t ack, uint8_t flags, const void *data,
                  size_t len)
{
    struct raw_seg r = {.src = ADDR_B, .dst = ADDR_A, .payload = data, .len = len};
    r.h.sport = e->rport;
    r.h.dport = e->lport;
    r.h.seq = seq;
    r.h.ack = ack;
    r.h.flags = flags;
    r.h.window = 1000;
    inject_segment(e->h, SIDE_A, &r);
    harness_run(e->h, NSEC_PER_MSEC);
}

static int64_t stat_a(struct est *e, const char *name)
{
    return tcp_stat(harness_a(e->h), name);
}

static void test_rst_exact_resets(void **state)
{
    (void)state;
    struct est *e = est_new(NULL);
    forge(e, e->s->rcv_nxt, 0, TCP_RST, NULL, 0);
    assert_true(e->srv.apps[0].closed);
    assert_int_equal(e->srv.apps[0].close_reason, -ECONNRESET);
    assert_int_equal(stat_a(e, "rx_rst_accepted"), 1);
    est_free(e);
}

static void test_rst_in_window_challenged(void **state)
{
    (void)state;
    struct est *e = est_new(NULL);
    forge(e, e->s->rcv_nxt + 1000, 0, TCP_RST, NULL, 0);
    assert_false(e->srv.apps[0].closed);
    assert_int_equal(stat_a(e, "rx_rst_challenged"), 1);
    assert_int_equal(stat_a(e, "tx_challenge_acks"), 1);
    /* The real peer answers the challenge ACK with nothing (it is in sync): still open. */
    harness_run(e->h, 10 * NSEC_PER_MSEC);
    assert_int_equal(tcp_state(e->s), TCP_ESTABLISHED);
    est_free(e);
}

static void test_rst_out_of_window_dropped(void **state)
{
    (void)state;
    struct est *e = est_new(NULL);
    forge(e, e->s->rcv_nxt + 0x40000000u, 0, TCP_RST, NULL, 0);
    forge(e, e->s->rcv_nxt - 5000, 0, TCP_RST, NULL, 0);
    assert_false(e->srv.apps[0].closed);
    assert_int_equal(stat_a(e, "rx_out_of_window"), 2);
    assert_int_equal(stat_a(e, "tx_challenge_acks"), 0);
    est_free(e);
}

static void test_syn_on_established_challenged(void **state)
{
    (void)state;
    struct est *e = est_new(NULL);
    forge(e, e->s->rcv_nxt + 10, 0, TCP_SYN, NULL, 0);
    assert_false(e->srv.apps[0].closed);
    assert_int_equal(stat_a(e, "rx_syn_challenged"), 1);
    assert_int_equal(stat_a(e, "tx_challenge_acks"), 1);
    est_free(e);
}

static void test_ack_for_unsent_data(void **state)
{
    (void)state;
    struct est *e = est_new(NULL);
    forge(e, e->s->rcv_nxt, e->s->snd_max + 100000, TCP_ACK, "abc", 3);
    assert_int_equal(stat_a(e, "rx_ack_too_new"), 1);
    assert_int_equal(e->srv.apps[0].rx_done, 0); /* its data was dropped too */
    forge(e, e->s->rcv_nxt, e->s->snd_una - 0x20000000u, TCP_ACK, NULL, 0);
    assert_int_equal(stat_a(e, "rx_old_ack"), 1);
    assert_false(e->srv.apps[0].closed);
    est_free(e);
}

static void test_challenge_ack_rate_limit(void **state)
{
    (void)state;
    struct tcp_params p;
    tcp_default_params(&p);
    p.challenge_ack_per_s = 10;
    struct est *e = est_new(&p);
    for (int i = 0; i < 50; i++)
        forge(e, e->s->rcv_nxt + 100 + (uint32_t)i, 0, TCP_RST, NULL, 0);
    int64_t sent = stat_a(e, "tx_challenge_acks"), limited = stat_a(e, "tx_challenge_limited");
    assert_true(sent >= 10 && sent <= 20); /* 50 ms: at most two one-second buckets */
    assert_int_equal(sent + limited, 50);
    est_free(e);
}

static void test_paws(void **state)
{
    (void)state;
    struct est *e = est_new(NULL);
    struct raw_seg r = {.src = ADDR_B, .dst = ADDR_A, .payload = (const uint8_t *)"old", .len = 3};
    r.h.sport = e->s->rport;
    r.h.dport = e->s->lport;
    r.h.seq = e->s->rcv_nxt;
    r.h.ack = e->s->snd_una;
    r.h.flags = TCP_ACK;
    r.h.window = 1000;
    r.h.opts.has_ts = true;
    r.h.opts.ts_val = e->s->ts_recent - 1000; /* from an older incarnation */
    inject_segment(e->h, SIDE_A, &r);
    harness_run(e->h, NSEC_PER_MSEC);
    assert_int_equal(stat_a(e, "rx_paws_rejected"), 1);
    assert_int_equal(e->srv.apps[0].rx_done, 0);
    /* A pure ACK with an old timestamp (a reordered ACK) is not rejected: it carries no data. */
    r.len = 0;
    inject_segment(e->h, SIDE_A, &r);
    harness_run(e->h, NSEC_PER_MSEC);
    assert_int_equal(stat_a(e, "rx_paws_rejected"), 1);
    est_free(e);
}

/* Malformed headers: each has its own counter and nothing crashes or leaks. */
/* RFC 7323 5.5: after more than 24 days without a segment, TS.Recent is no longer trusted: a
 * segment with an older timestamp is taken (its sender's clock may have wrapped meanwhile). */
static void test_paws_off_after_24_days_idle(void **state)
{
    (void)state;
    struct est *e = est_new(NULL);
    struct raw_seg r = {.src = ADDR_B, .dst = ADDR_A, .payload = (const uint8_t *)"new", .len = 3};
    r.h.sport = e->s->rport;
    r.h.dport = e->s->lport;
    r.h.seq = e->s->rcv_nxt;
    r.h.ack = e->s->snd_una;
    r.h.flags = TCP_ACK;
    r.h.window = 1000;
    r.h.opts.has_ts = true;
    r.h.opts.ts_val = e->s->ts_recent - 1000;
    harness_run(e->h, 23ull * 24 * 3600 * NSEC_PER_SEC);
    inject_segment(e->h, SIDE_A, &r); /* 23 days idle: still rejected */
    harness_run(e->h, NSEC_PER_MSEC);
    assert_int_equal(stat_a(e, "rx_paws_rejected"), 1);
    harness_run(e->h, 2ull * 24 * 3600 * NSEC_PER_SEC);
    inject_segment(e->h, SIDE_A, &r);
    harness_run(e->h, NSEC_PER_MSEC);
    assert_int_equal(stat_a(e, "rx_paws_rejected"), 1);
    assert_int_equal(e->srv.apps[0].rx_done, 3);
    est_free(e);
}

static void test_bad_segments_counted(void **state)
{
    (void)state;
    struct est *e = est_new(NULL);
    uint8_t f[80];
    const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 1}, mac_b[6] = {0x02, 0, 0, 0, 0, 2};
    struct {
        size_t tcp_len;
        uint8_t offset_byte;
        bool bad_sum;
        const char *counter;
    } cases[] = {
        {10, 0x50, false, "rx_truncated"},   {20, 0x30, false, "rx_bad_offset"},
        {20, 0xf0, false, "rx_truncated"},   {24, 0x60, false, "rx_bad_option"},
        {20, 0x50, true, "rx_bad_checksum"},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(f, 0, sizeof(f));
        memcpy(f, mac_a, 6);
        memcpy(f + 6, mac_b, 6);
        wr16(f + 12, 0x0800);
        uint8_t *t = f + 34;
        wr16(t, e->s->rport);
        wr16(t + 2, e->s->lport);
        t[12] = cases[i].offset_byte;
        t[13] = TCP_ACK;
        t[20] = TCP_OPT_MSS, t[21] = 7; /* runs past the header when there are options */
        tcp_set_checksum(t, cases[i].tcp_len, ADDR_B, ADDR_A);
        if (cases[i].bad_sum)
            t[17] ^= 1;
        struct ip4_hdr ip = {.total_len = (uint16_t)(20 + cases[i].tcp_len),
                             .ttl = 64,
                             .proto = IP4_PROTO_TCP,
                             .src = ADDR_B,
                             .dst = ADDR_A};
        ip4_emit(f + 14, 20, &ip);
        int64_t before = stat_a(e, cases[i].counter);
        harness_inject(e->h, SIDE_A, f, 34 + cases[i].tcp_len);
        harness_run(e->h, NSEC_PER_MSEC);
        assert_int_equal(stat_a(e, cases[i].counter), before + 1);
    }
    assert_int_equal(tcp_state(e->s), TCP_ESTABLISHED);
    est_free(e);
}

static void test_no_listener_gets_rst(void **state)
{
    (void)state;
    struct est *e = est_new(NULL);
    struct raw_seg r = {.src = ADDR_B, .dst = ADDR_A};
    r.h.sport = 1234;
    r.h.dport = 4321;
    r.h.seq = 99;
    r.h.flags = TCP_SYN;
    int64_t rst = stat_a(e, "tx_rst");
    inject_segment(e->h, SIDE_A, &r);
    harness_run(e->h, NSEC_PER_MSEC);
    assert_int_equal(stat_a(e, "rx_no_conn"), 1);
    assert_int_equal(stat_a(e, "tx_rst"), rst + 1);
    r.h.flags = TCP_RST; /* never answered */
    inject_segment(e->h, SIDE_A, &r);
    harness_run(e->h, NSEC_PER_MSEC);
    assert_int_equal(stat_a(e, "tx_rst"), rst + 1);
    est_free(e);
}

/* With a backlog of zero every SYN is answered with a cookie: the handshake and a transfer work,
 * with options (timestamps carry window scale and SACK) and without. */
static void cookie_transfer(bool peer_timestamps)
{
    struct harness *h = harness_new(NULL);
    struct tcp_params p;
    tcp_default_params(&p);
    p.syn_backlog = 0;
    assert_int_equal(tcp_configure(harness_a(h), &p), 0);
    tcp_default_params(&p);
    p.timestamps = peer_timestamps;
    assert_int_equal(tcp_configure(harness_b(h), &p), 0);
    struct server srv = {
        .proto = {.rx_seed = 3, .tx_seed = 4, .tx_total = 500000, .close_on_eof = true}};
    assert_non_null(tcp_listen(harness_a(h), 80, server_on_accept, &srv, NULL));
    struct app cli = {.tx_seed = 3, .rx_seed = 4, .tx_total = 700000, .close_when_sent = true};
    app_connect(&cli, harness_b(h), ADDR_A, 80);
    assert_true(harness_run_until(h, app_done, &cli, 10 * NSEC_PER_SEC));
    assert_int_equal(tcp_stat(harness_a(h), "syn_cookies_sent"), 1);
    assert_int_equal(tcp_stat(harness_a(h), "syn_cookies_ok"), 1);
    assert_int_equal(srv.apps[0].rx_done, 700000);
    assert_int_equal(cli.rx_done, 500000);
    assert_int_equal(srv.apps[0].rx_bad + cli.rx_bad, 0);
    struct tcp_conn *s = srv.apps[0].closed ? NULL : srv.apps[0].conn;
    (void)s;
    harness_run(h, 61 * NSEC_PER_SEC);
    assert_int_equal(tcp_conn_count(harness_a(h)) + tcp_conn_count(harness_b(h)), 0);
    harness_free(h);
}

static void test_syn_cookies(void **state)
{
    (void)state;
    cookie_transfer(true);
    cookie_transfer(false);
}

static void test_bad_cookie(void **state)
{
    (void)state;
    struct est *e = est_new(NULL);
    struct raw_seg r = {.src = ADDR_B, .dst = ADDR_A};
    r.h.sport = 2222;
    r.h.dport = 80;
    r.h.seq = 1000;
    r.h.ack = 0x12345678;
    r.h.flags = TCP_ACK;
    inject_segment(e->h, SIDE_A, &r);
    harness_run(e->h, NSEC_PER_MSEC);
    assert_int_equal(stat_a(e, "syn_cookies_bad"), 1);
    assert_int_equal(tcp_conn_count(harness_a(e->h)), 1);
    est_free(e);
}

/* The default backlog: max_conns / 16, max_conns 4096 when the stack knows no memory size. */
#define DEFAULT_SYN_BACKLOG 256

/* 3000 SYNs from spoofed addresses: state stays bounded by the backlog, cookies take over, and
 * a real client still gets through and transfers. */
static void test_syn_flood(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    struct server srv = {.proto = {.rx_seed = 3, .close_on_eof = true}};
    assert_non_null(tcp_listen(harness_a(h), 80, server_on_accept, &srv, NULL));
    for (uint32_t i = 0; i < 3000; i++) {
        struct raw_seg r = {.src = 0x0a000000u + 10 + i % 200, .dst = ADDR_A};
        r.h.sport = (uint16_t)(1024 + i);
        r.h.dport = 80;
        r.h.seq = i * 7919u;
        r.h.flags = TCP_SYN;
        r.h.window = 65535;
        r.h.opts.has_mss = true;
        r.h.opts.mss = 1460;
        inject_segment(h, SIDE_A, &r);
        if (i % 100 == 0)
            harness_run(h, 100 * NSEC_PER_USEC);
    }
    harness_run(h, NSEC_PER_MSEC);
    assert_true(tcp_conn_count(harness_a(h)) <= DEFAULT_SYN_BACKLOG);
    if (getenv("TCP_DEBUG"))
        inet_print_stats(harness_a(h), 0);
    assert_true(tcp_stat(harness_a(h), "syn_cookies_sent") >= 3000 - DEFAULT_SYN_BACKLOG);
    struct app cli = {.tx_seed = 3, .tx_total = 100000, .close_when_sent = true};
    app_connect(&cli, harness_b(h), ADDR_A, 80);
    assert_true(harness_run_until(h, app_done, &cli, 10 * NSEC_PER_SEC));
    assert_int_equal(srv.n, 1);
    assert_int_equal(srv.apps[0].rx_done, 100000);
    assert_int_equal(tcp_stat(harness_a(h), "syn_cookies_ok"), 1);
    harness_run(h, 120 * NSEC_PER_SEC); /* half-open entries time out */
    assert_int_equal(tcp_conn_count(harness_a(h)), 0);
    harness_free(h);
}

/* RFC 1337: a RST does not end TIME_WAIT early. */
static void test_time_wait_ignores_rst(void **state)
{
    (void)state;
    struct est *e = est_new(NULL);
    e->cli.close_on_eof = true;
    uint32_t rcv_nxt = e->s->rcv_nxt + 1; /* past the client's FIN (it sends nothing) */
    tcp_close(e->s);                      /* the server closes first: it will hold TIME_WAIT */
    harness_run(e->h, 10 * NSEC_PER_MSEC);
    assert_int_equal(stat_a(e, "conn_time_wait"), 1);
    forge(e, rcv_nxt, 0, TCP_RST, NULL, 0); /* e->s is gone (on_close), its tuple is not */
    assert_int_equal(stat_a(e, "conn_time_wait"), 1);
    assert_int_equal(stat_a(e, "rx_rst_dropped"), 1);
    harness_run(e->h, 61 * NSEC_PER_SEC);
    assert_int_equal(tcp_conn_count(harness_a(e->h)), 0);
    harness_free(e->h);
    free(e);
}

/* Half-open connections of a listener that goes away are reset and freed. */
static void test_unlisten_half_open(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    struct server srv = {0};
    struct tcp_listener *l = tcp_listen(harness_a(h), 80, server_on_accept, &srv, NULL);
    for (uint16_t i = 0; i < 5; i++) {
        struct raw_seg r = {.src = ADDR_B, .dst = ADDR_A};
        r.h.sport = (uint16_t)(3000 + i);
        r.h.dport = 80;
        r.h.seq = 1000u * i;
        r.h.flags = TCP_SYN;
        r.h.window = 1000;
        inject_segment(h, SIDE_A, &r);
    }
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(tcp_conn_count(harness_a(h)), 5);
    int64_t rst = tcp_stat(harness_a(h), "tx_rst");
    tcp_unlisten(l);
    assert_int_equal(tcp_conn_count(harness_a(h)), 0);
    assert_int_equal(tcp_stat(harness_a(h), "tx_rst"), rst + 5);
    assert_int_equal(srv.n, 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    harness_free(h);
}

/* Per client port: the timestamp of the cookie SYN-ACK, and whether the server's first data
 * segment went back before it. */
static uint32_t synack_ts[65536];
static bool synack_seen[65536];
static unsigned ts_back;
static bool check_server_ts(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    (void)h;
    struct seen s;
    if (from != SIDE_A || !parse_seen(nb, &s) || !s.h.opts.has_ts)
        return true;
    uint16_t port = s.h.dport;
    if ((s.h.flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK)) {
        synack_ts[port] = s.h.opts.ts_val;
        synack_seen[port] = true;
    } else if (s.len && synack_seen[port]) {
        if (seq_gt(synack_ts[port], s.h.opts.ts_val))
            ts_back++;
        synack_seen[port] = false;
    }
    return true;
}

/* RFC 7323 5.4: timestamps never go back, also from a SYN cookie's SYN-ACK, whose low bits
 * carry the options (without that the peer's PAWS drops the server's first data). 16 cookie
 * connections, opened 3 ms apart, where the server speaks first. */
static void test_cookie_timestamps_not_ahead(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    struct tcp_params p;
    tcp_default_params(&p);
    p.syn_backlog = 0;
    assert_int_equal(tcp_configure(harness_a(h), &p), 0);
    struct server srv = {.proto = {.tx_seed = 4, .tx_total = 1000}};
    assert_non_null(tcp_listen(harness_a(h), 80, server_on_accept, &srv, NULL));
    memset(synack_seen, 0, sizeof(synack_seen));
    ts_back = 0;
    h->tap = check_server_ts;
    static struct app cli[16];
    for (int i = 0; i < 16; i++) {
        cli[i] = (struct app){.rx_seed = 4};
        app_connect(&cli[i], harness_b(h), ADDR_A, 80);
        harness_run(h, 3 * NSEC_PER_MSEC);
    }
    harness_run(h, 50 * NSEC_PER_MSEC);
    assert_int_equal(tcp_stat(harness_a(h), "syn_cookies_ok"), 16);
    int64_t paws = tcp_stat(harness_b(h), "rx_paws_rejected");
    if (ts_back || paws)
        print_message("%u SYN-ACKs ahead of the data, %ld segments PAWS-rejected\n", ts_back,
                      (long)paws);
    assert_int_equal(ts_back, 0);
    assert_int_equal(paws, 0);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(cli[i].rx_done, 1000);
        tcp_abort(cli[i].conn);
    }
    h->tap = NULL;
    harness_run(h, NSEC_PER_SEC);
    harness_free(h);
}

/* RFC 9293 3.10.7.4, MUST-66: a closed receive window still lets a RST in (and the ACK of a
 * zero-window probe): a segment at exactly rcv_nxt is acceptable at window zero. */
static void test_rst_at_zero_window(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    struct tcp_params p;
    tcp_default_params(&p);
    p.rcv_buf = 4096;
    assert_int_equal(tcp_configure(harness_a(h), &p), 0);
    struct server srv = {.proto = {.rx_seed = 5, .hold = true}};
    assert_non_null(tcp_listen(harness_a(h), 80, server_on_accept, &srv, NULL));
    struct app cli = {.tx_seed = 5, .tx_total = 20000};
    app_connect(&cli, harness_b(h), ADDR_A, 80);
    harness_run(h, NSEC_PER_SEC);
    assert_int_equal(srv.n, 1);
    struct tcp_conn *s = srv.apps[0].conn;
    assert_int_equal(tcp_rcv_window(s), 0);
    struct raw_seg r = {.src = ADDR_B, .dst = ADDR_A};
    r.h.sport = s->rport;
    r.h.dport = s->lport;
    r.h.seq = s->rcv_nxt;
    r.h.flags = TCP_RST;
    inject_segment(h, SIDE_A, &r);
    harness_run(h, NSEC_PER_MSEC);
    assert_true(srv.apps[0].closed);
    assert_int_equal(srv.apps[0].close_reason, -ECONNRESET);
    tcp_abort(cli.conn);
    harness_run(h, NSEC_PER_SEC);
    harness_free(h);
}

/* MUST-46: an active open to a broadcast or multicast address is refused. */
static void test_connect_broadcast_refused(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    static const uint32_t bad[] = {0xffffffffu, 0x0a0000ffu /* 10.0.0.255: the /24's */,
                                   0xe0000001u, 0xeffffffau};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int err = 0;
        assert_null(
            tcp_connect(harness_b(h), unic_addr_ip4(bad[i]), 80, app_on_connected, NULL, &err));
        assert_int_equal(err, -EINVAL);
    }
    assert_int_equal(tcp_conn_count(harness_b(h)), 0);
    harness_free(h);
}

/* The tap rewrites the client's SYN: without its MSS option (syn_edit 1), or with a window
 * scale shift of 15 (syn_edit 2). */
static int syn_edit;
static uint32_t max_server_payload;
static bool edit_client_syn(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    struct seen s;
    if (!parse_seen(nb, &s))
        return true;
    if (from == SIDE_A && s.len > max_server_payload)
        max_server_payload = s.len;
    if (from != SIDE_B || (s.h.flags & (TCP_SYN | TCP_ACK)) != TCP_SYN)
        return true;
    if (syn_edit == 1)
        s.h.opts.has_mss = false;
    else
        s.h.opts.wscale = 15;
    resend_seen(h, from, &s);
    return false;
}

static struct tcp_conn *edited_handshake(struct harness *h, struct server *srv, int edit)
{
    syn_edit = edit;
    max_server_payload = 0;
    h->tap = edit_client_syn;
    assert_non_null(tcp_listen(harness_a(h), 80, server_on_accept, srv, NULL));
    static struct app cli;
    cli = (struct app){.rx_seed = 4};
    app_connect(&cli, harness_b(h), ADDR_A, 80);
    harness_run(h, NSEC_PER_SEC);
    assert_int_equal(srv->n, 1);
    return srv->apps[0].conn;
}

/* MUST-15: a peer that sends no MSS option gets segments of at most 536 bytes (less the
 * timestamp option, RFC 6691), whatever our MTU. */
static void test_no_mss_option_means_536(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    struct server srv = {.proto = {.tx_seed = 4, .tx_total = 20000}};
    struct tcp_conn *s = edited_handshake(h, &srv, 1);
    assert_true(s->ts_ok);
    assert_int_equal(s->mss, 536 - 12);
    assert_int_equal(max_server_payload, 536 - 12);
    tcp_abort(s);
    h->tap = NULL;
    harness_run(h, NSEC_PER_SEC);
    harness_free(h);
}

/* RFC 7323 2.3: a window scale shift above 14 is taken as 14. */
static void test_wscale_above_14_is_14(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    struct server srv = {0};
    struct tcp_conn *s = edited_handshake(h, &srv, 2);
    assert_true(s->ws_ok);
    assert_int_equal(s->snd_wscale, 14);
    tcp_abort(s);
    h->tap = NULL;
    harness_run(h, NSEC_PER_SEC);
    harness_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rst_exact_resets),
        cmocka_unit_test(test_rst_in_window_challenged),
        cmocka_unit_test(test_rst_out_of_window_dropped),
        cmocka_unit_test(test_syn_on_established_challenged),
        cmocka_unit_test(test_ack_for_unsent_data),
        cmocka_unit_test(test_challenge_ack_rate_limit),
        cmocka_unit_test(test_paws),
        cmocka_unit_test(test_paws_off_after_24_days_idle),
        cmocka_unit_test(test_bad_segments_counted),
        cmocka_unit_test(test_no_listener_gets_rst),
        cmocka_unit_test(test_syn_cookies),
        cmocka_unit_test(test_cookie_timestamps_not_ahead),
        cmocka_unit_test(test_bad_cookie),
        cmocka_unit_test(test_syn_flood),
        cmocka_unit_test(test_unlisten_half_open),
        cmocka_unit_test(test_time_wait_ignores_rst),
        cmocka_unit_test(test_rst_at_zero_window),
        cmocka_unit_test(test_connect_broadcast_refused),
        cmocka_unit_test(test_no_mss_option_means_536),
        cmocka_unit_test(test_wscale_above_14_is_14),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
