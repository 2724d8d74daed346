/* The first flight after the handshake, before any ACK has moved snd_una: loss recovery there
 * must start from the same state as later on. The soak's seed 7593 found the SACK scoreboard's
 * highest edge (high_sack) still zero at that point: duplicate ACKs of the handshake (the
 * wire had duplicated the SYN-ACK) started recovery, and with an ISN in the upper half of the
 * sequence space zero reads as "ahead of everything sent", so every byte up to it looked like
 * a hole and the pipe like zero. The sender put its whole send buffer on the wire, past the
 * peer's 8 KB window and past snd_max; the receiver dropped it all, and the timeouts that
 * followed (no timestamps, every timed segment retransmitted) stalled the transfer.
 * White-box: reads the connection's state from tcp_internal.h. */
#include "../../src/net/tcp_internal.h"
#include "test_tcp_util.h"

#define PEER_RCV_BUF 8192u

struct flight {
    struct harness *h;
    struct server srv;
    struct app cli;
    uint32_t data_seq;    /* the client's first data byte */
    uint32_t highest_end; /* end of the highest client data the tap saw */
};

/* The server's ACKs of data are lost (the handshake gets through); the tap records how far the
 * client's data went. */
static bool lose_server_acks(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    struct flight *f = h->user;
    struct seen s;
    if (!parse_seen(nb, &s))
        return true;
    if (from == SIDE_B && s.len && seq_gt(s.h.seq + s.len, f->highest_end))
        f->highest_end = s.h.seq + s.len;
    return !(from == SIDE_A && seq_gt(s.h.ack, f->data_seq));
}

/* A duplicate ACK from the server: nothing new acknowledged, same window, no SACK block. */
static void inject_dup_ack(struct flight *f)
{
    struct tcp_conn *c = f->cli.conn, *s = f->srv.apps[0].conn;
    struct raw_seg r = {.src = ADDR_A, .dst = ADDR_B};
    r.h.sport = s->lport;
    r.h.dport = s->rport;
    r.h.seq = s->snd_max;
    r.h.ack = c->snd_una;
    r.h.flags = TCP_ACK;
    r.h.window = (uint16_t)(c->snd_wnd >> c->snd_wscale);
    r.h.opts.has_ts = true;
    r.h.opts.ts_val = tcp_ts_now(s);
    r.h.opts.ts_ecr = s->ts_recent;
    inject_segment(f->h, SIDE_B, &r);
}

/* Client ISN (isn); the server's receive buffer is 8 KB. Three duplicate ACKs of the handshake
 * arrive while the first flight is out: the fast retransmission must stay within the peer's
 * window and within what was sent. */
static void first_flight_dupacks(uint32_t isn)
{
    struct flight *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->h = harness_new(NULL);
    f->h->user = f;
    struct tcp_params p;
    tcp_default_params(&p);
    p.rcv_buf = PEER_RCV_BUF;
    assert_int_equal(tcp_configure(harness_a(f->h), &p), 0);
    tcp_test_force_isn(harness_b(f->h), isn);
    f->srv.proto = (struct app){.rx_seed = 5};
    assert_non_null(tcp_listen(harness_a(f->h), 9, server_on_accept, &f->srv, NULL));
    f->cli = (struct app){.tx_seed = 5, .tx_total = 64 * 1024};
    f->data_seq = isn + 1;
    f->highest_end = f->data_seq;
    f->h->tap = lose_server_acks;
    app_connect(&f->cli, harness_b(f->h), ADDR_A, 9);
    harness_run(f->h, 10 * NSEC_PER_MSEC);
    struct tcp_conn *c = f->cli.conn;
    assert_int_equal(c->iss, isn);
    assert_int_equal(f->srv.n, 1);
    assert_int_equal(c->snd_una, f->data_seq);
    assert_true(c->snd_wnd < f->cli.tx_total && seq_gt(c->snd_max, c->snd_una));
    for (int i = 0; i < TCP_DUPTHRESH; i++)
        inject_dup_ack(f);
    harness_run(f->h, NSEC_PER_MSEC);
    uint32_t window_end = c->snd_una + c->snd_wnd;
    if (seq_gt(f->highest_end, window_end))
        print_message("ISN %#x: client data up to snd_una + %u, window %u, snd_max snd_una + %u\n",
                      isn, f->highest_end - c->snd_una, c->snd_wnd, c->snd_max - c->snd_una);
    assert_true(c->in_recovery);
    assert_int_equal(tcp_stat(harness_b(f->h), "tx_fast_retransmits"), 1);
    assert_false(seq_gt(f->highest_end, window_end));
    assert_false(seq_gt(c->snd_max, window_end));
    f->h->tap = NULL;
    tcp_abort(c);
    tcp_abort(f->srv.apps[0].conn);
    harness_run(f->h, NSEC_PER_SEC);
    harness_free(f->h);
    free(f);
}

static void test_first_flight_dupacks_high_isn(void **state)
{
    (void)state;
    first_flight_dupacks(0xc0000000u); /* zero is "after" every sequence number here */
}

static void test_first_flight_dupacks_low_isn(void **state)
{
    (void)state;
    first_flight_dupacks(0x40000000u); /* and "before" every one here */
}

static uint32_t synack_window;

static bool watch_synack(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    (void)h;
    struct seen s;
    if (from == SIDE_A && parse_seen(nb, &s) && (s.h.flags & TCP_SYN))
        synack_window = s.h.window;
    return true;
}

/* A passive open takes its buffers only once the handshake completes; the SYN-ACK's window
 * must still be what the receive buffer will hold. It promised the initial window of an
 * on-demand buffer (16,256 bytes) whatever rcv_buf said, so a client's first flight overran
 * a 4 or 8 KB buffer. */
static void test_synack_window_within_rcv_buf(void **state)
{
    (void)state;
    struct bulk b = {0};
    b.h = harness_new(NULL);
    struct tcp_params p;
    tcp_default_params(&p);
    p.rcv_buf = PEER_RCV_BUF;
    assert_int_equal(tcp_configure(harness_a(b.h), &p), 0);
    b.h->tap = watch_synack;
    synack_window = 0;
    bulk_start(&b, 64 * 1024, 1000, 1, 2);
    assert_true(harness_run_until(b.h, bulk_done, &b, 30 * NSEC_PER_SEC));
    if (synack_window > PEER_RCV_BUF)
        print_message("SYN-ACK window %u, receive buffer %u\n", synack_window, PEER_RCV_BUF);
    assert_int_not_equal(synack_window, 0);
    assert_true(synack_window <= PEER_RCV_BUF);
    bulk_check(&b, 64 * 1024, 1000);
    b.h->tap = NULL;
    bulk_finish(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_flight_dupacks_high_isn),
        cmocka_unit_test(test_first_flight_dupacks_low_isn),
        cmocka_unit_test(test_synack_window_within_rcv_buf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
