/* TCP over the virtual wire: handshakes, state transitions, closes, half-close, TIME_WAIT,
 * simultaneous open and close, Nagle, delayed ACKs, keepalive, timeouts, no state left. */
#include "frames.h"
#include "test_tcp_util.h"

/* A listening on 80, B connects, both send (tx) bytes, the client closes after sending and the
 * server closes on EOF. */
struct pair {
    struct harness *h;
    struct server srv;
    struct app cli;
    struct tcp_listener *l;
};

static struct pair *pair_new(const struct harness_opts *o)
{
    struct pair *p = calloc(1, sizeof(*p));
    p->h = harness_new(o);
    int err = -1;
    p->l = tcp_listen(harness_a(p->h), 80, server_on_accept, &p->srv, &err);
    assert_int_equal(err, 0);
    p->srv.proto.tx_seed = 2;
    p->srv.proto.rx_seed = 1;
    p->cli.tx_seed = 1;
    p->cli.rx_seed = 2;
    return p;
}

static void pair_free(struct pair *p)
{
    harness_free(p->h);
    free(p);
}

static bool srv_closed(void *arg)
{
    struct pair *p = arg;
    return p->srv.n == 1 && p->srv.apps[0].closed && p->cli.closed;
}

static void test_handshake_data_close(void **state)
{
    (void)state;
    struct pair *p = pair_new(NULL);
    p->srv.proto.tx_total = 1000;
    p->srv.proto.close_on_eof = true;
    p->cli.tx_total = 5000;
    p->cli.close_when_sent = true;
    app_connect(&p->cli, harness_b(p->h), ADDR_A, 80);
    assert_int_equal(tcp_state(p->cli.conn), TCP_SYN_SENT);
    harness_run(p->h, 50 * NSEC_PER_MSEC);
    assert_true(p->cli.connected);
    assert_int_equal(p->srv.n, 1);
    assert_true(harness_run_until(p->h, srv_closed, p, 5 * NSEC_PER_SEC));
    struct app *s = &p->srv.apps[0];
    assert_int_equal(s->rx_done, 5000);
    assert_int_equal(s->rx_bad, 0);
    assert_int_equal(p->cli.rx_done, 1000);
    assert_int_equal(p->cli.rx_bad, 0);
    assert_int_equal(s->close_reason, 0);
    assert_int_equal(p->cli.close_reason, 0);
    /* The client closed first: it holds TIME_WAIT, the server nothing. */
    if (getenv("TCP_DEBUG"))
        inet_print_stats(harness_a(p->h), 0), inet_print_stats(harness_b(p->h), 0);
    assert_int_equal(tcp_conn_count(harness_a(p->h)), 0);
    assert_int_equal(tcp_conn_count(harness_b(p->h)), 1);
    assert_int_equal(tcp_stat(harness_b(p->h), "conn_time_wait"), 1);
    harness_run(p->h, 61 * NSEC_PER_SEC);
    assert_int_equal(tcp_conn_count(harness_b(p->h)), 0);
    assert_int_equal(tcp_stat(harness_a(p->h), "conn_open"), 0);
    pair_free(p);
}

static void test_refused(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    struct app a = {0};
    app_connect(&a, harness_b(h), ADDR_A, 81);
    tcp_listen(harness_a(h), 80, server_on_accept, NULL, NULL); /* attach TCP on A */
    assert_true(harness_run_until(h, app_done, &a, NSEC_PER_SEC));
    assert_int_equal(a.connect_err, -ECONNREFUSED);
    assert_int_equal(tcp_conn_count(harness_b(h)), 0);
    harness_free(h);
}

/* A has no TCP at all: it answers the SYN with an ICMP port unreachable, a hard error that
 * ends the connect at once (RFC 1122 4.2.3.9, RFC 9293 MUST-54). Before, the error was
 * ignored and the connect retried for minutes, then said -ETIMEDOUT. */
static void test_refused_without_tcp(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    struct app a = {0};
    app_connect(&a, harness_b(h), ADDR_A, 80);
    assert_true(harness_run_until(h, app_done, &a, 100 * NSEC_PER_MSEC));
    assert_int_equal(a.connect_err, -ECONNREFUSED);
    assert_int_equal(tcp_stat(harness_b(h), "tx_retransmits"), 0);
    assert_int_equal(tcp_stat(harness_b(h), "rx_icmp_hard"), 1);
    assert_int_equal(inet_stat(harness_a(h), "icmp.tx_unreachable"), 1);
    assert_int_equal(tcp_conn_count(harness_b(h)), 0);
    harness_free(h);
}

/* A tap turns every SYN A sends into an ICMP error from a router (10.0.0.9) about it. */
static uint8_t icmp_type, icmp_code;
static bool syn_to_icmp(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    struct seen s;
    if (from != SIDE_B || !parse_seen(nb, &s) || s.h.flags != TCP_SYN)
        return true;
    uint8_t f[128] = {0};
    size_t n = frame_eth(f, harness_b(h)->mac, 0x0800);
    size_t quote = 20 + 8, body = 8 + quote;
    n += frame_ip4(f + n, THIRD_IP, ADDR_B, 1, (uint16_t)(20 + body), 7, 0, 0);
    f[n] = icmp_type, f[n + 1] = icmp_code;
    memcpy(f + n + 8, nb->data + 14, quote);
    wr16(f + n + 2, ip_checksum(f + n, body));
    harness_inject(h, SIDE_B, f, n + body);
    return false;
}

/* Soft errors (host unreachable, time exceeded) do not end a connect, which keeps trying, and
 * are what it reports when it times out (RFC 1122 4.2.3.9); a port unreachable from anywhere
 * (quoting our SYN) ends it at once; one quoting a sequence not in flight is ignored. */
static void test_icmp_errors_reach_tcp(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    h->tap = syn_to_icmp;
    icmp_type = 3, icmp_code = 1; /* host unreachable */
    struct app a = {0};
    app_connect(&a, harness_b(h), ADDR_A, 80);
    harness_run(h, 10 * NSEC_PER_SEC);
    assert_false(a.closed);
    assert_true(tcp_stat(harness_b(h), "rx_icmp_soft") >= 2);
    assert_true(tcp_stat(harness_b(h), "tx_retransmits") >= 2);
    icmp_type = 11, icmp_code = 0; /* time exceeded: soft too */
    assert_true(harness_run_until(h, app_done, &a, 300 * NSEC_PER_SEC));
    assert_int_equal(a.connect_err, -EHOSTUNREACH); /* the last soft error, not -ETIMEDOUT */
    assert_int_equal(inet_stat(harness_b(h), "icmp.errors_to_transport"),
                     tcp_stat(harness_b(h), "rx_icmp_soft"));
    struct app b = {0};
    icmp_type = 3, icmp_code = 3; /* port unreachable */
    app_connect(&b, harness_b(h), ADDR_A, 80);
    assert_true(harness_run_until(h, app_done, &b, 100 * NSEC_PER_MSEC));
    assert_int_equal(b.connect_err, -ECONNREFUSED);
    assert_int_equal(tcp_stat(harness_b(h), "rx_icmp_hard"), 1);
    assert_int_equal(tcp_conn_count(harness_b(h)), 0);
    harness_free(h);
}

static void test_half_close(void **state)
{
    (void)state;
    struct pair *p = pair_new(NULL);
    p->cli.tx_total = 100;
    p->cli.close_when_sent = true; /* client: FIN_WAIT_2 while the server keeps sending */
    p->srv.proto.tx_total = 1 << 20;
    p->srv.proto.close_when_sent = true;
    app_connect(&p->cli, harness_b(p->h), ADDR_A, 80);
    harness_run(p->h, 20 * NSEC_PER_MSEC);
    assert_int_equal(p->srv.n, 1);
    bool done = harness_run_until(p->h, srv_closed, p, 10 * NSEC_PER_SEC);
    if (getenv("TCP_DEBUG"))
        print_message("cli rx %lu srv tx %lu\n", (unsigned long)p->cli.rx_done,
                      (unsigned long)p->srv.apps[0].tx_done);
    if (getenv("TCP_DEBUG"))
        inet_print_stats(harness_a(p->h), 0), inet_print_stats(harness_b(p->h), 0);
    assert_true(done);
    assert_true(p->srv.apps[0].eof);
    assert_int_equal(p->cli.rx_done, 1 << 20);
    assert_int_equal(p->cli.rx_bad, 0);
    assert_true(p->cli.eof);
    pair_free(p);
}

static void test_abort_resets_peer(void **state)
{
    (void)state;
    struct pair *p = pair_new(NULL);
    p->cli.tx_total = 10;
    app_connect(&p->cli, harness_b(p->h), ADDR_A, 80);
    harness_run(p->h, 20 * NSEC_PER_MSEC);
    assert_int_equal(p->srv.n, 1);
    tcp_abort(p->srv.apps[0].conn);
    assert_int_equal(tcp_conn_count(harness_a(p->h)), 0);
    assert_true(harness_run_until(p->h, app_done, &p->cli, NSEC_PER_SEC));
    assert_int_equal(p->cli.close_reason, -ECONNRESET);
    assert_int_equal(tcp_conn_count(harness_b(p->h)), 0);
    pair_free(p);
}

static void test_abort_inside_callback(void **state)
{
    (void)state;
    struct pair *p = pair_new(NULL);
    p->srv.proto.abort_on_data = true;
    p->cli.tx_total = 100000;
    app_connect(&p->cli, harness_b(p->h), ADDR_A, 80);
    assert_true(harness_run_until(p->h, app_done, &p->cli, NSEC_PER_SEC));
    assert_int_equal(p->cli.close_reason, -ECONNRESET);
    assert_int_equal(tcp_conn_count(harness_a(p->h)), 0);
    assert_int_equal(tcp_conn_count(harness_b(p->h)), 0);
    pair_free(p);
}

/* Both ends connect to each other at once from fixed ports (RFC 9293 figure 8). */
static void test_simultaneous_open_and_close(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    struct app a = {.tx_seed = 5, .rx_seed = 6, .tx_total = 3000};
    struct app b = {.tx_seed = 6, .rx_seed = 5, .tx_total = 4000};
    tcp_test_force_port(harness_a(h), 5000);
    tcp_test_force_port(harness_b(h), 6000);
    app_connect(&a, harness_a(h), ADDR_B, 6000);
    app_connect(&b, harness_b(h), ADDR_A, 5000);
    harness_run(h, 100 * NSEC_PER_MSEC);
    assert_true(a.connected);
    assert_true(b.connected);
    assert_int_equal(a.rx_done, 4000);
    assert_int_equal(b.rx_done, 3000);
    assert_int_equal(a.rx_bad + b.rx_bad, 0);
    /* Simultaneous close: FIN_WAIT_1 -> CLOSING -> TIME_WAIT on both sides. */
    tcp_close(a.conn);
    tcp_close(b.conn);
    assert_int_equal(tcp_state(a.conn), TCP_FIN_WAIT_1);
    harness_run(h, 50 * NSEC_PER_USEC + 100 * NSEC_PER_USEC);
    struct app *both[2] = {&a, &b};
    assert_true(harness_run_until(h, both_closed, both, NSEC_PER_SEC));
    assert_int_equal(tcp_stat(harness_a(h), "conn_time_wait"), 1);
    assert_int_equal(tcp_stat(harness_b(h), "conn_time_wait"), 1);
    harness_run(h, 61 * NSEC_PER_SEC);
    assert_int_equal(tcp_conn_count(harness_a(h)) + tcp_conn_count(harness_b(h)), 0);
    harness_free(h);
}

/* Server closes first, so it holds TIME_WAIT; a new SYN from the same port reuses it. */
static void test_time_wait_reuse(void **state)
{
    (void)state;
    struct pair *p = pair_new(NULL);
    p->srv.proto.tx_total = 100;
    p->srv.proto.close_when_sent = true;
    p->cli.close_on_eof = true;
    tcp_test_force_port(harness_b(p->h), 40000);
    app_connect(&p->cli, harness_b(p->h), ADDR_A, 80);
    assert_true(harness_run_until(p->h, srv_closed, p, NSEC_PER_SEC));
    assert_int_equal(tcp_stat(harness_a(p->h), "conn_time_wait"), 1);
    assert_int_equal(tcp_conn_count(harness_b(p->h)), 0);
    harness_run(p->h, NSEC_PER_SEC);
    struct app again = {.tx_seed = 1, .rx_seed = 2, .tx_total = 10};
    tcp_test_force_port(harness_b(p->h), 40000);
    app_connect(&again, harness_b(p->h), ADDR_A, 80);
    harness_run(p->h, 50 * NSEC_PER_MSEC);
    assert_true(again.connected);
    assert_int_equal(tcp_stat(harness_a(p->h), "rx_time_wait_reuse"), 1);
    assert_int_equal(p->srv.n, 2);
    assert_int_equal(p->srv.apps[1].rx_done, 10);
    tcp_abort(again.conn);
    harness_run(p->h, 10 * NSEC_PER_MSEC);
    pair_free(p);
}

static void test_every_state_seen(void **state)
{
    (void)state;
    /* Walk one connection through the active-close path, checking each state. */
    struct pair *p = pair_new(NULL);
    app_connect(&p->cli, harness_b(p->h), ADDR_A, 80);
    struct tcp_conn *c = p->cli.conn;
    assert_int_equal(tcp_state(c), TCP_SYN_SENT);
    harness_run(p->h, 10 * NSEC_PER_MSEC);
    assert_int_equal(tcp_state(c), TCP_ESTABLISHED);
    struct tcp_conn *s = p->srv.apps[0].conn;
    assert_int_equal(tcp_state(s), TCP_ESTABLISHED);
    tcp_close(c);
    assert_int_equal(tcp_state(c), TCP_FIN_WAIT_1);
    harness_run(p->h, 10 * NSEC_PER_MSEC);
    assert_int_equal(tcp_state(c), TCP_FIN_WAIT_2);
    assert_int_equal(tcp_state(s), TCP_CLOSE_WAIT);
    assert_true(p->srv.apps[0].eof);
    tcp_close(s);
    assert_int_equal(tcp_state(s), TCP_LAST_ACK);
    harness_run(p->h, 10 * NSEC_PER_MSEC);
    assert_true(p->srv.apps[0].closed);
    assert_true(p->cli.closed);
    assert_int_equal(tcp_stat(harness_b(p->h), "conn_time_wait"), 1);
    assert_string_equal(tcp_state_name(TCP_TIME_WAIT), "TIME_WAIT");
    pair_free(p);
}

static void test_fin_wait_2_timeout(void **state)
{
    (void)state;
    struct pair *p = pair_new(NULL);
    app_connect(&p->cli, harness_b(p->h), ADDR_A, 80);
    harness_run(p->h, 10 * NSEC_PER_MSEC);
    tcp_close(p->cli.conn);
    harness_run(p->h, 10 * NSEC_PER_MSEC);
    assert_int_equal(tcp_state(p->cli.conn), TCP_FIN_WAIT_2);
    assert_true(harness_run_until(p->h, app_done, &p->cli, 70 * NSEC_PER_SEC));
    assert_int_equal(p->cli.close_reason, -ETIMEDOUT);
    tcp_abort(p->srv.apps[0].conn);
    pair_free(p);
}

static bool drop_all(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    (void)h, (void)from, (void)nb;
    return false;
}

static void test_keepalive_timeout(void **state)
{
    (void)state;
    struct pair *p = pair_new(NULL);
    app_connect(&p->cli, harness_b(p->h), ADDR_A, 80);
    harness_run(p->h, 10 * NSEC_PER_MSEC);
    tcp_set_keepalive(p->cli.conn, 10, 2, 3);
    harness_run(p->h, 30 * NSEC_PER_SEC); /* the peer answers probes: still alive */
    assert_false(p->cli.closed);
    assert_true(tcp_stat(harness_b(p->h), "tx_keepalives") >= 2);
    p->h->tap = drop_all; /* the peer vanishes */
    assert_true(harness_run_until(p->h, app_done, &p->cli, 30 * NSEC_PER_SEC));
    assert_int_equal(p->cli.close_reason, -ETIMEDOUT);
    p->h->tap = NULL;
    tcp_abort(p->srv.apps[0].conn);
    pair_free(p);
}

/* A connection (R2 (retries), 0: the default) sends 10,000 bytes into a wire that drops
 * everything: it ends with -ETIMEDOUT; returns how long that took and (*rtos) the timeouts. */
static uint64_t data_timeout(uint8_t retries, int64_t *rtos)
{
    struct pair *p = pair_new(NULL);
    app_connect(&p->cli, harness_b(p->h), ADDR_A, 80);
    harness_run(p->h, 10 * NSEC_PER_MSEC);
    if (retries)
        tcp_set_data_retries(p->cli.conn, retries);
    p->h->tap = drop_all;
    p->cli.tx_total = 10000;
    app_pump(&p->cli);
    uint64_t t0 = inet_now(harness_b(p->h));
    assert_true(harness_run_until(p->h, app_done, &p->cli, 2000 * NSEC_PER_SEC));
    assert_int_equal(p->cli.close_reason, -ETIMEDOUT);
    uint64_t took = inet_now(harness_b(p->h)) - t0;
    *rtos = tcp_stat(harness_b(p->h), "tx_rto");
    p->h->tap = NULL;
    tcp_abort(p->srv.apps[0].conn);
    pair_free(p);
    return took;
}

static void test_data_timeout(void **state)
{
    (void)state;
    int64_t rtos;
    data_timeout(0, &rtos);
    assert_true(rtos >= 10);
}

/* RFC 9293 MUST-21: R2 is settable per connection; 3 retransmissions end it in seconds (RTOs of 1,
 * 2, 4, 8 s), not the 9..11 minutes of the default 15. */
static void test_data_retries_settable(void **state)
{
    (void)state;
    int64_t rtos;
    assert_true(data_timeout(3, &rtos) < 30 * NSEC_PER_SEC);
    assert_true(rtos <= 4);
}

/* RFC 9293 MUST-23: a connect whose SYNs go unanswered is tried for at least 3 minutes. */
static void test_syn_tried_three_minutes(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    h->tap = drop_all;
    struct app a = {0};
    uint64_t t0 = inet_now(harness_b(h));
    app_connect(&a, harness_b(h), ADDR_A, 80);
    assert_true(harness_run_until(h, app_done, &a, 600 * NSEC_PER_SEC));
    assert_int_equal(a.connect_err, -ETIMEDOUT);
    uint64_t took = inet_now(harness_b(h)) - t0;
    assert_true(took >= 180 * NSEC_PER_SEC && took < 300 * NSEC_PER_SEC);
    harness_free(h);
}

/* The TOS / TTL of IPv4 segments B sends (the last data segment seen). */
static uint8_t seen_tos, seen_ttl;
static bool watch_b_ip(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    (void)h;
    if (from == SIDE_B && nb->len > 14 + 20 + 20 && nb->data[14 + 9] == IP4_PROTO_TCP) {
        seen_tos = nb->data[14 + 1];
        seen_ttl = nb->data[14 + 8];
    }
    return true;
}

/* RFC 9293 MUST-48 (the Differentiated Services field, per connection) and MUST-49 (the TTL,
 * for the stack): both reach the IP header of every segment. */
static void test_dscp_and_ttl(void **state)
{
    (void)state;
    struct pair *p = pair_new(NULL);
    struct tcp_params tp;
    tcp_default_params(&tp);
    tp.ttl = 33;
    assert_int_equal(tcp_configure(harness_b(p->h), &tp), 0);
    p->h->tap = watch_b_ip;
    app_connect(&p->cli, harness_b(p->h), ADDR_A, 80);
    harness_run(p->h, 10 * NSEC_PER_MSEC);
    assert_int_equal(seen_ttl, 33);
    assert_int_equal(seen_tos, 0);
    tcp_set_dscp(p->cli.conn, 46); /* EF */
    p->cli.tx_total = 3000;
    app_pump(&p->cli);
    harness_run(p->h, 10 * NSEC_PER_MSEC);
    assert_int_equal(seen_tos, 46 << 2);
    assert_int_equal(seen_ttl, 33);
    p->h->tap = NULL;
    tcp_abort(p->cli.conn);
    pair_free(p);
}

/* Counts data segments B sends. */
static unsigned b_data_frames;
static bool count_b_data(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    (void)h;
    if (from == SIDE_B && nb->len > 14 + 20 + 32 + 0 && nb->data[14 + 9] == IP4_PROTO_TCP) {
        unsigned hl = (nb->data[14 + 20 + 12] >> 4) * 4u;
        if (nb->len > 14 + 20 + hl)
            b_data_frames++;
    }
    return true;
}

static unsigned small_writes(bool nodelay)
{
    struct pair *p = pair_new(NULL);
    app_connect(&p->cli, harness_b(p->h), ADDR_A, 80);
    harness_run(p->h, 10 * NSEC_PER_MSEC);
    tcp_set_nodelay(p->cli.conn, nodelay);
    p->h->tap = count_b_data;
    b_data_frames = 0;
    for (int i = 0; i < 100; i++) {
        p->cli.tx_total++;
        app_pump(&p->cli);
        harness_run(p->h, 10 * NSEC_PER_USEC);
    }
    harness_run(p->h, NSEC_PER_SEC);
    assert_int_equal(p->srv.apps[0].rx_done, 100);
    assert_int_equal(p->srv.apps[0].rx_bad, 0);
    unsigned n = b_data_frames;
    p->h->tap = NULL;
    tcp_abort(p->cli.conn);
    harness_run(p->h, 10 * NSEC_PER_MSEC);
    pair_free(p);
    return n;
}

static void test_nagle(void **state)
{
    (void)state;
    unsigned with_nagle = small_writes(false), without = small_writes(true);
    assert_int_equal(without, 100);
    assert_true(with_nagle < 20);
}

static void test_delayed_ack(void **state)
{
    (void)state;
    struct pair *p = pair_new(NULL);
    app_connect(&p->cli, harness_b(p->h), ADDR_A, 80);
    p->cli.tx_total = 10;
    app_pump(&p->cli);
    harness_run(p->h, 100 * NSEC_PER_MSEC); /* past the window update after the handshake */
    int64_t acks = tcp_stat(harness_a(p->h), "tx_acks");
    p->cli.tx_total = 20;
    app_pump(&p->cli);
    harness_run(p->h, 20 * NSEC_PER_MSEC);
    assert_int_equal(tcp_stat(harness_a(p->h), "tx_acks"), acks); /* not yet */
    harness_run(p->h, 30 * NSEC_PER_MSEC);
    assert_int_equal(tcp_stat(harness_a(p->h), "tx_acks"), acks + 1);
    tcp_abort(p->cli.conn);
    harness_run(p->h, 10 * NSEC_PER_MSEC);
    pair_free(p);
}

/* A delayed ACK owed, then sent early (on our data), then owed again 10 ms later: the second
 * one waits its full 40 ms, not for the deadline of the first (tcp_arm_delack keeps the timer
 * queued and moves it on lazily). */
static void test_delayed_ack_owed_again(void **state)
{
    (void)state;
    struct pair *p = pair_new(NULL);
    app_connect(&p->cli, harness_b(p->h), ADDR_A, 80);
    p->cli.tx_total = 10;
    app_pump(&p->cli);
    harness_run(p->h, 100 * NSEC_PER_MSEC); /* past the window update after the handshake */
    assert_int_equal(p->srv.n, 1);
    int64_t acks = tcp_stat(harness_a(p->h), "tx_acks");
    p->cli.tx_total = 20;
    app_pump(&p->cli); /* A owes an ACK, due in 40 ms */
    harness_run(p->h, 5 * NSEC_PER_MSEC);
    p->srv.apps[0].tx_total = 10;
    app_pump(&p->srv.apps[0]); /* carries the ACK */
    harness_run(p->h, 5 * NSEC_PER_MSEC);
    p->cli.tx_total = 30;
    app_pump(&p->cli); /* owed again, due 40 ms from now: 30 ms after the first would have been */
    harness_run(p->h, 35 * NSEC_PER_MSEC);
    assert_int_equal(tcp_stat(harness_a(p->h), "tx_acks"), acks); /* not yet */
    harness_run(p->h, 10 * NSEC_PER_MSEC);
    assert_int_equal(tcp_stat(harness_a(p->h), "tx_acks"), acks + 1);
    assert_int_equal(p->srv.apps[0].rx_done, 30);
    tcp_abort(p->cli.conn);
    harness_run(p->h, 10 * NSEC_PER_MSEC);
    pair_free(p);
}

/* Many connections opened, used and closed: nothing is left, no buffer leaks. */
static void test_no_state_after_close(void **state)
{
    (void)state;
    struct pair *p = pair_new(NULL);
    p->srv.proto.close_on_eof = true;
    p->srv.proto.tx_total = 3000;
    static struct app cl[100];
    for (int i = 0; i < 100; i++) {
        cl[i] = (struct app){
            .tx_seed = 1, .rx_seed = 2, .tx_total = 2000 + (uint64_t)i, .close_when_sent = true};
        app_connect(&cl[i], harness_b(p->h), ADDR_A, 80);
    }
    harness_run(p->h, 5 * NSEC_PER_SEC);
    assert_int_equal(p->srv.n, 100);
    for (int i = 0; i < 100; i++) {
        assert_true(cl[i].closed);
        assert_int_equal(cl[i].close_reason, 0);
        assert_int_equal(cl[i].rx_done, 3000);
        assert_int_equal(p->srv.apps[i].rx_bad, 0);
    }
    assert_int_equal(tcp_conn_count(harness_a(p->h)), 0);
    assert_int_equal(tcp_stat(harness_b(p->h), "conn_open"), 0);
    harness_run(p->h, 61 * NSEC_PER_SEC);
    assert_int_equal(tcp_conn_count(harness_b(p->h)), 0);
    assert_int_equal(tcp_stat(harness_a(p->h), "conn_freed"), 100);
    assert_int_equal(tcp_stat(harness_b(p->h), "conn_freed"), 100);
    tcp_unlisten(p->l);
    pair_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_data_close),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_refused_without_tcp),
        cmocka_unit_test(test_icmp_errors_reach_tcp),
        cmocka_unit_test(test_half_close),
        cmocka_unit_test(test_abort_resets_peer),
        cmocka_unit_test(test_abort_inside_callback),
        cmocka_unit_test(test_simultaneous_open_and_close),
        cmocka_unit_test(test_time_wait_reuse),
        cmocka_unit_test(test_every_state_seen),
        cmocka_unit_test(test_fin_wait_2_timeout),
        cmocka_unit_test(test_keepalive_timeout),
        cmocka_unit_test(test_data_timeout),
        cmocka_unit_test(test_data_retries_settable),
        cmocka_unit_test(test_syn_tried_three_minutes),
        cmocka_unit_test(test_dscp_and_ttl),
        cmocka_unit_test(test_nagle),
        cmocka_unit_test(test_delayed_ack),
        cmocka_unit_test(test_delayed_ack_owed_again),
        cmocka_unit_test(test_no_state_after_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
