/*
 * The HTTP example server (examples/http: http_server on unic TCP) over the virtual wire, with
 * a small TCP client on the other stack: the page with keep-alive, /bytes under loss and
 * reordering to a slow reader, a client that resets in the middle of an answer, a client that
 * half-closes after its request, idle and slow-head timeouts, the connection limit, shutdown.
 * Afterwards no connection and no buffer is left.
 */
#include "fake_platform.h"
#include "harness.h"
#include "test_http_util.h"
#include "unic/tcp.h"

#define ADDR_B 0x0a000002u

/* --- Over the virtual wire ------------------------------------------------------------------ */

struct client {
    struct tcp_conn *conn;
    const char *request;
    size_t req_len, req_sent;
    uint8_t *raw; /* first RAW_CAP bytes of the answer stream */
    uint64_t received;
    size_t consume_max;   /* per on_data; 0 = all */
    size_t head_len;      /* of the first response, once seen */
    uint64_t pattern_bad; /* /bytes body bytes that differ from the pattern */
    bool check_pattern, eof, closed, close_on_eof;
    int reason;
    struct timer reader; /* resumes a slow reader */
    struct timer_queue *timers;
};
#define RAW_CAP 65536

static void client_pump(struct client *c)
{
    while (c->req_sent < c->req_len) {
        long n = tcp_send(c->conn, c->request + c->req_sent, c->req_len - c->req_sent);
        if (n <= 0)
            return;
        c->req_sent += (size_t)n;
    }
}

static void client_check(struct client *c, const uint8_t *data, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t at = c->received + i;
        if (at < RAW_CAP)
            c->raw[at] = data[i];
        if (!c->head_len && at >= 3 && at < RAW_CAP && !memcmp(c->raw + at - 3, "\r\n\r\n", 4))
            c->head_len = (size_t)at + 1;
        else if (c->check_pattern && c->head_len) {
            uint8_t want;
            http_pattern_fill(&want, at - c->head_len, 1);
            c->pattern_bad += data[i] != want;
        }
    }
}

static size_t client_on_data(struct tcp_conn *conn, const uint8_t *data, size_t len)
{
    struct client *c = tcp_user(conn);
    size_t n = c->consume_max && len > c->consume_max ? c->consume_max : len;
    client_check(c, data, n);
    c->received += n;
    if (n < len) /* a slow reader: the rest 1 ms later */
        tcp_recv_pause(conn);
    if (n < len && !timer_armed(&c->reader))
        timer_arm_in(c->timers, &c->reader, NSEC_PER_MSEC);
    return n;
}

static void client_on_writable(struct tcp_conn *conn)
{
    client_pump(tcp_user(conn));
}

static void client_on_eof(struct tcp_conn *conn)
{
    struct client *c = tcp_user(conn);
    c->eof = true;
    if (c->close_on_eof)
        tcp_close(conn);
}

static void client_on_close(struct tcp_conn *conn, int reason)
{
    struct client *c = tcp_user(conn);
    c->closed = true;
    c->reason = reason;
    c->conn = NULL;
    timer_cancel(c->timers, &c->reader);
}

static const struct tcp_callbacks client_cb = {client_on_data, client_on_writable, client_on_eof,
                                               client_on_close};

static void client_on_connected(struct tcp_conn *conn, int err)
{
    struct client *c = tcp_user(conn);
    if (err) {
        c->closed = true;
        c->reason = err;
        c->conn = NULL;
        return;
    }
    tcp_set_callbacks(conn, &client_cb, c);
    client_pump(c);
}

static void client_read_more(struct timer *t)
{
    struct client *c = t->arg;
    if (c->conn)
        tcp_recv_resume(c->conn);
}

static void client_start(struct client *c, struct harness *h, const char *request)
{
    memset(c, 0, sizeof(*c));
    c->timers = &h->timers;
    timer_init(&c->reader, client_read_more, c);
    c->raw = calloc(1, RAW_CAP);
    c->request = request;
    c->req_len = strlen(request);
    c->close_on_eof = true;
    int err = 0;
    c->conn = tcp_connect(harness_a(h), unic_addr_ip4(ADDR_B), 80, client_on_connected, c, &err);
    assert_int_equal(err, 0);
    assert_non_null(c->conn);
}

static bool client_closed(void *arg)
{
    return ((struct client *)arg)->closed;
}

struct wire {
    struct harness h;
    struct http_server srv;
};

static struct wire *wire_new(const struct harness_opts *o, uint32_t max_conns)
{
    struct wire *w = calloc(1, sizeof(*w));
    harness_init(&w->h, o);
    harness_run(&w->h, NSEC_PER_MSEC);
    struct http_server_config cfg;
    http_server_default_config(&cfg);
    if (max_conns)
        cfg.max_conns = max_conns;
    assert_int_equal(http_server_start(&w->srv, harness_b(&w->h), &w->h.timers, &cfg), 0);
    return w;
}

/* Stop the server, tear down: no connection, no buffer left. */
static void wire_free(struct wire *w)
{
    http_server_stop(&w->srv);
    assert_int_equal(w->srv.open, 0);
    harness_run(&w->h, 200 * NSEC_PER_SEC); /* TIME_WAIT and friends run out */
    assert_int_equal(tcp_conn_count(harness_b(&w->h)), 0);
    assert_int_equal(harness_destroy(&w->h), 0);
    free(w);
}

static void test_wire_page_keep_alive(void **state)
{
    (void)state;
    struct wire *w = wire_new(NULL, 0);
    struct client c;
    client_start(&c, &w->h,
                 "GET / HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n"
                 "GET /bytes/5 HTTP/1.1\r\nHost: 10.0.0.2\r\nConnection: close\r\n\r\n");
    assert_true(harness_run_until(&w->h, client_closed, &c, 5 * NSEC_PER_SEC));
    assert_int_equal(c.reason, 0);
    char want[1024];
    size_t n = page_response(want, sizeof(want), "", false);
    n += (size_t)snprintf(want + n, sizeof(want) - n,
                          "HTTP/1.1 200 OK\r\nServer: unic\r\nContent-Type: "
                          "application/octet-stream\r\nContent-Length: 5\r\n"
                          "Connection: close\r\n\r\n00000");
    assert_int_equal(c.received, n);
    assert_memory_equal(c.raw, want, n);
    harness_run(&w->h, NSEC_PER_SEC);
    assert_int_equal(w->srv.open, 0);
    assert_int_equal(w->srv.stats.conn_closed, 1);
    assert_int_equal(w->srv.session_stats.keep_alive_reuse, 1);
    free(c.raw);
    wire_free(w);
}

/* 3 MB through 1% loss both ways to a reader that takes 3000 bytes at a time. */
static void test_wire_bytes_under_loss(void **state)
{
    (void)state;
    struct harness_opts o = {0};
    o.fault[SIDE_A] = (struct fault_config){.loss_ppb = FAULT_PPB(0.01), .seed = 7, .seeded = true};
    o.fault[SIDE_B] = (struct fault_config){
        .loss_ppb = FAULT_PPB(0.01), .reorder_ppb = FAULT_PPB(0.01), .seed = 8, .seeded = true};
    struct wire *w = wire_new(&o, 0);
    struct client c;
    client_start(&c, &w->h, "GET /bytes/3000000 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    c.check_pattern = true;
    c.consume_max = 3000;
    assert_true(harness_run_until(&w->h, client_closed, &c, 120 * NSEC_PER_SEC));
    if (c.reason != 0) {
        fake_console_quiet(0);
        fprintf(stderr, "t=%llu ms received %llu\n",
                (unsigned long long)(w->h.timers.now / 1000000), (unsigned long long)c.received);
        http_server_print_stats(&w->srv);
        inet_print_stats(harness_a(&w->h), 0);
        inet_print_stats(harness_b(&w->h), 0);
    }
    assert_int_equal(c.reason, 0);
    assert_true(c.head_len > 0);
    assert_int_equal(c.received - c.head_len, 3000000);
    assert_int_equal(c.pattern_bad, 0);
    assert_non_null(find(c.raw, c.head_len, "Content-Length: 3000000\r\n"));
    free(c.raw);
    wire_free(w);
}

/* The client resets the connection in the middle of a long response: the server lets go. */
static void test_wire_reset_mid_stream(void **state)
{
    (void)state;
    struct wire *w = wire_new(NULL, 0);
    struct client c;
    client_start(&c, &w->h, "GET /bytes/50000000 HTTP/1.1\r\nHost: a\r\n\r\n");
    c.check_pattern = true;
    harness_run(&w->h, 50 * NSEC_PER_MSEC);
    assert_true(c.received > 100000);
    assert_int_equal(w->srv.open, 1);
    tcp_abort(c.conn);
    c.conn = NULL;
    harness_run(&w->h, NSEC_PER_SEC);
    assert_int_equal(w->srv.open, 0);
    assert_int_equal(w->srv.stats.conn_reset, 1);
    assert_int_equal(c.pattern_bad, 0);
    free(c.raw);
    wire_free(w);
}

/* Request, then FIN at once (printf ... | nc -N): the whole answer still arrives, then the
 * server closes too. */
static void test_wire_half_close_client(void **state)
{
    (void)state;
    struct wire *w = wire_new(NULL, 0);
    struct client c;
    client_start(&c, &w->h, "GET /bytes/1000000 HTTP/1.1\r\nHost: a\r\n\r\n");
    c.check_pattern = true;
    harness_run(&w->h, 2 * NSEC_PER_MSEC); /* connected, request sent */
    assert_int_equal(c.req_sent, c.req_len);
    tcp_close(c.conn);
    assert_true(harness_run_until(&w->h, client_closed, &c, 10 * NSEC_PER_SEC));
    assert_int_equal(c.reason, 0);
    assert_int_equal(c.received - c.head_len, 1000000);
    assert_int_equal(c.pattern_bad, 0);
    harness_run(&w->h, NSEC_PER_SEC);
    assert_int_equal(w->srv.open, 0);
    assert_int_equal(w->srv.stats.conn_closed, 1);
    free(c.raw);
    wire_free(w);
}

static bool all_closed(void *arg)
{
    struct client *c = arg;
    for (int i = 0; i < 200; i++)
        if (!c[i].closed)
            return false;
    return true;
}

/* 200 clients at once, three pipelined requests each (the last one closes): every answer is
 * right, and afterwards nothing is left. */
static void test_wire_many_clients(void **state)
{
    (void)state;
    struct wire *w = wire_new(NULL, 0);
    static struct client c[200];
    const char *req = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
                      "GET /bytes/3000 HTTP/1.1\r\nHost: a\r\n\r\n"
                      "HEAD / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    for (int i = 0; i < 200; i++)
        client_start(&c[i], &w->h, req);
    assert_true(harness_run_until(&w->h, all_closed, c, 30 * NSEC_PER_SEC));
    char page[512], head[512];
    size_t page_len = page_response(page, sizeof(page), "", false);
    size_t head_len = page_response(head, sizeof(head), "Connection: close\r\n", true);
    uint8_t body[3000];
    http_pattern_fill(body, 0, sizeof(body));
    for (int i = 0; i < 200; i++) {
        assert_int_equal(c[i].reason, 0);
        const uint8_t *p = c[i].raw;
        assert_memory_equal(p, page, page_len);
        const uint8_t *b = find(p + page_len, (size_t)c[i].received - page_len, "\r\n\r\n");
        assert_non_null(b);
        assert_memory_equal(b + 4, body, sizeof(body));
        assert_int_equal(c[i].received, (size_t)(b + 4 - p) + sizeof(body) + head_len);
        assert_memory_equal(b + 4 + sizeof(body), head, head_len);
        free(c[i].raw);
    }
    harness_run(&w->h, NSEC_PER_SEC);
    assert_int_equal(w->srv.open, 0);
    assert_int_equal(w->srv.stats.conn_accepted, 200);
    assert_int_equal(w->srv.session_stats.requests, 600);
    wire_free(w);
}

static void test_wire_idle_timeout(void **state)
{
    (void)state;
    struct wire *w = wire_new(NULL, 0);
    struct client idle, slow;
    client_start(&idle, &w->h, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    client_start(&slow, &w->h, "GET / HTTP/1.1\r\nHost: a\r\n"); /* head never ends */
    harness_run(&w->h, NSEC_PER_SEC);
    assert_int_equal(w->srv.open, 2);
    assert_int_equal(idle.received, page_response((char[512]){0}, 512, "", false));
    harness_run(&w->h, 25 * NSEC_PER_SEC);
    assert_int_equal(w->srv.open, 2); /* not yet */
    harness_run(&w->h, 10 * NSEC_PER_SEC);
    assert_true(idle.eof); /* closed gracefully between requests */
    assert_true(slow.closed);
    assert_int_equal(slow.reason, -ECONNRESET); /* aborted in the middle of one */
    assert_int_equal(w->srv.stats.idle_closed, 1);
    assert_int_equal(w->srv.stats.idle_aborted, 1);
    harness_run(&w->h, NSEC_PER_SEC);
    assert_true(idle.closed);
    assert_int_equal(w->srv.open, 0);
    free(idle.raw);
    free(slow.raw);
    wire_free(w);
}

static uint64_t drop_b_until;

/* Drops the server's data segments (not its SYN-ACK or pure ACKs) until drop_b_until. */
static bool drop_answers(struct harness *h, enum harness_side from, struct netbuf *nb)
{
    return !(from == SIDE_B && nb->len > 100 && h->timers.now < drop_b_until);
}

/* The server's answer is lost for 40 s, longer than the 30 s idle timeout, while TCP sends it
 * again: the connection is not idle while its answer is unacknowledged, so the client's next
 * request on it is answered. Before, the idle timer closed it at 30 s and the next request met
 * a closed connection (wrk under 2% loss saw a read error: integration.http.hosted, ASan). */
static void test_wire_not_idle_while_answer_unacked(void **state)
{
    (void)state;
    struct wire *w = wire_new(NULL, 0);
    w->h.tap = drop_answers;
    drop_b_until = w->h.timers.now + 40 * NSEC_PER_SEC;
    struct client c;
    client_start(&c, &w->h, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    harness_run(&w->h, 20 * NSEC_PER_SEC);
    assert_int_equal(c.received, 0);       /* the answer is being sent again and again */
    harness_run(&w->h, 50 * NSEC_PER_SEC); /* and arrives after the loss ends */
    size_t one = page_response((char[512]){0}, 512, "", false);
    assert_int_equal(c.received, one);
    assert_false(c.eof);
    static const char again[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_int_equal(tcp_send(c.conn, again, sizeof(again) - 1), (long)(sizeof(again) - 1));
    harness_run(&w->h, NSEC_PER_SEC);
    assert_int_equal(c.received, 2 * one);
    assert_int_equal(w->srv.stats.idle_closed, 0);
    w->h.tap = NULL;
    tcp_close(c.conn);
    harness_run(&w->h, NSEC_PER_SEC);
    free(c.raw);
    wire_free(w);
}

static void test_wire_connection_limit_and_stop(void **state)
{
    (void)state;
    struct wire *w = wire_new(NULL, 2);
    struct client c[3];
    for (int i = 0; i < 3; i++)
        client_start(&c[i], &w->h, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    harness_run(&w->h, NSEC_PER_SEC);
    assert_int_equal(w->srv.open, 2);
    assert_int_equal(w->srv.stats.conn_refused, 1);
    unsigned refused = 0;
    for (int i = 0; i < 3; i++)
        refused += c[i].closed && c[i].reason == -ECONNRESET && c[i].received == 0;
    assert_int_equal(refused, 1);
    /* Shutdown with two connections open: both reset, nothing left. */
    http_server_stop(&w->srv);
    assert_int_equal(w->srv.open, 0);
    assert_int_equal(w->srv.stats.conn_aborted, 2);
    harness_run(&w->h, NSEC_PER_SEC);
    for (int i = 0; i < 3; i++) {
        assert_true(c[i].closed);
        free(c[i].raw);
    }
    wire_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wire_page_keep_alive),
        cmocka_unit_test(test_wire_bytes_under_loss),
        cmocka_unit_test(test_wire_reset_mid_stream),
        cmocka_unit_test(test_wire_half_close_client),
        cmocka_unit_test(test_wire_many_clients),
        cmocka_unit_test(test_wire_idle_timeout),
        cmocka_unit_test(test_wire_not_idle_while_answer_unacked),
        cmocka_unit_test(test_wire_connection_limit_and_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
