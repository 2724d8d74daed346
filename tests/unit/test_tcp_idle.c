/* Restart after idle (RFC 5681 4.1): a connection that has sent nothing for longer than its
 * RTO starts again from the restart window RW = min(IW, cwnd), instead of putting a whole
 * stale cwnd on the wire at once with no ACK clock to pace it; ssthresh keeps 3/4 of the old
 * cwnd (RFC 2861 3.1, as Linux) so slow start climbs back quickly. A shorter pause keeps cwnd,
 * and tcp_params.idle_restart = false keeps it always (Linux's tcp_slow_start_after_idle = 0).
 * White-box: reads cwnd and the flight from tcp_internal.h. */
#include "../../src/net/tcp_internal.h"
#include "test_tcp_util.h"

#define PORT 9

struct idle {
    struct harness *h;
    struct server srv;
    struct app cli; /* on B, sending to the server on A */
};

static bool received(void *arg)
{
    struct idle *t = arg;
    return t->srv.n == 1 && t->srv.apps[0].rx_done == t->cli.tx_total;
}

/* A connection whose cwnd grew over a transfer of 500 segments, all acknowledged. */
static struct idle *warm(bool idle_restart)
{
    struct idle *t = calloc(1, sizeof(*t));
    t->h = harness_new(NULL);
    struct tcp_params p;
    tcp_default_params(&p);
    p.idle_restart = idle_restart;
    assert_int_equal(tcp_configure(harness_b(t->h), &p), 0);
    t->srv.proto = (struct app){.rx_seed = 4};
    assert_non_null(tcp_listen(harness_a(t->h), PORT, server_on_accept, &t->srv, NULL));
    t->cli = (struct app){.tx_seed = 4, .tx_total = 500 * 1448};
    app_connect(&t->cli, harness_b(t->h), ADDR_A, PORT);
    assert_true(harness_run_until(t->h, received, t, 10 * NSEC_PER_SEC));
    harness_run(t->h, 50 * NSEC_PER_MSEC); /* the last ACKs */
    return t;
}

/* Pause (ns), then queue 100 segments more: the flight that leaves at once. */
static uint32_t burst_after(struct idle *t, uint64_t ns)
{
    harness_run(t->h, ns);
    struct tcp_conn *c = t->cli.conn;
    assert_int_equal(c->snd_max, c->snd_una);
    t->cli.tx_total += 100 * 1448;
    app_pump(&t->cli);
    uint32_t flight = c->snd_max - c->snd_una;
    assert_true(harness_run_until(t->h, received, t, 10 * NSEC_PER_SEC));
    harness_run(t->h, 50 * NSEC_PER_MSEC);
    return flight;
}

static void finish(struct idle *t)
{
    tcp_abort(t->cli.conn);
    tcp_abort(t->srv.apps[0].conn);
    harness_run(t->h, NSEC_PER_SEC);
    harness_free(t->h);
    free(t);
}

static void test_restart_after_idle(void **state)
{
    (void)state;
    struct idle *t = warm(true);
    struct tcp_conn *c = t->cli.conn;
    uint32_t iw = TCP_INIT_CWND_SEGS * c->mss;
    assert_true(c->cwnd > 4 * iw);
    assert_true(c->rto_ns < NSEC_PER_SEC);

    uint32_t flight = burst_after(t, 100 * NSEC_PER_MSEC); /* under the RTO (200 ms here) */
    assert_int_equal(tcp_stat(harness_b(t->h), "cwnd_restarts"), 0);
    assert_true(flight > 2 * iw);

    uint32_t cwnd = c->cwnd;
    harness_run(t->h, 2 * NSEC_PER_SEC);
    t->cli.tx_total += 100 * 1448;
    app_pump(&t->cli);
    assert_int_equal(tcp_stat(harness_b(t->h), "cwnd_restarts"), 1);
    assert_true(c->snd_max - c->snd_una <= iw);
    assert_int_equal(c->cwnd, iw);
    assert_true(c->ssthresh >= cwnd / 4 * 3);
    assert_true(harness_run_until(t->h, received, t, 10 * NSEC_PER_SEC));
    assert_int_equal(t->srv.apps[0].rx_bad, 0);
    finish(t);
}

static void test_no_restart_when_disabled(void **state)
{
    (void)state;
    struct idle *t = warm(false);
    uint32_t iw = TCP_INIT_CWND_SEGS * t->cli.conn->mss;
    assert_true(burst_after(t, 2 * NSEC_PER_SEC) > 2 * iw);
    assert_int_equal(tcp_stat(harness_b(t->h), "cwnd_restarts"), 0);
    finish(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restart_after_idle),
        cmocka_unit_test(test_no_restart_when_disabled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
