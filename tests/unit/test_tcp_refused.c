/* TCP segments the link refuses with an error (a full ARP queue, a NIC ring, a TAP write that
 * fails: the sender is told, unlike a loss on the wire) are sent again as lost ones would be.
 * Before this was so, a FIN that the link refused left its connection in LAST_ACK or
 * FIN_WAIT_1 with no timer armed, for ever (integration.conns.hosted: "2 connections still
 * open at the stop"). White-box: reads the state from tcp_internal.h. */
#include "../../src/net/tcp_internal.h"
#include "test_tcp_util.h"

/* Which of a side's TCP frames the link refuses, and how many more. */
struct refusal {
    enum harness_side side;
    uint8_t flags; /* refuse segments with any of these flags... */
    bool data;     /* ...or, if set, segments that carry data */
    unsigned left;
    unsigned refused;
    uint8_t syn[128]; /* the first SYN from B, as framed */
    size_t syn_len;
};

static bool refuse(struct harness *h, enum harness_side from, const struct netbuf *nb)
{
    struct refusal *r = h->user;
    struct seen s;
    if (!r || !parse_seen(nb, &s))
        return false;
    if (from == SIDE_B && s.h.flags == TCP_SYN && !r->syn_len && nb->len <= sizeof(r->syn)) {
        memcpy(r->syn, nb->data, nb->len);
        r->syn_len = nb->len;
    }
    if (from != r->side || !r->left)
        return false;
    if (!(s.h.flags & r->flags) && !(r->data && s.len))
        return false;
    r->left--;
    r->refused++;
    return true;
}

struct pair {
    struct harness *h;
    struct server srv;
    struct app cli;
    struct refusal r;
};

/* A listens on 7, B connects; the link of (side) refuses (n) segments matching (flags)/(data)
 * from the moment the test arms it (pair_refuse). */
static struct pair *pair_new(void)
{
    struct pair *p = calloc(1, sizeof(*p));
    p->h = harness_new(NULL);
    p->h->user = &p->r;
    p->h->refuse = refuse;
    assert_non_null(tcp_listen(harness_a(p->h), 7, server_on_accept, &p->srv, NULL));
    return p;
}

static void pair_refuse(struct pair *p, enum harness_side side, uint8_t flags, bool data,
                        unsigned n)
{
    p->r = (struct refusal){.side = side, .flags = flags, .data = data, .left = n};
}

static bool pair_closed(void *arg)
{
    struct pair *p = arg;
    return p->cli.closed && p->srv.n == 1 && p->srv.apps[0].closed;
}

/* Everything closed on both sides (TIME_WAIT run out too), and the refusals happened. */
static void pair_finish(struct pair *p, unsigned refused)
{
    assert_true(harness_run_until(p->h, pair_closed, p, 30 * NSEC_PER_SEC));
    assert_int_equal(p->cli.close_reason, 0);
    assert_int_equal(p->srv.apps[0].close_reason, 0);
    assert_int_equal(p->r.refused, refused);
    harness_run(p->h, 121 * NSEC_PER_SEC);
    assert_int_equal(tcp_conn_count(harness_a(p->h)), 0);
    assert_int_equal(tcp_conn_count(harness_b(p->h)), 0);
    harness_free(p->h);
    free(p);
}

/* The client sends (up) bytes and closes; the server sends (down) and closes on EOF. */
static void pair_start(struct pair *p, uint64_t up, uint64_t down)
{
    p->srv.proto = (struct app){.rx_seed = 1, .tx_seed = 2, .tx_total = down, .close_on_eof = true};
    p->cli = (struct app){.tx_seed = 1, .rx_seed = 2, .tx_total = up, .close_when_sent = true};
    app_connect(&p->cli, harness_b(p->h), ADDR_A, 7);
}

/* Passive close: the server's FIN (LAST_ACK) is refused twice. */
static void test_refused_fin_last_ack(void **state)
{
    (void)state;
    struct pair *p = pair_new();
    pair_refuse(p, SIDE_A, TCP_FIN, false, 2);
    pair_start(p, 100, 0);
    pair_finish(p, 2);
}

/* Active close: the client's FIN (FIN_WAIT_1), with nothing else in flight. */
static void test_refused_fin_fin_wait_1(void **state)
{
    (void)state;
    struct pair *p = pair_new();
    pair_refuse(p, SIDE_B, TCP_FIN, false, 3);
    pair_start(p, 0, 0);
    pair_finish(p, 3);
}

/* Active close after data: the FIN is refused while the data is in flight, and the ACK of the
 * data leaves nothing in flight. */
static void test_refused_fin_after_data(void **state)
{
    (void)state;
    struct pair *p = pair_new();
    pair_refuse(p, SIDE_B, TCP_FIN, false, 1);
    pair_start(p, 100, 0);
    pair_finish(p, 1);
}

/* The server's FIN rides on its last data, refused: both go again. */
static void test_refused_data_and_fin(void **state)
{
    (void)state;
    struct pair *p = pair_new();
    pair_refuse(p, SIDE_A, TCP_FIN, true, 4);
    pair_start(p, 3000, 5000);
    pair_finish(p, 4);
}

/* The SYN-ACK of a passive open (with state, not a cookie), refused. */
static void test_refused_synack(void **state)
{
    (void)state;
    struct pair *p = pair_new();
    pair_refuse(p, SIDE_A, TCP_SYN, false, 1);
    pair_start(p, 100, 100);
    pair_finish(p, 1);
}

/* The SYN-ACK refused, then sent again when the peer repeats its SYN (before our own timer):
 * the handshake's round trip is ambiguous (Karn), so it is no RTT sample. Taken as one, the
 * second that the peer's SYN timeout added left the connection with an RTO of about 3 s for
 * its whole life. */
static void test_refused_synack_no_rtt_sample(void **state)
{
    (void)state;
    struct pair *p = pair_new();
    pair_refuse(p, SIDE_A, TCP_SYN, false, 1);
    p->srv.proto = (struct app){.rx_seed = 1, .tx_seed = 2};
    p->cli = (struct app){.tx_seed = 1, .rx_seed = 2};
    app_connect(&p->cli, harness_b(p->h), ADDR_A, 7);
    harness_run(p->h, 500 * NSEC_PER_MSEC);
    assert_int_equal(p->r.refused, 1);
    assert_true(p->r.syn_len > 0);
    harness_inject(p->h, SIDE_A, p->r.syn, p->r.syn_len); /* as if B's SYN timer were quicker */
    harness_run(p->h, 100 * NSEC_PER_MSEC);
    assert_int_equal(p->srv.n, 1);
    struct tcp_conn *s = p->srv.apps[0].conn;
    assert_int_equal(tcp_state(s), TCP_ESTABLISHED);
    assert_int_equal(s->backoff, 0);
    assert_true(s->srtt_ns < 100 * NSEC_PER_MSEC); /* 0: no sample */
    assert_true(s->rto_ns <= TCP_RTO_INITIAL_NS);
    p->cli.tx_total = 100;
    p->cli.close_when_sent = true;
    p->srv.apps[0].close_on_eof = true;
    app_pump(&p->cli);
    pair_finish(p, 1);
}

/* The SYN of an active open, refused twice. */
static void test_refused_syn(void **state)
{
    (void)state;
    struct pair *p = pair_new();
    pair_refuse(p, SIDE_B, TCP_SYN, false, 2);
    pair_start(p, 100, 100);
    pair_finish(p, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_fin_last_ack),
        cmocka_unit_test(test_refused_fin_fin_wait_1),
        cmocka_unit_test(test_refused_fin_after_data),
        cmocka_unit_test(test_refused_data_and_fin),
        cmocka_unit_test(test_refused_synack),
        cmocka_unit_test(test_refused_synack_no_rtt_sample),
        cmocka_unit_test(test_refused_syn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
