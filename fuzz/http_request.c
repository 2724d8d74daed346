/*
 * libFuzzer harness for the HTTP request head parser (src/net/wire/http.c), and for the
 * example server's request handling on top of it (examples/http/http_session.c).
 *
 * Parser invariants, with the default limits and with small ones:
 *  - the result is a head length within the input, 0 (incomplete) or a documented status;
 *  - a complete head ends with an empty line, and every span lies inside it;
 *  - one byte less of a complete head is "incomplete";
 *  - an error found in a prefix is the error of the whole input (errors are final).
 * Session: the input is fed in pieces to a session whose transport takes a few hundred bytes
 * at a time; every response starts with a status line, input is never refused while nothing
 * is being sent, and the session's output stays bounded by what it was allowed to send.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unic/wire/http.h"

#include "http_content.h"
#include "http_session.h"

#define OUT_LIMIT (256u * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool documented(int rc, size_t len)
{
    static const int statuses[] = {-400, -411, -413, -414, -417, -431, -501, -505};
    if (rc >= 0)
        return (size_t)rc <= len;
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
        if (rc == statuses[i])
            return true;
    return false;
}

static bool span_inside(struct http_span s, const uint8_t *base, size_t len)
{
    return s.len == 0 || (s.p >= base && s.p + s.len <= base + len);
}

static void check_complete(const uint8_t *data, int rc, const struct http_request *req,
                           const struct http_header *h, const struct http_limits *lim)
{
    size_t n = (size_t)rc;
    if (req->head_len != n || n < 2 || data[n - 1] != '\n')
        abort();
    if (data[n - 2] != '\n' && !(n >= 3 && data[n - 2] == '\r' && data[n - 3] == '\n'))
        abort();
    if (!span_inside(req->method_text, data, n) || !span_inside(req->target, data, n) ||
        req->method_text.len == 0 || req->target.len == 0 || req->version_major != 1)
        abort();
    if (req->has_host && !span_inside(req->host, data, n))
        abort();
    for (size_t i = 0; i < req->headers_stored; i++)
        if (!span_inside(h[i].name, data, n) || !span_inside(h[i].value, data, n))
            abort();
    if (req->header_count > lim->max_headers || req->content_length > lim->max_body)
        abort();
    struct http_request again;
    if (http_parse_request(data, n - 1, lim, &again, NULL, 0) != HTTP_INCOMPLETE)
        abort();
}

static void check_parser(const uint8_t *data, size_t size, const struct http_limits *lim)
{
    struct http_request req;
    struct http_header h[8];
    int rc = http_parse_request(data, size, lim, &req, h, 8);
    if (!documented(rc, size))
        abort();
    if (rc > 0)
        check_complete(data, rc, &req, h, lim);
    /* A prefix that is already wrong is wrong in the same way with more bytes. */
    size_t cut = size / 2;
    struct http_request pre;
    int prc = http_parse_request(data, cut, lim, &pre, NULL, 0);
    if (prc < 0 && prc != rc)
        abort();
}

/* --- The session on a transport that takes a little at a time --------------------------- */

struct fake_transport {
    size_t window;  /* bytes send may take before the next writable */
    size_t out_len; /* total taken                                  */
    bool closed, resume_owed;
    uint8_t first[16];
    size_t first_len;
};

static long ft_send(void *ctx, const void *buf, size_t len)
{
    struct fake_transport *t = ctx;
    size_t n = len < t->window ? len : t->window;
    if (t->out_len + n > OUT_LIMIT)
        n = t->out_len < OUT_LIMIT ? OUT_LIMIT - t->out_len : 0;
    if (t->first_len < sizeof(t->first)) {
        size_t k = sizeof(t->first) - t->first_len;
        k = k < n ? k : n;
        memcpy(t->first + t->first_len, buf, k);
        t->first_len += k;
    }
    t->window -= n;
    t->out_len += n;
    return (long)n;
}

static size_t ft_space(void *ctx)
{
    struct fake_transport *t = ctx;
    return t->window;
}

static void ft_close(void *ctx)
{
    ((struct fake_transport *)ctx)->closed = true;
}

static void ft_resume(void *ctx)
{
    ((struct fake_transport *)ctx)->resume_owed = true;
}

static const struct http_io ft_io = {ft_send, ft_space, ft_close, ft_resume};

static void check_session(const uint8_t *data, size_t size)
{
    static struct http_session s; /* 9 KB: not on the fuzzer's stack */
    struct http_session_stats st = {0};
    struct http_limits lim;
    struct fake_transport t = {.window = 300};
    http_default_limits(&lim);
    http_session_init(&s, &ft_io, &t, &lim, &st);
    size_t pos = 0, piece = size ? (size_t)(data[0] % 64) + 1 : 1;
    unsigned rounds = 0;
    while (pos < size && !t.closed && rounds++ < 100000) {
        size_t n = size - pos < piece ? size - pos : piece;
        size_t took = http_session_input(&s, data + pos, n);
        if (took > n || (took < n && !s.responding))
            abort(); /* refusing input is only for backpressure */
        pos += took;
        t.window = 300;
        http_session_writable(&s);
    }
    if (!t.closed)
        http_session_eof(&s);
    for (unsigned i = 0; i < 2000 && s.responding && !t.closed; i++) {
        t.window = 300;
        http_session_writable(&s);
    }
    if (t.first_len >= 9 && memcmp(t.first, "HTTP/1.1 ", 9) != 0)
        abort();
    if (t.out_len > OUT_LIMIT)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    struct http_limits lim;
    http_default_limits(&lim);
    check_parser(copy, size, &lim);
    struct http_limits small = {.max_head = 128, .max_headers = 3, .max_body = 16};
    check_parser(copy, size, &small);
    check_session(copy, size);
    free(copy);
    return 0;
}
