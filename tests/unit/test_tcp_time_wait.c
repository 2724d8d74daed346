/* TIME_WAIT as the peer sees it, from the wire only (no look at the connection's memory, so
 * that these hold whatever a TIME_WAIT entry is made of): the ACK of a retransmitted FIN and
 * 2*MSL starting over (RFC 9293 3.10.7.4), RST ignored (RFC 1337), and a new SYN on the same
 * ports taken only when it is clearly newer (RFC 6191: by timestamp, else by sequence). */
#include "test_tcp_util.h"

/* What crossed the wire last in each direction (A: the side in TIME_WAIT). */
struct tw {
    struct harness *h;
    struct server srv;
    struct app cli;
    struct seen last[2];
    uint8_t frames[2][1600];
    unsigned from_a; /* segments A sent since the test last cleared it */
};

static bool record(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    struct tw *t = h->user;
    if (nb->len > sizeof(t->frames[from]))
        return true;
    memcpy(t->frames[from], nb->data, nb->len);
    struct netbuf copy = *nb;
    copy.data = t->frames[from];
    if (parse_seen(&copy, &t->last[from]) && from == SIDE_A)
        t->from_a++;
    return true;
}

static bool client_closed(void *arg)
{
    struct tw *t = arg;
    return t->cli.closed && t->srv.n == 1 && t->srv.apps[0].closed;
}

/* A (server) sends 100 bytes and closes first; B closes on EOF: A holds TIME_WAIT. (B_ts):
 * whether B uses timestamps. */
static struct tw *tw_new(bool b_ts)
{
    struct tw *t = calloc(1, sizeof(*t));
    t->h = harness_new(NULL);
    t->h->user = t;
    t->h->tap = record;
    struct tcp_params p;
    tcp_default_params(&p);
    p.timestamps = b_ts;
    assert_int_equal(tcp_configure(harness_b(t->h), &p), 0);
    t->srv.proto = (struct app){.tx_seed = 2, .tx_total = 100, .close_when_sent = true};
    assert_non_null(tcp_listen(harness_a(t->h), 80, server_on_accept, &t->srv, NULL));
    t->cli = (struct app){.rx_seed = 2, .close_on_eof = true};
    app_connect(&t->cli, harness_b(t->h), ADDR_A, 80);
    assert_true(harness_run_until(t->h, client_closed, t, 5 * NSEC_PER_SEC));
    harness_run(t->h, 10 * NSEC_PER_MSEC);
    assert_int_equal(tcp_stat(harness_a(t->h), "conn_time_wait"), 1);
    assert_int_equal(tcp_stat(harness_b(t->h), "conn_time_wait"), 0);
    assert_true(t->last[SIDE_B].h.flags & TCP_FIN); /* B's FIN, then A's ACK of it */
    assert_int_equal(t->last[SIDE_A].h.flags, TCP_ACK);
    return t;
}

static void tw_free(struct tw *t)
{
    t->h->tap = NULL;
    harness_run(t->h, 121 * NSEC_PER_SEC);
    assert_int_equal(tcp_conn_count(harness_a(t->h)) + tcp_conn_count(harness_b(t->h)), 0);
    harness_free(t->h);
    free(t);
}

static int64_t tw_count(struct tw *t)
{
    return tcp_stat(harness_a(t->h), "conn_time_wait");
}

/* The peer did not get our last ACK and sends its FIN again: ACKed again, the same ACK, and
 * 2*MSL starts over from it. */
static void test_ack_of_retransmitted_fin(void **state)
{
    (void)state;
    struct tw *t = tw_new(true);
    struct seen fin = t->last[SIDE_B], ack = t->last[SIDE_A];
    uint8_t frame[1600];
    memcpy(frame, t->frames[SIDE_B], sizeof(frame));
    fin.payload = frame + (fin.payload - t->frames[SIDE_B]);
    harness_run(t->h, 40 * NSEC_PER_SEC);
    t->from_a = 0;
    resend_seen(t->h, SIDE_B, &fin);
    harness_run(t->h, NSEC_PER_MSEC);
    assert_true(t->from_a >= 1);
    assert_int_equal(t->last[SIDE_A].h.flags, TCP_ACK);
    assert_int_equal(t->last[SIDE_A].h.seq, ack.h.seq);
    assert_int_equal(t->last[SIDE_A].h.ack, fin.h.seq + 1);
    assert_true(t->last[SIDE_A].h.opts.has_ts);
    assert_int_equal(t->last[SIDE_A].h.opts.ts_ecr, fin.h.opts.ts_val);
    harness_run(t->h, 40 * NSEC_PER_SEC); /* 80 s after it began: restarted at 40 s */
    assert_int_equal(tw_count(t), 1);
    harness_run(t->h, 25 * NSEC_PER_SEC);
    assert_int_equal(tw_count(t), 0);
    tw_free(t);
}

/* RFC 1337: neither an exact nor an in-window RST ends TIME_WAIT early. */
static void test_rst_ignored(void **state)
{
    (void)state;
    struct tw *t = tw_new(true);
    struct seen rst = t->last[SIDE_B];
    rst.h.flags = TCP_RST;
    rst.h.seq = rst.h.seq + 1; /* A's rcv_nxt: exact */
    rst.h.opts = (struct tcp_opts){0};
    rst.len = 0;
    resend_seen(t->h, SIDE_B, &rst);
    rst.h.seq += 100;
    resend_seen(t->h, SIDE_B, &rst);
    harness_run(t->h, NSEC_PER_MSEC);
    assert_int_equal(tw_count(t), 1);
    assert_true(tcp_stat(harness_a(t->h), "rx_rst_dropped") >= 1);
    tw_free(t);
}

/* A SYN on the same ports: with timestamps, taken when its TSval is above the last one seen
 * (a new connection, answered with a SYN-ACK), else answered with the TIME_WAIT ACK. */
static void syn_after_time_wait(bool b_ts, bool newer)
{
    struct tw *t = tw_new(b_ts);
    struct seen syn = t->last[SIDE_B];
    struct seen ack = t->last[SIDE_A];
    syn.h.flags = TCP_SYN;
    syn.h.ack = 0;
    syn.len = 0;
    syn.h.opts.has_mss = true;
    syn.h.opts.mss = 1460;
    if (b_ts)
        syn.h.opts.ts_val += newer ? 1000 : (uint32_t)-1000;
    else
        syn.h.seq += newer ? 100000 : (uint32_t)-100000;
    syn.h.opts.ts_ecr = 0;
    harness_run(t->h, 2 * NSEC_PER_SEC);
    t->from_a = 0;
    resend_seen(t->h, SIDE_B, &syn);
    harness_run(t->h, NSEC_PER_MSEC);
    assert_true(t->from_a >= 1);
    const struct seen *r = &t->last[SIDE_A];
    if (newer) {
        assert_int_equal(r->h.flags, TCP_SYN | TCP_ACK);
        assert_int_equal(r->h.ack, syn.h.seq + 1);
        assert_true(seq_gt(r->h.seq, ack.h.seq)); /* the new ISN above the old sequence */
        assert_int_equal(tcp_stat(harness_a(t->h), "rx_time_wait_reuse"), 1);
        assert_int_equal(tw_count(t), 0);
    } else {
        assert_int_equal(r->h.flags, TCP_ACK);
        assert_int_equal(r->h.seq, ack.h.seq);
        assert_int_equal(r->h.ack, ack.h.ack);
        assert_int_equal(tcp_stat(harness_a(t->h), "rx_time_wait_reuse"), 0);
        assert_int_equal(tw_count(t), 1);
    }
    tw_free(t);
}

static void test_syn_reuse_by_timestamp(void **state)
{
    (void)state;
    syn_after_time_wait(true, true);
    syn_after_time_wait(true, false);
}

static void test_syn_reuse_by_sequence(void **state)
{
    (void)state;
    syn_after_time_wait(false, true);
    syn_after_time_wait(false, false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ack_of_retransmitted_fin),
        cmocka_unit_test(test_rst_ignored),
        cmocka_unit_test(test_syn_reuse_by_timestamp),
        cmocka_unit_test(test_syn_reuse_by_sequence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
