/*
 * The HTTP example's request handling (examples/http/http_session.c), without any network:
 * driven with byte buffers through a fake transport whose window the test controls. Answers
 * byte for byte, every status, HEAD, keep-alive per version, pipelining (all at once and byte
 * by byte), request bodies, Expect, end of input, /bytes/N under backpressure, input refused
 * while an answer is being sent and asked for again, a transport that fails.
 */
#include "test_http_util.h"

#define OUT_CAP (4u << 20)

/* --- A fake transport --------------------------------------------------------------------- */

struct fake_io {
    uint8_t *out; /* OUT_CAP bytes */
    size_t out_len;
    size_t window; /* what send takes before the next "writable"; SIZE_MAX: all */
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
    /* A FIN in the middle of a request body: the answer is out already; close. */
    http_session_init(&f->s, &fake_io_ops, &f->io, &f->limits, &f->stats);
    f->io.closed = false;
    f->io.out_len = 0;
    feed(f, "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc");
    assert_false(f->io.closed);
    http_session_eof(&f->s);
    assert_true(f->io.closed);
    assert_memory_equal(f->io.out, "HTTP/1.1 200 OK", 15);
    assert_int_equal(f->stats.eof_mid_request, 2);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
