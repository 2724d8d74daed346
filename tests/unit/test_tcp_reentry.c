/* TCP callbacks that call back into the stack: tcp_recv_resume() inside on_data (the bytes it
 * left are offered again from the event loop, and the peer hears of the opened window), tcp_send()
 * and tcp_close() on another connection from inside on_data, and tcp_abort() / tcp_close() /
 * tcp_send() from on_writable, on_eof and on_close. Every connection is freed exactly once
 * (conn_freed counts it) and no buffer is left behind. */
#include "test_tcp_util.h"

#define SEED 7
#define REPLY_SEED 9

enum action { ACT_NONE, ACT_ABORT, ACT_CLOSE, ACT_SEND_CLOSE_ABORT };

/* The service on stack A: a reader that checks the byte pattern, with knobs for what it does
 * from inside each callback. */
struct reader {
    struct tcp_conn *conn;
    size_t chunk;         /* bytes taken per on_data call (0: all of them) */
    bool hold;            /* take nothing */
    bool resume_inside;   /* tcp_recv_resume() inside on_data whenever it takes less */
    struct reader *other; /* on data: send REPLY_LEN bytes to other's connection, close it */
    enum action on_writable, on_eof, on_close;
    size_t send_total; /* bytes to send once accepted (ACT_ABORT on_writable) */
    uint64_t got, bad;
    unsigned data_calls;
    long send_after_close; /* what tcp_send() returned inside on_close */
    bool eof, closed;
    int close_reason;
};

#define REPLY_LEN 3

struct readers {
    struct reader r[4];
    unsigned n;
};

static size_t reader_data(struct tcp_conn *c, const uint8_t *data, size_t len)
{
    struct reader *r = tcp_user(c);
    r->data_calls++;
    if (r->other && r->other->conn) {
        uint8_t reply[REPLY_LEN];
        for (size_t i = 0; i < REPLY_LEN; i++)
            reply[i] = pattern(REPLY_SEED, i);
        assert_int_equal(tcp_send(r->other->conn, reply, REPLY_LEN), REPLY_LEN);
        tcp_close(r->other->conn);
        r->other = NULL;
    }
    size_t n = r->hold ? 0 : len;
    if (r->chunk && n > r->chunk)
        n = r->chunk;
    for (size_t i = 0; i < n; i++)
        if (data[i] != pattern(SEED, r->got + i))
            r->bad++;
    r->got += n;
    if (n < len && r->resume_inside)
        tcp_recv_resume(c);
    return n;
}

static void act(struct reader *r, struct tcp_conn *c, enum action a)
{
    if (a == ACT_ABORT) {
        tcp_abort(c);
        r->conn = NULL;
        r->closed = true;
        r->close_reason = -ECONNABORTED;
    } else if (a == ACT_CLOSE) {
        tcp_close(c);
    } else if (a == ACT_SEND_CLOSE_ABORT) { /* the handle is still valid inside on_close */
        r->send_after_close = tcp_send(c, "x", 1);
        tcp_close(c);
        tcp_abort(c);
    }
}

static void reader_writable(struct tcp_conn *c)
{
    struct reader *r = tcp_user(c);
    act(r, c, r->on_writable);
}

static void reader_eof(struct tcp_conn *c)
{
    struct reader *r = tcp_user(c);
    r->eof = true;
    act(r, c, r->on_eof);
}

static void reader_close(struct tcp_conn *c, int reason)
{
    struct reader *r = tcp_user(c);
    r->closed = true;
    r->close_reason = reason;
    act(r, c, r->on_close);
    r->conn = NULL;
}

static const struct tcp_callbacks reader_cb = {
    .on_data = reader_data,
    .on_writable = reader_writable,
    .on_eof = reader_eof,
    .on_close = reader_close,
};

static void reader_accept(struct tcp_conn *c, void *user)
{
    struct readers *rs = user;
    assert_true(rs->n < 4);
    struct reader *r = &rs->r[rs->n++];
    r->conn = c;
    tcp_set_callbacks(c, &reader_cb, r);
    static uint8_t junk[64 * 1024];
    if (r->send_total) /* more than the send buffer holds: on_writable follows */
        while (tcp_send(c, junk, sizeof(junk)) > 0)
            ;
}

static bool reader_eof_seen(void *arg)
{
    return ((struct reader *)arg)->eof;
}

/* A listening on port 80 with (rs), receive buffer (rcv_buf) (0: the default). */
static struct harness *setup(struct readers *rs, uint32_t rcv_buf)
{
    struct harness *h = harness_new(NULL);
    if (rcv_buf) {
        struct tcp_params p;
        tcp_default_params(&p);
        p.rcv_buf = rcv_buf;
        assert_int_equal(tcp_configure(harness_a(h), &p), 0);
    }
    assert_non_null(tcp_listen(harness_a(h), 80, reader_accept, rs, NULL));
    return h;
}

/* No connection left on either side, each freed once. */
static void assert_all_freed(struct harness *h)
{
    harness_run(h, 61 * NSEC_PER_SEC); /* past TIME_WAIT */
    for (int s = 0; s < 2; s++) {
        struct inet *inet = &h->stack[s];
        assert_int_equal(tcp_conn_count(inet), 0);
        assert_int_equal(tcp_stat(inet, "conn_freed"),
                         tcp_stat(inet, "conn_accepted") + tcp_stat(inet, "conn_opened"));
    }
    harness_free(h);
}

/* The reader takes 1000 bytes per call and asks for more from inside on_data: everything
 * arrives without any resume from outside. */
static void test_resume_inside_on_data(void **state)
{
    (void)state;
    struct readers rs = {.r[0] = {.chunk = 1000, .resume_inside = true}};
    struct harness *h = setup(&rs, 0);
    struct app cli = {.tx_seed = SEED, .tx_total = 256 * 1024, .close_when_sent = true};
    app_connect(&cli, harness_b(h), ADDR_A, 80);
    struct reader *r = &rs.r[0];
    assert_true(harness_run_until(h, reader_eof_seen, r, 10 * NSEC_PER_SEC));
    assert_int_equal(r->got, 256 * 1024);
    assert_int_equal(r->bad, 0);
    assert_true(r->data_calls >= 256);
    tcp_close(r->conn);
    assert_all_freed(h);
}

/* The reader paused (took nothing) until the window closed; resumed from outside it takes 1000
 * bytes per call and resumes from inside on_data. The sender hears of the opened window from a
 * window update, not from its next zero-window probe. */
static void test_resume_inside_on_data_after_pause(void **state)
{
    (void)state;
    struct readers rs = {.r[0] = {.hold = true}};
    struct harness *h = setup(&rs, 16384);
    struct app cli = {.tx_seed = SEED, .tx_total = 64 * 1024, .close_when_sent = true};
    app_connect(&cli, harness_b(h), ADDR_A, 80);
    harness_run(h, 5 * NSEC_PER_SEC);
    struct reader *r = &rs.r[0];
    assert_int_equal(r->got, 0);
    int64_t probes = tcp_stat(harness_b(h), "tx_zero_window_probes");
    assert_true(probes >= 1); /* the window was closed */
    r->hold = false;
    r->chunk = 1000;
    r->resume_inside = true;
    tcp_recv_resume(r->conn);
    assert_true(harness_run_until(h, reader_eof_seen, r, 200 * NSEC_PER_MSEC));
    assert_int_equal(r->got, 64 * 1024);
    assert_int_equal(r->bad, 0);
    assert_int_equal(tcp_stat(harness_b(h), "tx_zero_window_probes"), probes);
    tcp_close(r->conn);
    assert_all_freed(h);
}

/* Resumed from outside and taking everything: the window update goes out at once. */
static void test_window_update_on_resume(void **state)
{
    (void)state;
    struct readers rs = {.r[0] = {.hold = true}};
    struct harness *h = setup(&rs, 16384);
    struct app cli = {.tx_seed = SEED, .tx_total = 256 * 1024, .close_when_sent = true};
    app_connect(&cli, harness_b(h), ADDR_A, 80);
    harness_run(h, 5 * NSEC_PER_SEC);
    struct reader *r = &rs.r[0];
    int64_t probes = tcp_stat(harness_b(h), "tx_zero_window_probes");
    assert_true(probes >= 1);
    int64_t acks = tcp_stat(harness_a(h), "tx_acks");
    r->hold = false;
    tcp_recv_resume(r->conn);
    harness_run(h, NSEC_PER_MSEC);
    assert_true(tcp_stat(harness_a(h), "tx_acks") > acks); /* the update itself */
    assert_true(harness_run_until(h, reader_eof_seen, r, 200 * NSEC_PER_MSEC));
    assert_int_equal(r->got, 256 * 1024);
    assert_int_equal(r->bad, 0);
    assert_int_equal(tcp_stat(harness_b(h), "tx_zero_window_probes"), probes);
    tcp_close(r->conn);
    assert_all_freed(h);
}

static bool app_closed(void *arg)
{
    return ((struct app *)arg)->closed;
}

/* Two connections; in the same batch of frames X receives data and FIN (and owes the rest of
 * its deferred ACK to the end of the batch), then Y's data arrives and Y's on_data sends on X
 * and closes X. The reply and X's FIN go out: nothing waits for an event that never comes. */
static void test_send_and_close_other_conn_inside_on_data(void **state)
{
    (void)state;
    struct readers rs = {0};
    struct harness *h = setup(&rs, 0);
    struct app x = {.tx_seed = SEED, .rx_seed = REPLY_SEED};
    struct app y = {.tx_seed = SEED};
    app_connect(&x, harness_b(h), ADDR_A, 80);
    harness_run(h, 10 * NSEC_PER_MSEC);
    app_connect(&y, harness_b(h), ADDR_A, 80);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(rs.n, 2);
    assert_true(x.connected && y.connected);
    rs.r[1].other = &rs.r[0];
    tcp_set_nodelay(x.conn, true);
    x.tx_total = 10000;
    x.close_when_sent = true;
    y.tx_total = 1;
    app_pump(&x);
    app_pump(&y);
    assert_true(harness_run_until(h, app_closed, &x, 2 * NSEC_PER_SEC));
    assert_int_equal(x.close_reason, 0);
    assert_int_equal(x.rx_done, REPLY_LEN);
    assert_int_equal(x.rx_bad, 0);
    assert_true(x.eof);
    harness_run(h, 10 * NSEC_PER_MSEC); /* x's last ACK */
    assert_true(rs.r[0].closed);
    assert_int_equal(rs.r[0].close_reason, 0);
    assert_int_equal(rs.r[0].got, 10000);
    tcp_abort(y.conn);
    assert_all_freed(h);
}

/* on_writable aborts: the peer is reset, the connection freed once. */
static void test_abort_inside_on_writable(void **state)
{
    (void)state;
    struct readers rs = {.r[0] = {.send_total = 1, .on_writable = ACT_ABORT}};
    struct harness *h = setup(&rs, 0);
    struct app cli = {.hold = true}; /* reads nothing: the server's data waits in its buffers */
    app_connect(&cli, harness_b(h), ADDR_A, 80);
    assert_true(harness_run_until(h, app_closed, &cli, 2 * NSEC_PER_SEC));
    assert_true(rs.r[0].closed);
    assert_int_equal(rs.r[0].close_reason, -ECONNABORTED);
    assert_int_equal(cli.close_reason, -ECONNRESET);
    assert_int_equal(tcp_stat(harness_a(h), "tx_rst"), 1);
    assert_all_freed(h);
}

/* on_eof aborts (after data, with the FIN in the same segment or the next). */
static void test_abort_inside_on_eof(void **state)
{
    (void)state;
    struct readers rs = {.r[0] = {.on_eof = ACT_ABORT}};
    struct harness *h = setup(&rs, 0);
    struct app cli = {.tx_seed = SEED, .tx_total = 5000, .close_when_sent = true};
    app_connect(&cli, harness_b(h), ADDR_A, 80);
    assert_true(harness_run_until(h, app_closed, &cli, 2 * NSEC_PER_SEC));
    assert_true(rs.r[0].eof);
    assert_int_equal(rs.r[0].got, 5000);
    assert_int_equal(cli.close_reason, -ECONNRESET);
    assert_all_freed(h);
}

/* Inside on_close the handle is still valid: tcp_send() refuses, tcp_close() and tcp_abort()
 * do nothing; for the side that closed first (on_close in TIME_WAIT) and the other (CLOSED). */
static void test_calls_inside_on_close(void **state)
{
    (void)state;
    struct readers rs = {.r[0] = {.on_eof = ACT_CLOSE, .on_close = ACT_SEND_CLOSE_ABORT}};
    struct harness *h = setup(&rs, 0);
    struct app cli = {.tx_seed = SEED, .tx_total = 5000, .close_when_sent = true};
    app_connect(&cli, harness_b(h), ADDR_A, 80);
    assert_true(harness_run_until(h, app_closed, &cli, 2 * NSEC_PER_SEC));
    assert_true(harness_run_until(h, reader_eof_seen, &rs.r[0], NSEC_PER_SEC));
    harness_run(h, 10 * NSEC_PER_MSEC);
    struct reader *r = &rs.r[0];
    assert_true(r->closed);
    assert_int_equal(r->close_reason, 0);
    assert_true(r->send_after_close <= 0);
    assert_int_equal(tcp_stat(harness_a(h), "tx_rst"), 0);
    assert_int_equal(tcp_conn_count(harness_a(h)), 0);

    /* The other way round: A closes first, so A's on_close comes in TIME_WAIT. */
    struct readers rs2 = {.r[0] = {.on_close = ACT_SEND_CLOSE_ABORT}};
    assert_non_null(tcp_listen(harness_a(h), 81, reader_accept, &rs2, NULL));
    struct app cli2 = {.tx_seed = SEED, .tx_total = 100, .close_on_eof = true};
    app_connect(&cli2, harness_b(h), ADDR_A, 81);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(rs2.n, 1);
    tcp_close(rs2.r[0].conn);
    assert_true(harness_run_until(h, app_closed, &cli2, 2 * NSEC_PER_SEC));
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_true(rs2.r[0].closed);
    assert_int_equal(rs2.r[0].close_reason, 0);
    assert_true(rs2.r[0].send_after_close <= 0);
    assert_int_equal(tcp_stat(harness_a(h), "conn_time_wait"), 1);
    assert_int_equal(tcp_stat(harness_a(h), "tx_rst"), 0);
    assert_int_equal(cli2.close_reason, 0);
    assert_all_freed(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resume_inside_on_data),
        cmocka_unit_test(test_resume_inside_on_data_after_pause),
        cmocka_unit_test(test_window_update_on_resume),
        cmocka_unit_test(test_send_and_close_other_conn_inside_on_data),
        cmocka_unit_test(test_abort_inside_on_writable),
        cmocka_unit_test(test_abort_inside_on_eof),
        cmocka_unit_test(test_calls_inside_on_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
