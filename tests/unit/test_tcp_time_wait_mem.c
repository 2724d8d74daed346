/* What TIME_WAIT costs (docs/tcp-memory.md, Tables): a connection that closed actively keeps a
 * compact entry, not its control block, and the entry still does TIME_WAIT's work (the ACK of
 * a retransmitted FIN, over IPv4 and IPv6); under max_conns the oldest entry makes room, a FIN
 * that restarts 2*MSL makes its entry the youngest, and a lowered time_wait_ms is kept in order.
 * White-box: counts the control blocks (tcp->n_conns) beside the counters. */
#include "../../src/net/tcp_internal.h"
#include "test_tcp_util.h"
#include "unic/ip6.h"
#include "unic/ip6_stack.h"
#include "unic/wire/eth.h"

#define N_CONNS 200
#define MAX_FINS 8

/* The clients are on B and close first: B holds TIME_WAIT. A's FINs are kept to play again. */
struct twm {
    struct harness *h;
    struct server srv;
    struct app cli[N_CONNS];
    unsigned n;
    struct seen fin[MAX_FINS]; /* A's FINs, in the order they crossed (no payload) */
    unsigned n_fin;
    struct seen last_b; /* what B sent last */
    unsigned from_b;
};

static bool record(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    struct twm *t = h->user;
    struct seen s;
    if (!parse_seen(nb, &s))
        return true;
    if (from == SIDE_B) {
        t->last_b = s;
        t->last_b.payload = NULL;
        t->from_b++;
    } else if ((s.h.flags & TCP_FIN) && s.len == 0 && t->n_fin < MAX_FINS) {
        s.payload = NULL;
        t->fin[t->n_fin++] = s;
    }
    return true;
}

static bool all_closed(void *arg)
{
    struct twm *t = arg;
    if (t->srv.n != t->n)
        return false;
    for (unsigned i = 0; i < t->n; i++)
        if (!t->cli[i].closed || !t->srv.apps[i].closed)
            return false;
    return true;
}

static struct twm *twm_new(const struct tcp_params *pb)
{
    struct twm *t = calloc(1, sizeof(*t));
    t->h = harness_new(NULL);
    t->h->user = t;
    t->h->tap = record;
    if (pb)
        assert_int_equal(tcp_configure(harness_b(t->h), pb), 0);
    t->srv.proto = (struct app){.rx_seed = 7, .close_on_eof = true};
    assert_non_null(tcp_listen(harness_a(t->h), 80, server_on_accept, &t->srv, NULL));
    return t;
}

/* One more client: sends 100 bytes, closes, and is in TIME_WAIT once the server's FIN came. */
static void twm_close_one(struct twm *t)
{
    struct app *a = &t->cli[t->n++];
    *a = (struct app){.tx_seed = 7, .tx_total = 100, .close_when_sent = true};
    app_connect(a, harness_b(t->h), ADDR_A, 80);
    assert_true(harness_run_until(t->h, all_closed, t, 5 * NSEC_PER_SEC));
}

static void twm_free(struct twm *t)
{
    t->h->tap = NULL;
    harness_run(t->h, 61 * NSEC_PER_SEC);
    assert_int_equal(tcp_stat(harness_b(t->h), "conn_time_wait"), 0);
    assert_int_equal(tcp_stat(harness_b(t->h), "time_wait_entries"), 0);
    assert_int_equal(tcp_conn_count(harness_a(t->h)) + tcp_conn_count(harness_b(t->h)), 0);
    harness_free(t->h);
    free(t);
}

/* Play A's FIN (i) again: B answers with the ACK of a TIME_WAIT (true) or anything else. */
static bool fin_acked_again(struct twm *t, unsigned i)
{
    t->from_b = 0;
    resend_seen(t->h, SIDE_A, &t->fin[i]);
    harness_run(t->h, NSEC_PER_MSEC);
    const struct seen *r = &t->last_b;
    if (t->from_b != 1 || r->h.flags != TCP_ACK || r->h.ack != t->fin[i].h.seq + 1 ||
        r->h.dport != t->fin[i].h.sport || r->h.sport != t->fin[i].h.dport)
        return false;
    assert_true(r->h.opts.has_ts);
    assert_int_equal(r->h.opts.ts_ecr, t->fin[i].h.opts.ts_val);
    return true;
}

/* N connections closed actively: no control block is left, N compact entries are, each far
 * smaller than a control block, and they still answer a retransmitted FIN. */
static void test_time_wait_keeps_no_control_block(void **state)
{
    (void)state;
    struct twm *t = twm_new(NULL);
    for (unsigned i = 0; i < N_CONNS; i++)
        twm_close_one(t);
    harness_run(t->h, 10 * NSEC_PER_MSEC);
    struct inet *b = harness_b(t->h);
    assert_int_equal(tcp_stat(b, "conn_time_wait"), N_CONNS);
    assert_int_equal(tcp_stat(b, "time_wait_entries"), N_CONNS);
    assert_int_equal(tcp_stat(b, "conn_open"), 0);
    assert_int_equal(b->tcp->n_conns, 0); /* no struct tcp_conn held */
    assert_int_equal(tcp_conn_count(b), N_CONNS);
    int64_t bytes = tcp_stat(b, "time_wait_bytes");
    assert_true(bytes > 0 && bytes <= 128 && (size_t)bytes < sizeof(struct tcp_conn) / 8);
    assert_int_equal(tcp_stat(b, "conn_freed"), N_CONNS);
    assert_int_equal(t->n_fin, MAX_FINS);
    for (unsigned i = 0; i < MAX_FINS; i++)
        assert_true(fin_acked_again(t, i));
    assert_int_equal(tcp_stat(b, "time_wait_entries"), N_CONNS);
    twm_free(t);
}

/* max_conns reached with every slot in TIME_WAIT: a new connection takes the oldest entry's
 * place; an entry whose 2*MSL a FIN restarted counts as the youngest. */
static void test_max_conns_reclaims_oldest(void **state)
{
    (void)state;
    struct tcp_params p;
    tcp_default_params(&p);
    p.max_conns = 6;
    struct twm *t = twm_new(&p);
    for (unsigned i = 0; i < 6; i++) {
        twm_close_one(t);
        harness_run(t->h, NSEC_PER_SEC); /* a clear order of expiry */
    }
    struct inet *b = harness_b(t->h);
    assert_int_equal(tcp_stat(b, "time_wait_entries"), 6);
    assert_true(fin_acked_again(t, 0)); /* the oldest restarts: now the youngest */
    twm_close_one(t);                   /* the 7th: entry 1 makes room */
    assert_true(t->cli[6].connected);
    assert_int_equal(tcp_stat(b, "conn_limit"), 0);
    assert_int_equal(tcp_stat(b, "time_wait_reclaimed"), 1);
    assert_int_equal(tcp_stat(b, "time_wait_entries"), 6);
    assert_false(fin_acked_again(t, 1)); /* gone: answered with a RST */
    assert_true(t->last_b.h.flags & TCP_RST);
    assert_true(fin_acked_again(t, 0));
    for (unsigned i = 2; i < 6; i++)
        assert_true(fin_acked_again(t, i));
    twm_free(t);
}

/* time_wait_ms lowered while entries live: a new entry expires before the older ones (the
 * list stays in order of expiry, the timer follows its head), and none outlives its own. */
static void test_shorter_time_wait_expires_first(void **state)
{
    (void)state;
    struct twm *t = twm_new(NULL);
    twm_close_one(t); /* 60 s */
    struct tcp_params p;
    tcp_default_params(&p);
    p.time_wait_ms = 10 * 1000;
    assert_int_equal(tcp_configure(harness_b(t->h), &p), 0);
    twm_close_one(t); /* 10 s */
    struct inet *b = harness_b(t->h);
    assert_int_equal(tcp_stat(b, "time_wait_entries"), 2);
    harness_run(t->h, 11 * NSEC_PER_SEC);
    assert_int_equal(tcp_stat(b, "time_wait_entries"), 1);
    assert_true(fin_acked_again(t, 0));  /* the first is the one left (restarted: 10 s) */
    assert_false(fin_acked_again(t, 1)); /* the second is gone */
    harness_run(t->h, 11 * NSEC_PER_SEC);
    assert_int_equal(tcp_stat(b, "time_wait_entries"), 0);
    twm_free(t);
}

/* ---- IPv6 -------------------------------------------------------------------------------- */

static struct unic_addr fd00(uint8_t last)
{
    struct unic_addr a = {{0xfd, 0}};
    a.bytes[15] = last;
    return a;
}

/* A's last FIN and B's last segment over IPv6, as the tap saw them. */
struct tw6 {
    struct tcp_hdr fin, last_b;
    unsigned n_fin, from_b;
};
static struct tw6 tw6;

static bool tap6(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    (void)h;
    const uint8_t *ip = nb->data + 14;
    struct tcp_hdr th;
    if (nb->len < 14 + 40 + 20 || rd16(nb->data + 12) != ETH_TYPE_IP6 || ip[6] != 6 ||
        tcp_parse(ip + 40, rd16(ip + 4), &th) < 0)
        return true;
    if (from == SIDE_B) {
        tw6.last_b = th;
        tw6.from_b++;
    } else if (th.flags & TCP_FIN) {
        tw6.fin = th;
        tw6.n_fin++;
    }
    return true;
}

/* (th) from fd00::1 (A) to fd00::2 (B), no payload. */
static void inject6_to_b(struct harness *h, const struct tcp_hdr *th)
{
    uint8_t f[200] = {0};
    f[5] = 2, f[0] = 0x02, f[6] = 0x02, f[11] = 1;
    wr16(f + 12, ETH_TYPE_IP6);
    uint8_t *ip = f + 14, *t = ip + 40;
    struct unic_addr src = fd00(1), dst = fd00(2);
    int hl = tcp_emit(t, 60, th);
    assert_true(hl >= 20);
    tcp_set_checksum_sum(t, (size_t)hl, csum_pseudo_ip6(src.bytes, dst.bytes, 6, (uint32_t)hl));
    ip[0] = 0x60;
    wr16(ip + 4, (uint16_t)hl);
    ip[6] = 6;
    ip[7] = 64;
    memcpy(ip + 8, src.bytes, 16);
    memcpy(ip + 24, dst.bytes, 16);
    harness_inject(h, SIDE_B, f, 14 + 40 + (size_t)hl);
}

/* Over IPv6 the entry keeps both 16-byte addresses and answers from them. */
static void test_time_wait_ipv6(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    for (int s = 0; s < 2; s++) {
        ip6_start(&h->stack[s], false);
        assert_int_equal(ip6_addr_add(&h->stack[s], fd00((uint8_t)(s + 1)), 64, IP6_ORIGIN_STATIC,
                                      TIMER_NEVER, TIMER_NEVER),
                         0);
    }
    harness_run(h, 5 * NSEC_PER_SEC); /* duplicate address detection */
    tw6 = (struct tw6){0};
    h->tap = tap6;
    struct server srv = {.proto = {.rx_seed = 7, .close_on_eof = true}};
    assert_non_null(tcp_listen(harness_a(h), 80, server_on_accept, &srv, NULL));
    struct app cli = {.tx_seed = 7, .tx_total = 100, .close_when_sent = true};
    int err = 0;
    cli.conn = tcp_connect(harness_b(h), fd00(1), 80, app_on_connected, &cli, &err);
    assert_non_null(cli.conn);
    assert_true(harness_run_until(h, app_done, &cli, 5 * NSEC_PER_SEC));
    harness_run(h, 10 * NSEC_PER_MSEC);
    struct inet *b = harness_b(h);
    assert_int_equal(tcp_stat(b, "time_wait_entries"), 1);
    assert_int_equal(b->tcp->n_conns, 0);
    assert_int_equal(tw6.n_fin, 1);
    harness_run(h, 30 * NSEC_PER_SEC);
    tw6.from_b = 0;
    inject6_to_b(h, &tw6.fin);
    harness_run(h, NSEC_PER_MSEC);
    assert_int_equal(tw6.from_b, 1);
    assert_int_equal(tw6.last_b.flags, TCP_ACK);
    assert_int_equal(tw6.last_b.ack, tw6.fin.seq + 1);
    assert_int_equal(tw6.last_b.dport, tw6.fin.sport);
    assert_int_equal(tw6.last_b.opts.ts_ecr, tw6.fin.opts.ts_val);
    harness_run(h, 40 * NSEC_PER_SEC); /* 70 s after it began: restarted at 30 s */
    assert_int_equal(tcp_stat(b, "time_wait_entries"), 1);
    harness_run(h, 25 * NSEC_PER_SEC);
    assert_int_equal(tcp_stat(b, "time_wait_entries"), 0);
    assert_int_equal(tcp_conn_count(harness_a(h)) + tcp_conn_count(b), 0);
    h->tap = NULL;
    harness_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_wait_keeps_no_control_block),
        cmocka_unit_test(test_max_conns_reclaims_oldest),
        cmocka_unit_test(test_shorter_time_wait_expires_first),
        cmocka_unit_test(test_time_wait_ipv6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
