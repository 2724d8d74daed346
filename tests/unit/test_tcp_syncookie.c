/* SYN cookies at their edges: a cookie SYN-ACK racing a half-open connection of the same peer
 * (its retried SYN), an ACK that arrives across the counter's rollover, a small MSS, and a
 * handshake whose last ACK was lost while the client waits long before it speaks.
 * White-box: reads the connection from tcp_internal.h. */
#include "../../src/net/tcp_internal.h"
#include "test_tcp_util.h"

#define COOKIE_PERIOD_NS (16 * NSEC_PER_SEC) /* tcp_syncookie.c */

struct race {
    struct harness *h;
    struct server srv;
    struct app cli;
    uint8_t synack[128]; /* the cookie SYN-ACK, held back */
    size_t synack_len;
    unsigned synacks_dropped;
    bool drop_acks_from_b; /* the handshake's last ACK is lost */
    unsigned acks_dropped;
    unsigned drop_data_from_b; /* data segments of B to lose, the first ones */
};

/* A to B: the first SYN-ACK is kept (and dropped), later ones dropped too: the peer sees
 * only the cookie, when the test puts it on the wire. */
static bool hold_synacks(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    struct race *r = h->user;
    struct seen s;
    if (!parse_seen(nb, &s))
        return true;
    if (from == SIDE_B && r->drop_acks_from_b && s.h.flags == TCP_ACK && !s.len) {
        r->acks_dropped++;
        return false;
    }
    if (from == SIDE_B && r->drop_data_from_b && s.len) {
        r->drop_data_from_b--;
        return false;
    }
    if (from != SIDE_A || (s.h.flags & (TCP_SYN | TCP_ACK)) != (TCP_SYN | TCP_ACK))
        return true;
    if (!r->synack_len && nb->len <= sizeof(r->synack)) {
        memcpy(r->synack, nb->data, nb->len);
        r->synack_len = nb->len;
    }
    r->synacks_dropped++;
    return false;
}

static void set_backlog(struct inet *inet, uint32_t backlog)
{
    struct tcp_params p;
    tcp_default_params(&p);
    p.syn_backlog = backlog;
    assert_int_equal(tcp_configure(inet, &p), 0);
}

static bool race_closed(void *arg)
{
    struct race *r = arg;
    return r->cli.closed && r->srv.n == 1 && r->srv.apps[0].closed;
}

static struct race *race_new(void)
{
    struct race *r = calloc(1, sizeof(*r));
    r->h = harness_new(NULL);
    r->h->user = r;
    set_backlog(harness_a(r->h), 0); /* every SYN gets a cookie */
    r->srv.proto = (struct app){.rx_seed = 1, .tx_seed = 2, .tx_total = 3000, .close_on_eof = true};
    assert_non_null(tcp_listen(harness_a(r->h), 80, server_on_accept, &r->srv, NULL));
    return r;
}

/* The transfer completes both ways and nothing is left after TIME_WAIT. */
static void race_finish(struct race *r)
{
    r->h->tap = NULL;
    assert_true(harness_run_until(r->h, race_closed, r, 30 * NSEC_PER_SEC));
    assert_int_equal(r->cli.close_reason, 0);
    assert_int_equal(r->srv.apps[0].close_reason, 0);
    assert_int_equal(r->cli.rx_done, 3000);
    assert_int_equal(r->srv.apps[0].rx_done, 2000);
    assert_int_equal(r->cli.rx_bad + r->srv.apps[0].rx_bad, 0);
    harness_run(r->h, 121 * NSEC_PER_SEC);
    assert_int_equal(tcp_conn_count(harness_a(r->h)) + tcp_conn_count(harness_b(r->h)), 0);
    harness_free(r->h);
    free(r);
}

/* The first SYN finds the backlog full (cookie), the retried one finds room (state, another
 * ISS), and the peer completes on the cookie SYN-ACK, which it saw first. Before, the
 * half-open connection took the cookie's ACK as a bad one and reset the peer. */
static void test_cookie_races_half_open(void **state)
{
    (void)state;
    struct race *r = race_new();
    r->h->tap = hold_synacks;
    r->cli = (struct app){.tx_seed = 1, .rx_seed = 2, .tx_total = 2000, .close_when_sent = true};
    app_connect(&r->cli, harness_b(r->h), ADDR_A, 80);
    harness_run(r->h, 10 * NSEC_PER_MSEC);
    assert_int_equal(tcp_stat(harness_a(r->h), "syn_cookies_sent"), 1);
    assert_int_equal(tcp_conn_count(harness_a(r->h)), 0);
    set_backlog(harness_a(r->h), 128);       /* room again */
    harness_run(r->h, 1500 * NSEC_PER_MSEC); /* B repeats its SYN: a half-open connection */
    assert_int_equal(tcp_conn_count(harness_a(r->h)), 1);
    assert_int_equal(tcp_stat(harness_a(r->h), "syn_cookies_sent"), 1);
    harness_inject(r->h, SIDE_B, r->synack, r->synack_len); /* the cookie arrives, late */
    harness_run(r->h, 10 * NSEC_PER_MSEC);
    assert_true(r->cli.connected);
    assert_int_equal(tcp_stat(harness_a(r->h), "syn_cookies_superseded"), 1);
    assert_int_equal(tcp_stat(harness_a(r->h), "syn_cookies_ok"), 1);
    assert_int_equal(tcp_stat(harness_a(r->h), "tx_rst"), 0);
    race_finish(r);
}

/* Run the virtual clock to (before) ns short of the next cookie period. */
static void run_to_period_end(struct harness *h, uint64_t before)
{
    uint64_t now = inet_now(harness_a(h));
    uint64_t end = (now / COOKIE_PERIOD_NS + 1) * COOKIE_PERIOD_NS;
    if (end - now < before)
        end += COOKIE_PERIOD_NS;
    harness_run(h, end - now - before);
}

/* The SYN-ACK goes out in one period, its ACK comes back in the next: still valid. */
static void test_cookie_ack_across_rollover(void **state)
{
    (void)state;
    struct harness_opts o = {.latency_ns = 2 * NSEC_PER_MSEC};
    struct race *r = calloc(1, sizeof(*r));
    r->h = harness_new(&o);
    set_backlog(harness_a(r->h), 0);
    r->srv.proto = (struct app){.rx_seed = 1, .tx_seed = 2, .tx_total = 3000, .close_on_eof = true};
    assert_non_null(tcp_listen(harness_a(r->h), 80, server_on_accept, &r->srv, NULL));
    run_to_period_end(r->h, 5 * NSEC_PER_MSEC); /* the SYN-ACK at -3 ms, its ACK at +1 ms */
    r->cli = (struct app){.tx_seed = 1, .rx_seed = 2, .tx_total = 2000, .close_when_sent = true};
    app_connect(&r->cli, harness_b(r->h), ADDR_A, 80);
    harness_run(r->h, 20 * NSEC_PER_MSEC);
    assert_int_equal(tcp_stat(harness_a(r->h), "syn_cookies_ok"), 1);
    assert_int_equal(tcp_stat(harness_a(r->h), "syn_cookies_bad"), 0);
    race_finish(r);
}

/* The handshake's last ACK is lost and the client says nothing for (idle): its first data
 * carries the cookie (seq = ISN + 1). A cookie lives 128..144 s, so that a client that waits
 * two minutes (integration.conns.hosted under ASan: data 66..89 s after the SYN-ACK, when
 * cookies lived 64..128 s, reset 46 clients) still gets its connection. */
/* A client connected on a cookie whose last handshake ACK was lost: the server knows nothing
 * of it. */
static struct race *race_ack_lost(void)
{
    struct race *r = race_new();
    r->drop_acks_from_b = true;
    r->h->tap = hold_synacks;
    r->cli = (struct app){.tx_seed = 1, .rx_seed = 2};
    app_connect(&r->cli, harness_b(r->h), ADDR_A, 80);
    harness_run(r->h, 10 * NSEC_PER_MSEC);
    harness_inject(r->h, SIDE_B, r->synack, r->synack_len);
    harness_run(r->h, 10 * NSEC_PER_MSEC);
    assert_true(r->cli.connected);
    assert_true(r->acks_dropped >= 1);
    assert_int_equal(tcp_conn_count(harness_a(r->h)), 0);
    return r;
}

static void cookie_after_idle(uint64_t idle, bool expect_ok)
{
    struct race *r = race_ack_lost();
    harness_run(r->h, idle);
    r->h->tap = NULL;
    r->cli.tx_total = 2000;
    r->cli.close_when_sent = true;
    app_pump(&r->cli);
    if (expect_ok) {
        race_finish(r);
        return;
    }
    harness_run(r->h, 100 * NSEC_PER_MSEC);
    assert_true(r->cli.closed); /* reset: the cookie had expired */
    assert_true(tcp_stat(harness_a(r->h), "syn_cookies_bad") >= 1); /* each data segment */
    harness_run(r->h, 121 * NSEC_PER_SEC);
    harness_free(r->h);
    free(r);
}

/* Within a cookie's life the connection is made from the client's first data; past it the
 * client is reset (and counted), not left hanging. */
static void test_cookie_after_idle(void **state)
{
    (void)state;
    cookie_after_idle(30 * NSEC_PER_SEC, true);
    cookie_after_idle(63 * NSEC_PER_SEC, true);
    for (int i = 0; i < 4; i++) /* wherever in a period the SYN-ACK went */
        cookie_after_idle((uint64_t)(90 + 9 * i) * NSEC_PER_SEC, true);
    cookie_after_idle(127 * NSEC_PER_SEC, true);
    cookie_after_idle(200 * NSEC_PER_SEC, false);
}

/* The handshake's last ACK and the client's first data segment are both lost: the next
 * segment (seq = ISN + 1 + 1448) fails the cookie. It is dropped without a RST while cookies
 * live, and the client's retransmission from ISN + 1 makes the connection: before, the client
 * was reset (bench/conns saw 26 of 10,000 so on kvm). */
static void test_cookie_first_data_lost(void **state)
{
    (void)state;
    struct race *r = race_ack_lost();
    r->drop_acks_from_b = false;
    r->drop_data_from_b = 1;
    r->cli.tx_total = 2000; /* two segments: the first is lost */
    r->cli.close_when_sent = true;
    app_pump(&r->cli);
    harness_run(r->h, 100 * NSEC_PER_MSEC);
    assert_int_equal(r->drop_data_from_b, 0);
    assert_int_equal(tcp_stat(harness_a(r->h), "syn_cookies_data_dropped"), 1);
    assert_int_equal(tcp_stat(harness_a(r->h), "tx_rst"), 0);
    assert_false(r->cli.closed);
    r->h->tap = NULL;
    assert_true(harness_run_until(r->h, race_closed, r, 30 * NSEC_PER_SEC));
    assert_int_equal(tcp_stat(harness_a(r->h), "syn_cookies_ok"), 1); /* the retransmission */
    assert_int_equal(tcp_stat(harness_a(r->h), "tx_rst"), 0);
    race_finish(r);
}

/* A peer's MSS below the cookie table's smallest entry is still honoured: the connection
 * made from the cookie never sends segments larger than the peer asked for. */
static void test_cookie_small_mss(void **state)
{
    (void)state;
    struct race *r = race_new();
    r->h->tap = hold_synacks;
    struct raw_seg syn = {.src = ADDR_B, .dst = ADDR_A};
    syn.h.sport = 4000;
    syn.h.dport = 80;
    syn.h.seq = 1000;
    syn.h.flags = TCP_SYN;
    syn.h.window = 65535;
    syn.h.opts.has_mss = true;
    syn.h.opts.mss = 120;
    inject_segment(r->h, SIDE_A, &syn);
    harness_run(r->h, NSEC_PER_MSEC);
    assert_int_equal(tcp_stat(harness_a(r->h), "syn_cookies_sent"), 1);
    assert_true(r->synack_len > 14 + 20);
    struct tcp_hdr sa;
    assert_int_equal(tcp_parse(r->synack + 14 + 20, r->synack_len - 14 - 20, &sa), 0);
    struct raw_seg ack = {.src = ADDR_B, .dst = ADDR_A};
    ack.h.sport = 4000;
    ack.h.dport = 80;
    ack.h.seq = 1001;
    ack.h.ack = sa.seq + 1;
    ack.h.flags = TCP_ACK;
    ack.h.window = 65535;
    inject_segment(r->h, SIDE_A, &ack);
    harness_run(r->h, NSEC_PER_MSEC);
    assert_int_equal(tcp_stat(harness_a(r->h), "syn_cookies_ok"), 1);
    assert_int_equal(r->srv.n, 1);
    struct tcp_conn *c = r->srv.apps[0].conn;
    assert_non_null(c);
    assert_true(c->mss <= 120);
    tcp_abort(c);
    r->h->tap = NULL;
    harness_run(r->h, NSEC_PER_SEC);
    harness_free(r->h);
    free(r);
}

static uint32_t backlog_for(uint64_t mem_size, uint32_t asked)
{
    struct inet inet;
    memset(&inet, 0, sizeof(inet));
    inet.mem_size = mem_size;
    struct tcp_params p;
    tcp_default_params(&p);
    if (asked != TCP_SYN_BACKLOG_AUTO)
        p.syn_backlog = asked;
    tcp_resolve_params(&inet, &p);
    return p.syn_backlog;
}

/* The default backlog follows max_conns (one per 4 KiB of memory) / 16 within 128..2048, so a
 * burst of connects is not mostly cookies (128 made 7,444 of 10,000 cookies in bench/conns);
 * a backlog set by the user stays, 0 (every SYN a cookie) too. */
static void test_backlog_from_memory(void **state)
{
    (void)state;
    assert_int_equal(backlog_for(0, TCP_SYN_BACKLOG_AUTO), 256); /* max_conns 4096 */
    assert_int_equal(backlog_for(1u << 20, TCP_SYN_BACKLOG_AUTO), 128);
    assert_int_equal(backlog_for(16u << 20, TCP_SYN_BACKLOG_AUTO), 256);
    assert_int_equal(backlog_for(128u << 20, TCP_SYN_BACKLOG_AUTO), 2048);
    assert_int_equal(backlog_for(24ull << 30, TCP_SYN_BACKLOG_AUTO), 2048);
    assert_int_equal(backlog_for(128u << 20, 0), 0);
    assert_int_equal(backlog_for(128u << 20, 77), 77);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cookie_races_half_open),
        cmocka_unit_test(test_cookie_ack_across_rollover),
        cmocka_unit_test(test_cookie_after_idle),
        cmocka_unit_test(test_cookie_small_mss),
        cmocka_unit_test(test_cookie_first_data_lost),
        cmocka_unit_test(test_backlog_from_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
