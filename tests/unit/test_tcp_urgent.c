/* Urgent data (RFC 9293 3.8.5, MUST-30..33 and MUST-62; RFC 6093): the sender marks it with
 * URG and an urgent pointer at the byte after it, in steps of at most 65535 for a longer run;
 * the receiver tells the service once per run (tcp_set_on_urgent) and says how much of what
 * on_data offers is urgent (tcp_urgent_pending); the bytes stay in line. White-box: reads the
 * sender's snd_nxt from tcp_internal.h. */
#include "../../src/net/tcp_internal.h"
#include "test_tcp_util.h"

#define PORT 80

struct sink {
    struct tcp_conn *conn;
    uint8_t data[200000];
    size_t len;
    unsigned urgent_calls;
    size_t pending_at_signal; /* tcp_urgent_pending in on_urgent */
    bool eof;
    size_t urgent_seen; /* bytes on_data was told were urgent, counted once each */
};
static struct sink sink;

static void sink_on_urgent(struct tcp_conn *c)
{
    sink.urgent_calls++;
    sink.pending_at_signal = tcp_urgent_pending(c);
}

static size_t sink_on_data(struct tcp_conn *c, const uint8_t *data, size_t len)
{
    size_t pending = tcp_urgent_pending(c);
    sink.urgent_seen += pending < len ? pending : len;
    assert_true(sink.len + len <= sizeof(sink.data));
    memcpy(sink.data + sink.len, data, len);
    sink.len += len;
    return len;
}

static void sink_on_eof(struct tcp_conn *c)
{
    (void)c;
    sink.eof = true;
}

static void sink_on_close(struct tcp_conn *c, int reason)
{
    (void)c, (void)reason;
}

static const struct tcp_callbacks sink_cb = {sink_on_data, NULL, sink_on_eof, sink_on_close};

static void sink_accept(struct tcp_conn *c, void *user)
{
    (void)user;
    sink.conn = c;
    tcp_set_callbacks(c, &sink_cb, NULL);
    tcp_set_on_urgent(c, sink_on_urgent);
}

/* The URG segments B sends: the urgent pointer of the one starting at (urg_seq). */
static uint32_t urg_seq;
static int urg_pointer = -1;
static unsigned urg_segments;
static bool watch_urg(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    (void)h;
    struct seen s;
    if (from != SIDE_B || !parse_seen(nb, &s) || !(s.h.flags & TCP_URG))
        return true;
    urg_segments++;
    if (s.h.seq == urg_seq)
        urg_pointer = s.h.urgent;
    return true;
}

static struct app *connect_pair(struct harness *h)
{
    static struct app cli;
    memset(&sink, 0, sizeof(sink));
    assert_non_null(tcp_listen(harness_a(h), PORT, sink_accept, NULL, NULL));
    cli = (struct app){0};
    app_connect(&cli, harness_b(h), ADDR_A, PORT);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_true(cli.connected);
    assert_non_null(sink.conn);
    return &cli;
}

/* "ab" normal, "URGENT!" urgent, "xyz" normal: URG with pointer 7 from the segment that starts
 * the urgent bytes (the byte after them, MUST-62), one signal, 7 urgent bytes, all in line. */
static void test_urgent_in_line(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    struct app *cli = connect_pair(h);
    tcp_set_nodelay(cli->conn, true);
    assert_int_equal(tcp_send(cli->conn, "ab", 2), 2);
    harness_run(h, 10 * NSEC_PER_MSEC);
    h->tap = watch_urg;
    assert_int_equal(tcp_urgent_pending(sink.conn), 0);
    urg_seq = cli->conn->snd_nxt; /* where the urgent bytes start */
    assert_int_equal(tcp_send_urgent(cli->conn, "URGENT!", 7), 7);
    assert_int_equal(tcp_send(cli->conn, "xyz", 3), 3);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(sink.len, 12);
    assert_memory_equal(sink.data, "abURGENT!xyz", 12);
    assert_int_equal(urg_pointer, 7);
    assert_int_equal(sink.urgent_calls, 1);
    assert_int_equal(sink.pending_at_signal, 7);
    assert_int_equal(sink.urgent_seen, 7);
    assert_int_equal(tcp_urgent_pending(sink.conn), 0); /* consumed */
    assert_int_equal(tcp_stat(harness_a(h), "rx_urgent"), urg_segments);
    /* Acknowledged: later segments carry no URG. */
    unsigned before = urg_segments;
    assert_int_equal(tcp_send(cli->conn, "more", 4), 4);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(urg_segments, before);
    assert_int_equal(sink.urgent_calls, 1);
    h->tap = NULL;
    harness_free(h);
}

/* MUST-31: a run of 100,000 urgent bytes, longer than the 16-bit pointer reaches: each segment
 * points at most 65535 ahead, the receiver's pointer follows, one signal for the whole run,
 * and exactly 100,000 bytes are reported urgent. */
static void test_urgent_of_any_length(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    struct app *cli = connect_pair(h);
    static uint8_t buf[100000];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7);
    size_t sent = 0;
    while (sent < sizeof(buf)) {
        long n = tcp_send_urgent(cli->conn, buf + sent, sizeof(buf) - sent);
        assert_true(n >= 0);
        sent += (size_t)n;
        harness_run(h, 5 * NSEC_PER_MSEC);
    }
    assert_int_equal(tcp_send(cli->conn, "tail", 4), 4);
    harness_run(h, NSEC_PER_SEC);
    assert_int_equal(sink.len, sizeof(buf) + 4);
    assert_memory_equal(sink.data, buf, sizeof(buf));
    assert_int_equal(sink.urgent_calls, 1);
    assert_int_equal(sink.urgent_seen, sizeof(buf));
    assert_int_equal(tcp_urgent_pending(sink.conn), 0);
    harness_free(h);
}

/* Urgent data, then the FIN, from a sender that may send TSO super-packets: the urgent
 * segments go one MSS at a time, and the FIN still rides on the last byte (it was put on the
 * first segment, whose length was cut to one MSS after the FIN was chosen). */
static void test_urgent_then_close_with_tso(void **state)
{
    (void)state;
    struct harness_opts o = {.tso_max = {65535, 65535}};
    struct harness *h = harness_new(&o);
    struct app *cli = connect_pair(h);
    static uint8_t buf[20000];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 13);
    assert_int_equal(tcp_send_urgent(cli->conn, buf, sizeof(buf)), (long)sizeof(buf));
    tcp_close(cli->conn);
    harness_run(h, NSEC_PER_SEC);
    assert_int_equal(sink.len, sizeof(buf));
    assert_memory_equal(sink.data, buf, sizeof(buf));
    assert_int_equal(sink.urgent_seen, sizeof(buf));
    assert_true(sink.eof);
    harness_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_urgent_in_line),
        cmocka_unit_test(test_urgent_of_any_length),
        cmocka_unit_test(test_urgent_then_close_with_tso),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
