/* TCP loss recovery and timers against chosen faults on the virtual wire: a tap drops, or
 * rewrites, the segments a scenario names. Each test is a defect found in review (issue 16):
 * what RFC 2018 / 6675 require after a timeout with SACK, and a receiver that keeps what it
 * SACKed. White-box: reads the connection's state from tcp_internal.h. */
#include "../../src/net/tcp_internal.h"
#include "test_tcp_util.h"

#define MSS_TS 1448 /* 1500 - 20 - 20 - 12: the payload of a full segment with timestamps */

/* One-way transfer of (bytes) from the client on B to the server on A, each side configured
 * by (p) (NULL: defaults). */
struct oneway {
    struct harness *h;
    struct server srv;
    struct app cli;
    uint32_t data_seq; /* the client's first data byte */
    unsigned tx[64];   /* transmissions of each client segment seen by the tap, by index */
};

static struct oneway *oneway_new(uint64_t bytes, const struct harness_opts *o,
                                 const struct tcp_params *p)
{
    struct oneway *w = calloc(1, sizeof(*w));
    w->h = harness_new(o);
    w->h->user = w;
    if (p) {
        assert_int_equal(tcp_configure(harness_a(w->h), p), 0);
        assert_int_equal(tcp_configure(harness_b(w->h), p), 0);
    }
    w->srv.proto = (struct app){.rx_seed = 5};
    assert_non_null(tcp_listen(harness_a(w->h), 9, server_on_accept, &w->srv, NULL));
    w->cli = (struct app){.tx_seed = 5, .tx_total = bytes};
    app_connect(&w->cli, harness_b(w->h), ADDR_A, 9);
    w->data_seq = w->cli.conn->iss + 1;
    return w;
}

static bool oneway_received(void *arg)
{
    struct oneway *w = arg;
    return w->srv.n == 1 && w->srv.apps[0].rx_done == w->cli.tx_total;
}

/* Send (bytes) more; the segments the tap counts start with them. */
static void oneway_more(struct oneway *w, uint64_t bytes)
{
    w->data_seq = w->cli.conn->snd_max;
    memset(w->tx, 0, sizeof(w->tx));
    w->cli.tx_total += bytes;
    app_pump(&w->cli);
}

/* A transfer of (warm) bytes first, so that the congestion window is large. */
static struct oneway *oneway_warm(uint64_t warm)
{
    struct oneway *w = oneway_new(warm, NULL, NULL);
    assert_true(harness_run_until(w->h, oneway_received, w, 10 * NSEC_PER_SEC));
    harness_run(w->h, 100 * NSEC_PER_MSEC);
    return w;
}

static void oneway_free(struct oneway *w)
{
    w->h->tap = NULL;
    if (w->cli.conn)
        tcp_abort(w->cli.conn);
    if (w->srv.n && w->srv.apps[0].conn)
        tcp_abort(w->srv.apps[0].conn);
    harness_run(w->h, NSEC_PER_SEC);
    harness_free(w->h);
    free(w);
}

/* Index (1-based) of the client's data segment (s) carries, counting its transmissions; 0 for
 * anything else. */
static unsigned client_segment(struct oneway *w, enum harness_side from, const struct seen *s)
{
    if (from != SIDE_B || s->len == 0 || seq_lt(s->h.seq, w->data_seq))
        return 0;
    unsigned idx = (s->h.seq - w->data_seq) / MSS_TS + 1;
    if (idx >= 64)
        return 0;
    w->tx[idx]++;
    return idx;
}

/* ------------------------------------------------ 1: RTO after SACK, receiver reneging */

/* The scenario: segments 1-3 and every odd one up to 35 lost, and the fast
 * retransmission of 1 too. */
static bool drop_odd_and_first_rtx(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    struct oneway *w = h->user;
    struct seen s;
    unsigned i = parse_seen(nb, &s) ? client_segment(w, from, &s) : 0;
    if (!i)
        return true;
    if (w->tx[i] == 1 && (i <= 3 || (i % 2 && i <= 35)))
        return false;
    return !(i == 1 && w->tx[i] == 2);
}

static void test_rto_with_many_holes_completes(void **state)
{
    (void)state;
    struct oneway *w = oneway_warm(200 * MSS_TS);
    w->h->tap = drop_odd_and_first_rtx;
    oneway_more(w, 36 * MSS_TS);
    bool ok = harness_run_until(w->h, oneway_received, w, 120 * NSEC_PER_SEC);
    if (!ok)
        print_message("received %lu of %lu, rto %lu, una %u\n",
                      (unsigned long)w->srv.apps[0].rx_done, (unsigned long)w->cli.tx_total,
                      (unsigned long)tcp_stat(harness_b(w->h), "tx_rto"),
                      w->cli.conn ? w->cli.conn->snd_una - w->data_seq : 0);
    assert_true(ok);
    assert_int_equal(w->srv.apps[0].rx_bad, 0);
    oneway_free(w);
}

/* Adds a SACK block for client segment (lie_idx) to the server's ACKs while they acknowledge
 * less than (lie_below) segments: a receiver that SACKs data, then discards it (reneges). */
static unsigned lie_idx, lie_below, lie_drops;
static bool sack_lie(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    struct oneway *w = h->user;
    struct seen s;
    if (!parse_seen(nb, &s))
        return true;
    if (from == SIDE_B) {
        unsigned i = client_segment(w, from, &s);
        return !(i == lie_idx && w->tx[i] <= lie_drops) &&
               !(i == 1 && lie_idx != 1 && w->tx[i] == 1);
    }
    uint32_t start = w->data_seq + (lie_idx - 1) * MSS_TS;
    if (!(s.h.flags & TCP_ACK) || (s.h.flags & TCP_SYN) ||
        !seq_lt(s.h.ack, w->data_seq + (lie_below - 1) * MSS_TS))
        return true;
    struct tcp_opts *o = &s.h.opts;
    memmove(&o->sack[1], &o->sack[0], 2 * sizeof(o->sack[0]));
    o->sack[0] = (struct tcp_sack_block){start, start + MSS_TS};
    o->sack_count = (uint8_t)(o->sack_count < 3 ? o->sack_count + 1 : 3);
    resend_seen(h, from, &s);
    return false;
}

/* RFC 2018 8: after a timeout the left edge goes again, even if the peer said it held it. The
 * receiver "SACKs" segment 1 and the first two transmissions of it are lost: only the
 * retransmission timeout can send it, and it must. */
static void test_rto_resends_sacked_left_edge(void **state)
{
    (void)state;
    struct oneway *w = oneway_new(20 * MSS_TS, NULL, NULL);
    lie_idx = 1, lie_below = 2, lie_drops = 2;
    w->h->tap = sack_lie;
    assert_true(harness_run_until(w->h, oneway_received, w, 20 * NSEC_PER_SEC));
    assert_true(tcp_stat(harness_b(w->h), "tx_rto") >= 1);
    assert_int_equal(w->tx[1], 3);
    oneway_free(w);
}

/* A receiver SACKs segment 3 (it is lost), then acknowledges up to it: it discarded what it
 * SACKed. The sender notices at that ACK, counts it, forgets the scoreboard and repairs the
 * hole in the same recovery, without waiting for a timeout. */
static void test_reneging_detected(void **state)
{
    (void)state;
    struct oneway *w = oneway_new(20 * MSS_TS, NULL, NULL);
    lie_idx = 3, lie_below = 3, lie_drops = 1;
    w->h->tap = sack_lie;
    assert_true(harness_run_until(w->h, oneway_received, w, 20 * NSEC_PER_SEC));
    assert_int_equal(tcp_stat(harness_b(w->h), "rx_sack_reneging"), 1);
    assert_int_equal(tcp_stat(harness_b(w->h), "tx_rto"), 0);
    oneway_free(w);
}

/* A segment from the client to the server connection (s) on A, forged with the given seq. */
static void forge_data(struct harness *h, struct tcp_conn *s, uint32_t seq, uint32_t len)
{
    uint8_t data[100] = {0};
    struct raw_seg r = {.src = ADDR_B, .dst = ADDR_A, .payload = data, .len = len};
    r.h.sport = s->rport;
    r.h.dport = s->lport;
    r.h.seq = seq;
    r.h.ack = s->snd_nxt;
    r.h.flags = TCP_ACK;
    r.h.window = 1000;
    inject_segment(h, SIDE_A, &r);
    harness_run(h, NSEC_PER_MSEC);
}

/* With every out-of-order range in use, a segment that needs one more is refused: a range
 * already SACKed is never given up for it (RFC 2018 8 allows reneging, but a sender that keeps
 * its scoreboard then waits for a timeout). */
static void test_receiver_keeps_sacked_ranges(void **state)
{
    (void)state;
    struct oneway *w = oneway_new(0, NULL, NULL);
    harness_run(w->h, 10 * NSEC_PER_MSEC);
    struct tcp_conn *s = w->srv.apps[0].conn;
    uint32_t base = s->rcv_nxt;
    for (uint32_t k = 1; k <= TCP_MAX_OOO_RANGES; k++)
        forge_data(w->h, s, base + 200 * k, 100);
    assert_int_equal(s->n_ooo, TCP_MAX_OOO_RANGES);
    forge_data(w->h, s, base + 50, 100); /* below every range, touching none */
    assert_int_equal(s->n_ooo, TCP_MAX_OOO_RANGES);
    assert_int_equal(s->ooo[TCP_MAX_OOO_RANGES - 1].start, base + 200 * TCP_MAX_OOO_RANGES);
    assert_int_equal(tcp_stat(harness_a(w->h), "rx_ooo_dropped"), 1);
    forge_data(w->h, s, base + 300, 100); /* joins two ranges: takes no new one */
    assert_int_equal(s->n_ooo, TCP_MAX_OOO_RANGES - 1);
    assert_int_equal(s->ooo[0].end, base + 500);
    oneway_free(w);
}

/* ------------------------------------------- 2: a window shrunk to zero with data in flight */

/* The server's answer to a client segment while its window is zero: an ACK of what it has
 * (snd_una: the flight was lost), window 0, as RFC 9293 3.10.7.4 has a closed receiver do. */
static void zero_window_reply(struct oneway *w, const struct seen *in)
{
    struct tcp_conn *s = w->srv.apps[0].conn;
    struct raw_seg r = {.src = ADDR_A, .dst = ADDR_B};
    r.h.sport = s->lport;
    r.h.dport = s->rport;
    r.h.seq = s->snd_nxt;
    r.h.ack = w->data_seq;
    r.h.flags = TCP_ACK;
    r.h.opts.has_ts = true;
    r.h.opts.ts_val = tcp_ts_now(s);
    r.h.opts.ts_ecr = in ? in->h.opts.ts_val : s->ts_recent;
    inject_segment(w->h, SIDE_B, &r);
}

static unsigned zero_segments; /* segments the client sent while the window was zero */
static bool lose_client_data(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    (void)h;
    struct seen s;
    return !(from == SIDE_B && parse_seen(nb, &s) && s.len);
}

/* The window stays zero: the client's data is answered by zero_window_reply, whatever else
 * the server sends has its window rewritten to 0. */
static bool zero_window(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    struct oneway *w = h->user;
    struct seen s;
    if (!parse_seen(nb, &s))
        return true;
    if (from == SIDE_B) {
        zero_segments++;
        if (s.len)
            zero_window_reply(w, &s);
        return s.len == 0;
    }
    s.h.window = 0;
    resend_seen(h, from, &s);
    return false;
}

/* RFC 9293 3.8.6.1 / RFC 1122 4.2.2.17: the peer shrinks its window to zero with data in
 * flight (an ACK of window 0 that acknowledges none of it). The sender probes the window, does
 * not time out while the peer answers, and sends everything once the window opens. */
static void test_zero_window_with_data_in_flight(void **state)
{
    (void)state;
    struct oneway *w = oneway_new(0, NULL, NULL);
    harness_run(w->h, 10 * NSEC_PER_MSEC);
    w->h->tap = lose_client_data;
    oneway_more(w, 10 * MSS_TS);
    harness_run(w->h, NSEC_PER_MSEC);
    zero_window_reply(w, NULL);
    w->h->tap = zero_window;
    zero_segments = 0;
    harness_run(w->h, 60 * NSEC_PER_SEC);
    if (zero_segments < 5)
        print_message("%u segments in 60 s of zero window, closed %d\n", zero_segments,
                      w->cli.closed);
    assert_true(zero_segments >= 5);
    assert_true(tcp_stat(harness_b(w->h), "tx_zero_window_probes") >= 5);
    harness_run(w->h, 30 * 60 * NSEC_PER_SEC); /* the peer answers: no timeout */
    assert_false(w->cli.closed);
    assert_int_equal(w->cli.conn->snd_una, w->data_seq);
    w->h->tap = NULL;
    assert_true(harness_run_until(w->h, oneway_received, w, 70 * NSEC_PER_SEC));
    assert_int_equal(w->srv.apps[0].rx_bad, 0);
    oneway_free(w);
}

/* ------------------------------------------------------------- 3: Karn's algorithm */

static bool drop_first_once(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    struct oneway *w = h->user;
    struct seen s;
    unsigned i = parse_seen(nb, &s) ? client_segment(w, from, &s) : 0;
    return !(i == 1 && w->tx[1] == 1);
}

/* One timeout (10 ms one way), then the ACK of the retransmission, with or without
 * timestamps. */
static void timeout_once(bool timestamps)
{
    struct harness_opts o = {.latency_ns = 10 * NSEC_PER_MSEC};
    struct tcp_params p;
    tcp_default_params(&p);
    p.timestamps = timestamps;
    struct oneway *w = oneway_new(50 * MSS_TS, &o, &p);
    assert_true(harness_run_until(w->h, oneway_received, w, 10 * NSEC_PER_SEC));
    harness_run(w->h, NSEC_PER_SEC);
    struct tcp_conn *c = w->cli.conn;
    uint64_t rto = c->rto_ns, srtt = c->srtt_ns, rttvar = c->rttvar_ns;
    w->h->tap = drop_first_once;
    oneway_more(w, 1000);
    assert_true(harness_run_until(w->h, oneway_received, w, 10 * NSEC_PER_SEC));
    harness_run(w->h, 100 * NSEC_PER_MSEC); /* the ACK reaches the client */
    assert_int_equal(c->snd_una, c->snd_max);
    assert_int_equal(tcp_stat(harness_b(w->h), "tx_rto"), 1);
    if (timestamps) { /* RFC 7323 4.1: the echoed TSval times the retransmission */
        assert_true(c->rto_ns < 2 * rto);
        oneway_free(w);
        return;
    }
    assert_int_equal(c->rto_ns, 2 * rto);
    assert_int_equal(c->srtt_ns, srtt);
    assert_int_equal(c->rttvar_ns, rttvar);
    w->h->tap = NULL;
    oneway_more(w, 1000); /* new data: a valid sample, and the RTO from the estimates again */
    assert_true(harness_run_until(w->h, oneway_received, w, 10 * NSEC_PER_SEC));
    harness_run(w->h, NSEC_PER_SEC);
    assert_true(c->rto_ns < 2 * rto);
    oneway_free(w);
}

static unsigned server_acks_dropped;
static bool drop_first_server_ack(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    (void)h, (void)nb;
    return from != SIDE_A || server_acks_dropped++ > 0;
}

/* The ACK of the original is lost; the retransmission after the timeout arrives as a
 * duplicate, and the peer's ACK echoes the original's TSval: that would time the original
 * across the whole timeout, the ambiguity timestamps are meant to remove. No sample is taken
 * from an echo older than the last retransmission. */
static void test_no_sample_from_echo_of_original(void **state)
{
    (void)state;
    struct harness_opts o = {.latency_ns = 10 * NSEC_PER_MSEC};
    struct oneway *w = oneway_new(50 * MSS_TS, &o, NULL);
    assert_true(harness_run_until(w->h, oneway_received, w, 10 * NSEC_PER_SEC));
    harness_run(w->h, NSEC_PER_SEC);
    struct tcp_conn *c = w->cli.conn;
    uint64_t rto = c->rto_ns, srtt = c->srtt_ns, rttvar = c->rttvar_ns;
    server_acks_dropped = 0;
    w->h->tap = drop_first_server_ack;
    oneway_more(w, 1000);
    harness_run(w->h, 2 * NSEC_PER_SEC);
    assert_int_equal(c->snd_una, c->snd_max);
    assert_int_equal(tcp_stat(harness_b(w->h), "tx_rto"), 1);
    assert_int_equal(c->srtt_ns, srtt);
    assert_int_equal(c->rttvar_ns, rttvar);
    assert_int_equal(c->rto_ns, 2 * rto);
    oneway_free(w);
}

/* RFC 6298 5.5 and 3 (Karn): after a timeout the backed-off RTO stays until a valid sample,
 * and without timestamps the ACK of a retransmission gives none, so it moves neither RTTVAR
 * nor SRTT. */
static void test_karn_keeps_backed_off_rto(void **state)
{
    (void)state;
    timeout_once(false);
}

/* With timestamps the ACK of the retransmission is a valid sample (RFC 7323 4.1), and the RTO
 * comes back down at once: without it, under steady loss, the backed-off RTO found no sample
 * for long (the soak's seed 2 sat on a 12.8 s RTO). */
static void test_timestamps_time_retransmissions(void **state)
{
    (void)state;
    timeout_once(true);
}

/* ---------------------------------------------------- 4: the RTO after a SYN timeout */

static unsigned syns_seen, synacks_seen;
static bool drop_synack_and_second_syn(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    (void)h, (void)from;
    struct seen s;
    if (!parse_seen(nb, &s) || !(s.h.flags & TCP_SYN))
        return true;
    if (s.h.flags & TCP_ACK)
        return ++synacks_seen != 1;
    return ++syns_seen != 2;
}

/* RFC 6298 5.7 (MUST): after a timeout waiting for the ACK of a SYN, the RTO is 3 s once data
 * transmission begins (until a sample replaces it). Here both ends time out: the first SYN-ACK
 * and the second SYN are lost. */
static void test_rto_3s_after_syn_timeout(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    struct server srv = {.proto = {.rx_seed = 5}};
    assert_non_null(tcp_listen(harness_a(h), 9, server_on_accept, &srv, NULL));
    syns_seen = synacks_seen = 0;
    h->tap = drop_synack_and_second_syn;
    struct app cli = {.tx_seed = 5};
    app_connect(&cli, harness_b(h), ADDR_A, 9);
    harness_run(h, 5 * NSEC_PER_SEC);
    assert_true(cli.connected);
    assert_int_equal(srv.n, 1);
    assert_int_equal(syns_seen, 2);
    assert_true(synacks_seen >= 2);
    assert_int_equal(cli.conn->rto_ns, 3 * NSEC_PER_SEC);
    assert_int_equal(srv.apps[0].conn->rto_ns, 3 * NSEC_PER_SEC);
    tcp_abort(cli.conn);
    tcp_abort(srv.apps[0].conn);
    harness_run(h, NSEC_PER_SEC);
    harness_free(h);
}

/* ------------------------------------------------ 5: ssthresh on a repeated timeout */

static int64_t rto_target;
static bool rtos_reached(void *arg)
{
    struct oneway *w = arg;
    return tcp_stat(harness_b(w->h), "tx_rto") >= rto_target;
}

/* RFC 5681 3.1 (equation 4): when the segment that times out was already retransmitted by the
 * timer, ssthresh is held; CUBIC (RFC 9438 4.8) follows Reno, and keeps its W_max. */
static void test_cubic_holds_ssthresh_on_second_rto(void **state)
{
    (void)state;
    struct oneway *w = oneway_warm(500 * MSS_TS);
    struct tcp_conn *c = w->cli.conn;
    w->h->tap = lose_client_data;
    oneway_more(w, 100 * MSS_TS);
    rto_target = 1;
    assert_true(harness_run_until(w->h, rtos_reached, w, 10 * NSEC_PER_SEC));
    uint32_t ssthresh = c->ssthresh, w_max = c->cubic.w_max;
    assert_true(ssthresh > 10 * MSS_TS);
    rto_target = 3;
    assert_true(harness_run_until(w->h, rtos_reached, w, 10 * NSEC_PER_SEC));
    if (c->ssthresh != ssthresh)
        print_message("ssthresh %u then %u\n", ssthresh, c->ssthresh);
    assert_int_equal(c->ssthresh, ssthresh);
    assert_int_equal(c->cubic.w_max, w_max);
    assert_int_equal(c->cwnd, c->mss);
    w->h->tap = NULL;
    assert_true(harness_run_until(w->h, oneway_received, w, 20 * NSEC_PER_SEC));
    oneway_free(w);
}

/* ------------------------------------------- 7: segments with SACK blocks fit the MTU */

static unsigned fragments, sack_data_segments;
static bool count_fragments(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    (void)h, (void)from;
    const uint8_t *ip = nb->data + 14;
    if (nb->len < 14 + 20 || ip[9] != IP4_PROTO_TCP)
        return true;
    if (rd16(ip + 6) & 0x3fff) /* more fragments, or an offset */
        fragments++;
    struct seen s;
    if (parse_seen(nb, &s) && s.len && s.h.opts.sack_count)
        sack_data_segments++;
    return true;
}

/* RFC 9293 3.7.1 / RFC 6691: the MSS counts data only; a sender adding options (SACK blocks
 * beside the timestamps) sends less data, so the segment still fits the MTU and is never
 * fragmented. Both directions at once under loss, without segmentation offload: data
 * segments carry SACK blocks for the other direction. */
static void test_sack_segments_fit_mtu(void **state)
{
    (void)state;
    struct harness_opts o = {0};
    for (int s = 0; s < 2; s++)
        o.fault[s] = (struct fault_config){
            .loss_ppb = FAULT_PPB(0.03), .seeded = true, .seed = 7 + (uint64_t)s};
    struct bulk b = {.h = harness_new(&o)};
    fragments = sack_data_segments = 0;
    b.h->tap = count_fragments;
    bulk_start(&b, 1 << 20, 1 << 20, 11, 12);
    assert_true(harness_run_until(b.h, bulk_done, &b, 120 * NSEC_PER_SEC));
    bulk_check(&b, 1 << 20, 1 << 20);
    if (fragments)
        print_message("%u fragments, %u data segments with SACK blocks\n", fragments,
                      sack_data_segments);
    assert_true(sack_data_segments > 10);
    assert_int_equal(fragments, 0);
    b.h->tap = NULL;
    bulk_finish(&b);
}

/* ------------------------------------- pure ACKs during go-back-N (found by the soak) */

static bool lose_server_segments(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    (void)h, (void)nb;
    return from != SIDE_A;
}

static uint32_t pure_ack_seq;
static unsigned pure_acks;
static bool watch_client_acks(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    (void)h;
    struct seen s;
    if (from == SIDE_B && parse_seen(nb, &s) && s.len == 0 && !(s.h.flags & (TCP_SYN | TCP_FIN)))
        pure_ack_seq = s.h.seq, pure_acks++;
    return from == SIDE_B;
}

/* After a timeout snd_nxt goes back to snd_una (go-back-N), but an ACK without data carries
 * snd_max, as BSD does: the peer has taken everything up to snd_max, and a pure ACK below its
 * rcv_nxt is out of its window, so it drops it unread and answers with an ACK. With both ends
 * in go-back-N at once the two exchanged such ACKs for ever and neither learnt anything (the
 * soak's seed 204: an ACK every 18 ms for 600 s). */
static void test_pure_ack_after_timeout_in_window(void **state)
{
    (void)state;
    struct oneway *w = oneway_new(0, NULL, NULL);
    harness_run(w->h, 10 * NSEC_PER_MSEC);
    w->h->tap = lose_server_segments;
    oneway_more(w, 10 * MSS_TS);
    rto_target = 1;
    assert_true(harness_run_until(w->h, rtos_reached, w, 10 * NSEC_PER_SEC));
    struct tcp_conn *c = w->cli.conn, *s = w->srv.apps[0].conn;
    assert_true(seq_lt(c->snd_nxt, c->snd_max));
    assert_int_equal(s->rcv_nxt, c->snd_max); /* the server has it all */
    w->h->tap = watch_client_acks;
    pure_acks = 0;
    uint8_t data[100] = {0};
    struct raw_seg r = {.src = ADDR_A, .dst = ADDR_B, .payload = data, .len = sizeof(data)};
    r.h.sport = s->lport;
    r.h.dport = s->rport;
    r.h.seq = s->snd_nxt;
    r.h.ack = c->snd_una; /* tells the client nothing new */
    r.h.flags = TCP_ACK;
    r.h.window = (uint16_t)(tcp_rcv_window(s) >> s->rcv_wscale);
    r.h.opts.has_ts = true;
    r.h.opts.ts_val = tcp_ts_now(s);
    r.h.opts.ts_ecr = s->ts_recent;
    inject_segment(w->h, SIDE_B, &r); /* data: the client owes an ACK */
    harness_run(w->h, 100 * NSEC_PER_MSEC);
    assert_true(pure_acks >= 1);
    assert_int_equal(pure_ack_seq, c->snd_max); /* = the server's rcv_nxt: in its window */
    oneway_free(w);
}

/* A segment whose sequence number lags our rcv_nxt (its sender is in go-back-N, or believes our
 * window closed) still brings its ACK: it is taken, and the segment answered. Dropping it
 * unread let two such ends trade ACKs for ever (the soak's seeds 278 and 861). */
static void test_ack_of_old_segment_taken(void **state)
{
    (void)state;
    struct oneway *w = oneway_new(0, NULL, NULL);
    harness_run(w->h, 10 * NSEC_PER_MSEC);
    w->h->tap = lose_server_segments;
    oneway_more(w, 10 * MSS_TS);
    rto_target = 1;
    assert_true(harness_run_until(w->h, rtos_reached, w, 10 * NSEC_PER_SEC));
    struct tcp_conn *c = w->cli.conn, *s = w->srv.apps[0].conn;
    assert_true(seq_lt(c->snd_una, c->snd_max));
    struct raw_seg r = {.src = ADDR_A, .dst = ADDR_B};
    r.h.sport = s->lport;
    r.h.dport = s->rport;
    r.h.seq = s->snd_nxt - 1; /* below the client's rcv_nxt */
    r.h.ack = s->rcv_nxt;     /* all the client sent */
    r.h.flags = TCP_ACK;
    r.h.window = (uint16_t)(tcp_rcv_window(s) >> s->rcv_wscale);
    r.h.opts.has_ts = true;
    r.h.opts.ts_val = tcp_ts_now(s);
    r.h.opts.ts_ecr = s->ts_recent;
    pure_acks = 0;
    w->h->tap = watch_client_acks;
    inject_segment(w->h, SIDE_B, &r);
    harness_run(w->h, NSEC_PER_MSEC);
    assert_int_equal(c->snd_una, c->snd_max);
    assert_int_equal(tcp_stat(harness_b(w->h), "rx_old_seq_ack"), 1);
    assert_int_equal(pure_acks, 1); /* answered, as a keepalive is */
    oneway_free(w);
}

/* The sequence number of an ACK never goes back, also when the peer's window closes with data
 * in flight: the peer takes a window update only from a sequence number at or above the last
 * one it took (SND.WL1). An ACK at snd_una there left two ends probing windows each thought
 * closed, every answer ignored (the soak's seed 12040). */
static void test_pure_ack_seq_never_goes_back(void **state)
{
    (void)state;
    struct oneway *w = oneway_new(0, NULL, NULL);
    harness_run(w->h, 10 * NSEC_PER_MSEC);
    w->h->tap = lose_client_data;
    oneway_more(w, 10 * MSS_TS);
    harness_run(w->h, NSEC_PER_MSEC);
    zero_window_reply(w, NULL);
    harness_run(w->h, NSEC_PER_MSEC);
    struct tcp_conn *c = w->cli.conn, *s = w->srv.apps[0].conn;
    assert_int_equal(c->snd_wnd, 0);
    assert_true(seq_lt(c->snd_una, c->snd_max));
    w->h->tap = watch_client_acks;
    pure_acks = 0;
    uint8_t data[100] = {0};
    struct raw_seg r = {.src = ADDR_A, .dst = ADDR_B, .payload = data, .len = sizeof(data)};
    r.h.sport = s->lport;
    r.h.dport = s->rport;
    r.h.seq = s->snd_nxt;
    r.h.ack = c->snd_una;
    r.h.flags = TCP_ACK; /* window 0 */
    r.h.opts.has_ts = true;
    r.h.opts.ts_val = tcp_ts_now(s);
    r.h.opts.ts_ecr = s->ts_recent;
    inject_segment(w->h, SIDE_B, &r); /* data: the client owes an ACK */
    harness_run(w->h, 100 * NSEC_PER_MSEC);
    assert_true(pure_acks >= 1);
    assert_int_equal(pure_ack_seq, c->snd_max);
    oneway_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rto_with_many_holes_completes),
        cmocka_unit_test(test_rto_resends_sacked_left_edge),
        cmocka_unit_test(test_reneging_detected),
        cmocka_unit_test(test_receiver_keeps_sacked_ranges),
        cmocka_unit_test(test_zero_window_with_data_in_flight),
        cmocka_unit_test(test_karn_keeps_backed_off_rto),
        cmocka_unit_test(test_timestamps_time_retransmissions),
        cmocka_unit_test(test_no_sample_from_echo_of_original),
        cmocka_unit_test(test_rto_3s_after_syn_timeout),
        cmocka_unit_test(test_cubic_holds_ssthresh_on_second_rto),
        cmocka_unit_test(test_sack_segments_fit_mtu),
        cmocka_unit_test(test_pure_ack_after_timeout_in_window),
        cmocka_unit_test(test_ack_of_old_segment_taken),
        cmocka_unit_test(test_pure_ack_seq_never_goes_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
