/* TCP bulk transfers over the virtual wire, checked byte for byte: both directions at once,
 * clean and under loss / reordering / duplication, with CUBIC+SACK, NewReno without SACK, and
 * without any options; across sequence wraparound; through a zero window. */
#include "test_tcp_util.h"

struct xfer {
    struct bulk b;
};

struct xfer_cfg {
    uint64_t up, down; /* bytes client -> server, server -> client */
    double loss, reorder, dup;
    bool newreno, no_sack, no_options;
    uint32_t isn_a, isn_b; /* 0: random */
    uint64_t max_ns;
    uint64_t latency_ns; /* one way; 0: the harness default */
};

static void configure(struct inet *inet, const struct xfer_cfg *cfg)
{
    struct tcp_params p;
    tcp_default_params(&p);
    p.cubic = !cfg->newreno;
    p.sack = !cfg->no_sack && !cfg->no_options;
    p.timestamps = p.window_scale = !cfg->no_options;
    if (cfg->no_options)
        p.rcv_buf = p.snd_buf = 65535;
    assert_int_equal(tcp_configure(inet, &p), 0);
}

static struct xfer *run_xfer(const struct xfer_cfg *cfg)
{
    struct harness_opts o = {.latency_ns = cfg->latency_ns};
    for (int s = 0; s < 2; s++)
        o.fault[s] = (struct fault_config){.loss_ppb = FAULT_PPB(cfg->loss),
                                           .reorder_ppb = FAULT_PPB(cfg->reorder),
                                           .duplicate_ppb = FAULT_PPB(cfg->dup),
                                           .seeded = true,
                                           .seed = 1234 + (uint64_t)s};
    struct xfer *x = calloc(1, sizeof(*x));
    x->b.h = harness_new(&o);
    configure(harness_a(x->b.h), cfg);
    configure(harness_b(x->b.h), cfg);
    if (cfg->isn_a)
        tcp_test_force_isn(harness_a(x->b.h), cfg->isn_a);
    if (cfg->isn_b)
        tcp_test_force_isn(harness_b(x->b.h), cfg->isn_b);
    bulk_start(&x->b, cfg->up, cfg->down, 66, 77);
    bool ok =
        harness_run_until(x->b.h, bulk_done, &x->b, cfg->max_ns ? cfg->max_ns : 600 * NSEC_PER_SEC);
    if (!ok || getenv("TCP_DEBUG")) {
        print_message("cli tx %lu rx %lu; srv tx %lu rx %lu; now %lu ms\n",
                      (unsigned long)x->b.cli.tx_done, (unsigned long)x->b.cli.rx_done,
                      (unsigned long)x->b.srv.apps[0].tx_done,
                      (unsigned long)x->b.srv.apps[0].rx_done,
                      (unsigned long)(x->b.h->timers.now / NSEC_PER_MSEC));
        inet_print_stats(harness_a(x->b.h), 0);
        inet_print_stats(harness_b(x->b.h), 0);
    }
    assert_true(ok);
    bulk_check(&x->b, cfg->up, cfg->down);
    return x;
}

static void finish(struct xfer *x)
{
    bulk_finish(&x->b);
    free(x);
}

static void test_bulk_clean(void **state)
{
    (void)state;
    struct xfer_cfg cfg = {.up = 8 << 20, .down = 8 << 20};
    struct xfer *x = run_xfer(&cfg);
    assert_int_equal(tcp_stat(harness_a(x->b.h), "tx_retransmits"), 0);
    assert_int_equal(tcp_stat(harness_b(x->b.h), "tx_retransmits"), 0);
    finish(x);
}

/* A transfer that lasts many RTOs (10 ms RTT): every ACK moves the retransmission timer on
 * (lazily, see tcp_timer.c), and without loss it must never fire: no tail probe, no RTO. */
static void test_bulk_long_rtt_no_spurious_timeouts(void **state)
{
    (void)state;
    struct xfer_cfg cfg = {.up = 4 << 20, .down = 4 << 20, .latency_ns = 5 * NSEC_PER_MSEC};
    struct xfer *x = run_xfer(&cfg);
    assert_true(x->b.h->timers.now > NSEC_PER_SEC); /* the RTO is 200 ms at least */
    for (int s = 0; s < 2; s++) {
        struct inet *inet = &x->b.h->stack[s];
        assert_int_equal(tcp_stat(inet, "tx_retransmits"), 0);
        assert_int_equal(tcp_stat(inet, "tx_tail_probes"), 0);
        assert_int_equal(tcp_stat(inet, "tx_rto"), 0);
    }
    finish(x);
}

static void test_bulk_lossy_cubic_sack(void **state)
{
    (void)state;
    struct xfer_cfg cfg = {
        .up = 4 << 20, .down = 4 << 20, .loss = 0.02, .reorder = 0.02, .dup = 0.01};
    struct xfer *x = run_xfer(&cfg);
    assert_true(tcp_stat(harness_a(x->b.h), "tx_fast_retransmits") > 0);
    assert_true(tcp_stat(harness_a(x->b.h), "rx_ooo") > 0);
    finish(x);
}

static void test_bulk_lossy_newreno_nosack(void **state)
{
    (void)state;
    struct xfer_cfg cfg = {.up = 2 << 20,
                           .down = 2 << 20,
                           .loss = 0.02,
                           .reorder = 0.02,
                           .dup = 0.01,
                           .newreno = true,
                           .no_sack = true};
    struct xfer *x = run_xfer(&cfg);
    assert_true(tcp_stat(harness_b(x->b.h), "tx_fast_retransmits") > 0);
    finish(x);
}

static void test_bulk_no_options(void **state)
{
    (void)state;
    struct xfer_cfg cfg = {.up = 1 << 20, .down = 1 << 20, .loss = 0.01, .no_options = true};
    finish(run_xfer(&cfg));
}

static void test_bulk_heavy_loss(void **state)
{
    (void)state;
    struct xfer_cfg cfg = {
        .up = 1 << 20, .down = 1 << 20, .loss = 0.10, .reorder = 0.05, .dup = 0.05};
    finish(run_xfer(&cfg));
}

/* Both ISNs just below 2^32: every sequence comparison crosses the wrap. */
static void test_wraparound(void **state)
{
    (void)state;
    struct xfer_cfg cfg = {.up = 4 << 20,
                           .down = 4 << 20,
                           .loss = 0.02,
                           .reorder = 0.02,
                           .isn_a = 0xffffff00u,
                           .isn_b = 0xfffff000u};
    finish(run_xfer(&cfg));
    struct xfer_cfg nr = {.up = 1 << 20,
                          .down = 1 << 20,
                          .loss = 0.02,
                          .newreno = true,
                          .no_sack = true,
                          .isn_a = 0xfffffff0u,
                          .isn_b = 0x7ffffff0u};
    finish(run_xfer(&nr));
}

/* The receiver stops reading: the window closes, the sender probes, then all data flows. */
static void test_zero_window(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    struct server srv = {.proto = {.rx_seed = 66, .hold = true}};
    assert_non_null(tcp_listen(harness_a(h), 9, server_on_accept, &srv, NULL));
    struct app cli = {.tx_seed = 66, .tx_total = 2 << 20};
    app_connect(&cli, harness_b(h), ADDR_A, 9);
    harness_run(h, 30 * NSEC_PER_SEC);
    assert_int_equal(srv.n, 1);
    struct app *s = &srv.apps[0];
    assert_int_equal(s->rx_done, 0);
    assert_true(cli.tx_done < cli.tx_total); /* backpressure reached the sender */
    if (getenv("TCP_DEBUG"))
        inet_print_stats(harness_a(h), 0), inet_print_stats(harness_b(h), 0),
            print_message("cli tx %lu\n", (unsigned long)cli.tx_done);
    assert_true(tcp_stat(harness_b(h), "tx_zero_window_probes") >= 3);
    assert_false(cli.closed);
    s->hold = false;
    s->paused = false;
    tcp_recv_resume(s->conn);
    harness_run(h, 10 * NSEC_PER_SEC);
    assert_int_equal(s->rx_done, 2 << 20);
    assert_int_equal(s->rx_bad, 0);
    assert_int_equal(cli.tx_done, 2 << 20);
    tcp_abort(cli.conn);
    harness_run(h, NSEC_PER_SEC);
    assert_int_equal(tcp_conn_count(harness_a(h)), 0);
    harness_free(h);
}

/* The receiver reads a little at a time (partial consumption), the window opens bit by bit. */
static void test_slow_reader(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    struct server srv = {.proto = {.rx_seed = 66, .consume_max = 100}};
    assert_non_null(tcp_listen(harness_a(h), 9, server_on_accept, &srv, NULL));
    struct app cli = {.tx_seed = 66, .tx_total = 1 << 20, .close_when_sent = true};
    app_connect(&cli, harness_b(h), ADDR_A, 9);
    for (int i = 0; i < 100000 && !(srv.n && srv.apps[0].eof); i++) {
        harness_run(h, NSEC_PER_MSEC);
        if (srv.n && srv.apps[0].paused) {
            srv.apps[0].paused = false;
            tcp_recv_resume(srv.apps[0].conn);
        }
    }
    assert_int_equal(srv.apps[0].rx_done, 1 << 20);
    assert_int_equal(srv.apps[0].rx_bad, 0);
    tcp_abort(srv.apps[0].conn);
    harness_run(h, 61 * NSEC_PER_SEC);
    assert_int_equal(tcp_conn_count(harness_b(h)) + tcp_conn_count(harness_a(h)), 0);
    harness_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bulk_clean),
        cmocka_unit_test(test_bulk_long_rtt_no_spurious_timeouts),
        cmocka_unit_test(test_bulk_lossy_cubic_sack),
        cmocka_unit_test(test_bulk_lossy_newreno_nosack),
        cmocka_unit_test(test_bulk_no_options),
        cmocka_unit_test(test_bulk_heavy_loss),
        cmocka_unit_test(test_wraparound),
        cmocka_unit_test(test_zero_window),
        cmocka_unit_test(test_slow_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
