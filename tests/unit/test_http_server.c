/*
 * The HTTP example server (examples/http), in two ways:
 *  - its request handling (http_session) driven with byte buffers through a fake transport
 *    whose window the test controls: responses byte for byte, every status, HEAD, keep-alive
 *    per version, pipelining (all at once and byte by byte), request bodies, end of input,
 *    /bytes/N under backpressure, input refused while a response is being sent;
 *  - the whole service (http_server on unic TCP) over the virtual wire, with a small TCP
 *    client on the other stack: a page, /bytes under loss, pipelining, idle and slow-head
 *    timeouts, the connection limit, shutdown; no connection and no buffer left afterwards.
 * The example's sources are compiled into this test (tests link only the OS).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_platform.h"
#include "harness.h"
#include "unic/tcp.h"

#include "../../examples/http/http_content.c"
#include "../../examples/http/http_server.c"
#include "../../examples/http/http_session.c"

#define ADDR_B 0x0a000002u
#define OUT_CAP (4u << 20)

/* memmem is not C11. */
static const uint8_t *find(const uint8_t *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (!memcmp(hay + i, needle, n))
            return hay + i;
    return NULL;
}

/* --- A fake transport --------------------------------------------------------------------- */

struct fake_io {
    uint8_t *out; /* OUT_CAP bytes */
    size_t out_len;
    size_t window;              /* what send takes before the next "writable"; SIZE_MAX: all */
    size_t max_send_over_space; /* a send larger than space() was offered (must stay 0) */
    bool closed, fail;
    unsigned resumes, sends;
};

static long fio_send(void *ctx, const void *buf, size_t len)
{
    struct fake_io *f = ctx;
    if (f->fail)
        return -ENOTCONN;
    assert_false(f->closed); /* nothing is sent after close */
    f->sends++;
    size_t n = len < f->window ? len : f->window;
    assert_true(f->out_len + n <= OUT_CAP);
    memcpy(f->out + f->out_len, buf, n);
    f->out_len += n;
    if (f->window != SIZE_MAX)
        f->window -= n;
    return (long)n;
}

static size_t fio_space(void *ctx)
{
    return ((struct fake_io *)ctx)->window;
}

static void fio_close(void *ctx)
{
    struct fake_io *f = ctx;
    assert_false(f->closed); /* exactly once */
    f->closed = true;
}

static void fio_resume(void *ctx)
{
    ((struct fake_io *)ctx)->resumes++;
}

static const struct http_io fake_io_ops = {fio_send, fio_space, fio_close, fio_resume};

struct fixture {
    struct http_session s;
    struct http_session_stats stats;
    struct http_limits limits;
    struct fake_io io;
};

static int setup_session(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->io.out = malloc(OUT_CAP);
    f->io.window = SIZE_MAX;
    http_default_limits(&f->limits);
    http_session_init(&f->s, &fake_io_ops, &f->io, &f->limits, &f->stats);
    *state = f;
    return 0;
}

static int teardown_session(void **state)
{
    struct fixture *f = *state;
    free(f->io.out);
    free(f);
    return 0;
}

static size_t feed(struct fixture *f, const char *text)
{
    size_t len = strlen(text);
    return http_session_input(&f->s, (const uint8_t *)text, len);
}

static const char *out_text(struct fixture *f)
{
    assert_true(f->io.out_len < OUT_CAP);
    f->io.out[f->io.out_len] = 0;
    return (const char *)f->io.out;
}

/* The expected answer to GET / (keep-alive): head + the page. */
static size_t page_response(char *buf, size_t cap, const char *extra_fields, bool head_only)
{
    int n = snprintf(buf, cap,
                     "HTTP/1.1 200 OK\r\nServer: unic\r\nContent-Type: text/html\r\n"
                     "Content-Length: 136\r\n%s\r\n",
                     extra_fields);
    size_t len = (size_t)n;
    if (!head_only) {
        memcpy(buf + len, http_page, HTTP_PAGE_LEN);
        len += HTTP_PAGE_LEN;
    }
    buf[len] = 0;
    return len;
}

/* --- Content ------------------------------------------------------------------------------ */

static void test_page_and_pattern(void **state)
{
    (void)state;
    assert_memory_equal(http_page, "<!DOCTYPE html>\n", 16);
    assert_memory_equal(http_page + HTTP_PAGE_LEN - 8, "</html>\n", 8);
    uint8_t whole[200], part[200];
    http_pattern_fill(whole, 0, sizeof(whole));
    assert_memory_equal(whole, "000000000000000\n000000000000010\n", 32);
    assert_memory_equal(whole + 160, "0000000000000a0\n", 16);
    /* Any window of the pattern is the same bytes as that window of the whole. */
    for (uint64_t off = 0; off < 40; off++) {
        for (size_t len = 0; len < 60; len += 7) {
            http_pattern_fill(part, off, len);
            assert_memory_equal(part, whole + off, len);
        }
    }
    http_pattern_fill(part, 0xfffffff0ull, 16);
    assert_memory_equal(part, "0000000fffffff0\n", 16);
}

/* --- Session: single requests ------------------------------------------------------------- */

static void test_get_page(void **state)
{
    struct fixture *f = *state;
    char want[512];
    const char *req = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_int_equal(feed(f, req), strlen(req));
    size_t n = page_response(want, sizeof(want), "", false);
    assert_int_equal(f->io.out_len, n);
    assert_memory_equal(f->io.out, want, n);
    assert_int_equal(f->io.sends, 1); /* head and page in one piece */
    assert_false(f->io.closed);
    assert_true(http_session_idle(&f->s));
    assert_int_equal(f->stats.status_200, 1);
    assert_int_equal(f->stats.get, 1);
}

static void test_head_page(void **state)
{
    struct fixture *f = *state;
    char want[512];
    feed(f, "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n");
    page_response(want, sizeof(want), "", true);
    assert_string_equal(out_text(f), want);
    assert_int_equal(f->stats.head, 1);
    f->io.out_len = 0;
    feed(f, "HEAD /bytes/12345 HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_non_null(strstr(out_text(f), "Content-Length: 12345\r\n"));
    assert_int_equal(f->io.out_len, strstr(out_text(f), "\r\n\r\n") + 4 - (char *)f->io.out);
}

/* Status, fields and body of the answer to (req), then whether the session closed. */
static void expect_answer(struct fixture *f, const char *req, const char *status_line,
                          const char *field, bool closes)
{
    f->io.out_len = 0;
    feed(f, req);
    const char *out = out_text(f);
    if (strncmp(out, status_line, strlen(status_line)) != 0)
        fail_msg("'%s' answered '%.40s', want '%s'", req, out, status_line);
    if (field && !strstr(out, field))
        fail_msg("'%s': no '%s' in '%s'", req, field, out);
    assert_int_equal(f->io.closed, closes);
    assert_int_equal(strstr(out, "Connection: close\r\n") != NULL, closes);
    /* Content-Length always, and it matches the body. */
    const char *cl = strstr(out, "Content-Length: ");
    assert_non_null(cl);
    const char *body = strstr(out, "\r\n\r\n") + 4;
    if (strncmp(req, "HEAD", 4) != 0)
        assert_int_equal(strtoul(cl + 16, NULL, 10), f->io.out_len - (size_t)(body - out));
}

static void test_not_found_and_methods(void **state)
{
    struct fixture *f = *state;
    expect_answer(f, "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 404 Not Found\r\n", NULL,
                  false);
    expect_answer(f, "GET /bytes/ HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 404", NULL, false);
    expect_answer(f, "GET /bytes/1x HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 404", NULL, false);
    expect_answer(f, "GET /bytes/99999999999999999999999 HTTP/1.1\r\nHost: a\r\n\r\n",
                  "HTTP/1.1 404", NULL, false);
    expect_answer(f, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
                  "HTTP/1.1 405 Method Not Allowed\r\n", "Allow: GET, HEAD\r\n", false);
    expect_answer(f, "DELETE /bytes/5 HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 405",
                  "Allow: GET, HEAD\r\n", false);
    expect_answer(f, "POST /missing HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 405",
                  "Allow: GET, HEAD\r\n", false);
    expect_answer(f, "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 405",
                  "Allow: GET, HEAD\r\n", false);
    expect_answer(f, "BREW / HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 501", NULL, false);
    expect_answer(f, "GET /?q=1#x HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 200", NULL, false);
    expect_answer(f, "GET http://a/bytes/3 HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 200",
                  "Content-Length: 3\r\n", false);
    expect_answer(f, "HEAD /nope HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 404", NULL, false);
    assert_int_equal(f->stats.status_404, 5);
    assert_int_equal(f->stats.status_405, 4);
    assert_int_equal(f->stats.status_501, 1);
}

/* Errors of framing: answered with the parser's status, then the connection closes. */
static void test_errors_close(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *req, *status;
    } cases[] = {
        {"GET  / HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"},
        {"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 400"}, /* no Host */
        {"GET * HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 400"},
        {"GET / HTTP/2.0\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported\r\n"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.1 411"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "HTTP/1.1 501"},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 65537\r\n\r\n",
         "HTTP/1.1 413 Content Too Large\r\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        http_session_init(&f->s, &fake_io_ops, &f->io, &f->limits, &f->stats);
        f->io.closed = false;
        expect_answer(f, cases[i].req, cases[i].status, NULL, true);
        /* Whatever comes after is swallowed, unanswered. */
        size_t before = f->io.out_len;
        assert_int_equal(feed(f, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 27);
        assert_int_equal(f->io.out_len, before);
    }
}

static void test_header_limits_431_414(void **state)
{
    struct fixture *f = *state;
    static char big[HTTP_SESSION_IN_CAP + 100];
    /* Too many fields. */
    size_t n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: a\r\n");
    for (unsigned i = 0; i < HTTP_DEFAULT_MAX_HEADERS; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "X-%u: y\r\n", i);
    snprintf(big + n, sizeof(big) - n, "\r\n");
    expect_answer(f, big, "HTTP/1.1 431 Request Header Fields Too Large\r\n", NULL, true);
    /* A head that never ends: answered as soon as the buffer holds the limit. */
    http_session_init(&f->s, &fake_io_ops, &f->io, &f->limits, &f->stats);
    f->io.closed = false;
    f->io.out_len = 0;
    n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: a\r\nX: ");
    memset(big + n, 'x', sizeof(big) - n - 1);
    big[sizeof(big) - 1] = 0;
    assert_int_equal(feed(f, big), sizeof(big) - 1);
    assert_true(f->io.closed);
    assert_memory_equal(f->io.out, "HTTP/1.1 431", 12);
    /* A request line that never ends: 414. */
    http_session_init(&f->s, &fake_io_ops, &f->io, &f->limits, &f->stats);
    f->io.closed = false;
    f->io.out_len = 0;
    memcpy(big, "GET /", 5);
    memset(big + 5, 'u', sizeof(big) - 6);
    feed(f, big);
    assert_true(f->io.closed);
    assert_memory_equal(f->io.out, "HTTP/1.1 414", 12);
}

static void test_http10_connection(void **state)
{
    struct fixture *f = *state;
    char want[512];
    feed(f, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    page_response(want, sizeof(want), "Connection: keep-alive\r\n", false);
    assert_string_equal(out_text(f), want);
    assert_false(f->io.closed);
    f->io.out_len = 0;
    feed(f, "GET / HTTP/1.0\r\n\r\n");
    page_response(want, sizeof(want), "Connection: close\r\n", false);
    assert_string_equal(out_text(f), want);
    assert_true(f->io.closed);
    assert_int_equal(f->stats.closed_by_request, 1);
}

static void test_connection_close_11(void **state)
{
    struct fixture *f = *state;
    char want[512];
    feed(f, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    page_response(want, sizeof(want), "Connection: close\r\n", false);
    assert_string_equal(out_text(f), want);
    assert_true(f->io.closed);
}

/* --- Session: several requests ------------------------------------------------------------ */

static const char pipeline[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
                               "GET /bytes/40 HTTP/1.1\r\nHost: a\r\n\r\n"
                               "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n"
                               "GET /missing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                               "GET / HTTP/1.1\r\nHost: a\r\n\r\n"; /* after close: ignored */

static void check_pipeline_output(struct fixture *f)
{
    char want[4096], part[512];
    size_t n = page_response(want, sizeof(want), "", false);
    n += (size_t)snprintf(want + n, sizeof(want) - n,
                          "HTTP/1.1 200 OK\r\nServer: unic\r\nContent-Type: "
                          "application/octet-stream\r\nContent-Length: 40\r\n\r\n");
    http_pattern_fill((uint8_t *)want + n, 0, 40);
    n += 40;
    size_t k = page_response(part, sizeof(part), "", true);
    memcpy(want + n, part, k);
    n += k;
    n += (size_t)snprintf(want + n, sizeof(want) - n,
                          "HTTP/1.1 404 Not Found\r\nServer: unic\r\nContent-Type: text/plain\r\n"
                          "Content-Length: 9\r\nConnection: close\r\n\r\nNot Found");
    assert_int_equal(f->io.out_len, n);
    assert_memory_equal(f->io.out, want, n);
    assert_true(f->io.closed);
    assert_int_equal(f->stats.requests, 4);
    assert_int_equal(f->stats.keep_alive_reuse, 3);
}

static void test_pipelining_at_once(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(feed(f, pipeline), strlen(pipeline));
    check_pipeline_output(f);
    assert_int_equal(f->stats.pipelined, 4); /* more bytes followed each of the 4 */
}

static void test_pipelining_byte_by_byte(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < strlen(pipeline); i++)
        assert_int_equal(http_session_input(&f->s, (const uint8_t *)pipeline + i, 1), 1);
    check_pipeline_output(f);
}

/* Request bodies are read and dropped, also when they arrive in pieces. */
static void test_request_body_skipped(void **state)
{
    struct fixture *f = *state;
    feed(f, "GET /bytes/2 HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123");
    assert_false(http_session_idle(&f->s));
    feed(f, "456");
    feed(f, "789GET /bytes/1 HTTP/1.1\r\nHost: a\r\n\r\n");
    const char *out = out_text(f);
    assert_non_null(strstr(out, "Content-Length: 2\r\n\r\n00HTTP/1.1 200 OK"));
    assert_non_null(strstr(out, "Content-Length: 1\r\n\r\n0"));
    assert_int_equal(f->stats.request_body_bytes, 10);
    assert_int_equal(f->stats.requests, 2);
    assert_true(http_session_idle(&f->s));
}

/* After "Expect: 100-continue" the body may or may not follow the answer: close. */
static void test_expect_continue_closes(void **state)
{
    struct fixture *f = *state;
    expect_answer(f,
                  "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
                  "Content-Length: 100000\r\n\r\n",
                  "HTTP/1.1 413", NULL, true);
    http_session_init(&f->s, &fake_io_ops, &f->io, &f->limits, &f->stats);
    f->io.closed = false;
    expect_answer(f,
                  "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
                  "Content-Length: 10\r\n\r\n",
                  "HTTP/1.1 405", NULL, true);
    assert_int_equal(f->s.skip_body, 0);
    http_session_init(&f->s, &fake_io_ops, &f->io, &f->limits, &f->stats);
    f->io.closed = false;
    expect_answer(f, "PUT / HTTP/1.1\r\nHost: a\r\nExpect: nothing\r\n\r\n",
                  "HTTP/1.1 417 Expectation Failed\r\n", NULL, true);
}

static void test_eof(void **state)
{
    struct fixture *f = *state;
    /* Complete requests before the FIN are answered, then the session closes. */
    feed(f, "GET /bytes/1 HTTP/1.1\r\nHost: a\r\n\r\n");
    http_session_eof(&f->s);
    assert_true(f->io.closed);
    assert_int_equal(f->stats.requests, 1);
    /* A half request before the FIN: closed without an answer. */
    http_session_init(&f->s, &fake_io_ops, &f->io, &f->limits, &f->stats);
    f->io.closed = false;
    f->io.out_len = 0;
    feed(f, "GET / HTTP/1.1\r\nHo");
    http_session_eof(&f->s);
    assert_true(f->io.closed);
    assert_int_equal(f->io.out_len, 0);
    assert_int_equal(f->stats.eof_mid_request, 1);
}

/* --- Session: backpressure ---------------------------------------------------------------- */

/* Let the transport take (window) bytes per round until the response is out. */
static unsigned drain(struct fixture *f, size_t window, unsigned max_rounds)
{
    unsigned rounds = 0;
    while (f->s.responding && rounds++ < max_rounds) {
        f->io.window = window;
        http_session_writable(&f->s);
    }
    return rounds;
}

static void test_bytes_backpressure(void **state)
{
    struct fixture *f = *state;
    const uint64_t total = 1000003;
    f->io.window = 1000;
    feed(f, "GET /bytes/1000003 HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_true(f->s.responding);
    assert_true(f->io.out_len <= 1000);
    drain(f, 1460, 100000);
    assert_false(f->s.responding);
    const char *out = out_text(f);
    const uint8_t *body = (const uint8_t *)strstr(out, "\r\n\r\n") + 4;
    assert_non_null(strstr(out, "Content-Length: 1000003\r\n"));
    assert_int_equal(f->io.out_len - (size_t)(body - f->io.out), total);
    uint8_t *expect = malloc(total);
    http_pattern_fill(expect, 0, total);
    assert_memory_equal(body, expect, total);
    free(expect);
    assert_int_equal(f->stats.body_bytes, total);
}

/* While a response waits for the transport, pipelined requests fill the input buffer; then
 * input is refused (the transport keeps it), and asked for again once there is room. */
static void test_input_refused_then_resumed(void **state)
{
    struct fixture *f = *state;
    static char many[20000];
    size_t n = 0;
    const char *one = "GET /bytes/100 HTTP/1.1\r\nHost: a\r\n\r\n";
    while (n + strlen(one) < sizeof(many)) {
        memcpy(many + n, one, strlen(one));
        n += strlen(one);
    }
    unsigned count = (unsigned)(n / strlen(one));
    f->io.window = 0;
    size_t taken = http_session_input(&f->s, (const uint8_t *)many, n);
    assert_int_equal(taken, HTTP_SESSION_IN_CAP + strlen(one));
    assert_int_equal(f->stats.input_paused, 1);
    size_t pos = taken;
    unsigned rounds = 0;
    while (pos < n && rounds++ < 10000) {
        unsigned before = f->io.resumes;
        drain(f, 500, 50);
        if (f->io.resumes > before)
            pos += http_session_input(&f->s, (const uint8_t *)many + pos, n - pos);
    }
    f->io.window = SIZE_MAX;
    http_session_writable(&f->s);
    assert_int_equal(pos, n);
    assert_int_equal(f->stats.requests, count);
    assert_true(http_session_idle(&f->s));
    /* Every answer is there, in order: count heads each followed by the 100 pattern bytes. */
    uint8_t body[100];
    http_pattern_fill(body, 0, sizeof(body));
    const uint8_t *p = f->io.out, *end = f->io.out + f->io.out_len;
    for (unsigned i = 0; i < count; i++) {
        const uint8_t *h = find(p, (size_t)(end - p), "\r\n\r\n");
        assert_non_null(h);
        assert_memory_equal(h + 4, body, sizeof(body));
        p = h + 4 + sizeof(body);
    }
    assert_ptr_equal(p, end);
}

static void test_send_failure_stops(void **state)
{
    struct fixture *f = *state;
    f->io.fail = true;
    feed(f, "GET /bytes/100000 HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(f->stats.send_failed, 1);
    assert_true(f->s.closed);
    assert_int_equal(feed(f, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 27);
    assert_int_equal(f->stats.send_failed, 1);
}

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
    if (n < len && !timer_armed(&c->reader)) /* a slow reader: the rest 1 ms later */
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
    c->conn = tcp_connect(harness_a(h), ADDR_B, 80, client_on_connected, c, &err);
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
    o.fault[SIDE_A] = (struct fault_config){.loss = 0.01, .seed = 7, .seeded = true};
    o.fault[SIDE_B] =
        (struct fault_config){.loss = 0.01, .reorder = 0.01, .seed = 8, .seeded = true};
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

#define SESSION_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup_session, teardown_session)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_and_pattern),
        SESSION_TEST(test_get_page),
        SESSION_TEST(test_head_page),
        SESSION_TEST(test_not_found_and_methods),
        SESSION_TEST(test_errors_close),
        SESSION_TEST(test_header_limits_431_414),
        SESSION_TEST(test_http10_connection),
        SESSION_TEST(test_connection_close_11),
        SESSION_TEST(test_pipelining_at_once),
        SESSION_TEST(test_pipelining_byte_by_byte),
        SESSION_TEST(test_request_body_skipped),
        SESSION_TEST(test_expect_continue_closes),
        SESSION_TEST(test_eof),
        SESSION_TEST(test_bytes_backpressure),
        SESSION_TEST(test_input_refused_then_resumed),
        SESSION_TEST(test_send_failure_stops),
        cmocka_unit_test(test_wire_page_keep_alive),
        cmocka_unit_test(test_wire_bytes_under_loss),
        cmocka_unit_test(test_wire_idle_timeout),
        cmocka_unit_test(test_wire_connection_limit_and_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
