/* HTTP/1.x request head parser: real requests (curl, wrk, a browser), every prefix of them is
 * "incomplete", request line and version rules, field syntax, Host, Content-Length,
 * Transfer-Encoding, Connection per version, the size and count limits at their exact edges,
 * early errors, and a seeded mutation loop whose every result must be one of the documented
 * ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "unic/wire/http.h"

#define MAX_STORED 80

static const char curl_get[] = "GET / HTTP/1.1\r\n"
                               "Host: 10.0.0.2\r\n"
                               "User-Agent: curl/7.88.1\r\n"
                               "Accept: */*\r\n"
                               "\r\n";

static const char wrk_get[] = "GET / HTTP/1.1\r\n"
                              "Host: 10.0.0.2:80\r\n"
                              "\r\n";

static const char firefox_get[] =
    "GET /bytes/1000 HTTP/1.1\r\n"
    "Host: 10.0.0.2\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate\r\n"
    "Connection: keep-alive\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "Priority: u=0, i\r\n"
    "\r\n";

struct parsed {
    int rc;
    struct http_request req;
    struct http_header headers[MAX_STORED];
};

static int parse_lim(const char *text, const struct http_limits *lim, struct parsed *out)
{
    out->rc = http_parse_request((const uint8_t *)text, strlen(text), lim, &out->req, out->headers,
                                 MAX_STORED);
    return out->rc;
}

static int parse(const char *text, struct parsed *out)
{
    return parse_lim(text, NULL, out);
}

/* Status (or 0 / head length) of a request given as text, with default limits. */
static int status_of(const char *text)
{
    struct parsed p;
    return parse(text, &p);
}

static bool span_is(struct http_span s, const char *text)
{
    return s.len == strlen(text) && memcmp(s.p, text, s.len) == 0;
}

/* --- Real requests ------------------------------------------------------------------------ */

static void test_curl_request(void **state)
{
    (void)state;
    struct parsed p;
    assert_int_equal(parse(curl_get, &p), (int)strlen(curl_get));
    assert_int_equal(p.req.method, HTTP_METHOD_GET);
    assert_true(span_is(p.req.method_text, "GET"));
    assert_true(span_is(p.req.target, "/"));
    assert_int_equal(p.req.version_major, 1);
    assert_int_equal(p.req.version_minor, 1);
    assert_true(p.req.keep_alive);
    assert_true(p.req.has_host);
    assert_true(span_is(p.req.host, "10.0.0.2"));
    assert_false(p.req.has_content_length);
    assert_int_equal(p.req.content_length, 0);
    assert_int_equal(p.req.header_count, 3);
    assert_int_equal(p.req.headers_stored, 3);
    assert_int_equal(p.req.head_len, strlen(curl_get));
    assert_true(span_is(p.headers[1].name, "User-Agent"));
    assert_true(span_is(p.headers[1].value, "curl/7.88.1"));
    assert_true(span_is(p.headers[2].value, "*/*"));
}

static void test_wrk_and_browser_requests(void **state)
{
    (void)state;
    struct parsed p;
    assert_int_equal(parse(wrk_get, &p), (int)strlen(wrk_get));
    assert_true(span_is(p.req.host, "10.0.0.2:80"));
    assert_int_equal(parse(firefox_get, &p), (int)strlen(firefox_get));
    assert_true(span_is(p.req.target, "/bytes/1000"));
    assert_int_equal(p.req.header_count, 8);
    assert_true(p.req.keep_alive);
    assert_true(span_is(p.headers[4].name, "Accept-Encoding"));
    assert_true(span_is(p.headers[4].value, "gzip, deflate"));
}

/* Every strict prefix of a valid request is "need more bytes", never an error. */
static void test_every_prefix_incomplete(void **state)
{
    (void)state;
    const char *reqs[] = {curl_get, wrk_get, firefox_get, "\r\n\r\nGET / HTTP/1.0\n\n"};
    for (size_t r = 0; r < sizeof(reqs) / sizeof(reqs[0]); r++) {
        size_t len = strlen(reqs[r]);
        struct http_request req;
        for (size_t n = 0; n < len; n++)
            assert_int_equal(http_parse_request((const uint8_t *)reqs[r], n, NULL, &req, NULL, 0),
                             HTTP_INCOMPLETE);
        assert_int_equal(http_parse_request((const uint8_t *)reqs[r], len, NULL, &req, NULL, 0),
                         (int)len);
    }
}

/* Bytes after the head (a pipelined request, a body) are not part of it. */
static void test_head_len_stops_at_empty_line(void **state)
{
    (void)state;
    char two[256];
    snprintf(two, sizeof(two), "%s%s", wrk_get, curl_get);
    struct parsed p;
    assert_int_equal(parse(two, &p), (int)strlen(wrk_get));
    assert_int_equal(status_of("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"),
                     (int)strlen("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"));
}

static void test_bare_lf_and_leading_empty_lines(void **state)
{
    (void)state;
    struct parsed p;
    assert_int_equal(parse("GET /a HTTP/1.1\nHost: h\n\n", &p), 25);
    assert_true(span_is(p.req.target, "/a"));
    assert_true(span_is(p.req.host, "h"));
    assert_int_equal(status_of("\r\n\nGET / HTTP/1.0\r\n\r\n"), 21);
    assert_int_equal(status_of("\r\n\r\n\r\n\r\nGET / HTTP/1.0\r\n\r\n"), 26);
    assert_int_equal(status_of("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.0\r\n\r\n"), -400);
    /* A CR that is not part of a line end. */
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"), -400);
    assert_int_equal(status_of("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n"), -400);
    assert_int_equal(status_of("GET / HTTP/1.1\r\r\nHost: a\r\n\r\n"), -400);
}

/* --- Request line ------------------------------------------------------------------------- */

static void test_methods(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        enum http_method m;
    } cases[] = {
        {"GET", HTTP_METHOD_GET},         {"HEAD", HTTP_METHOD_HEAD},
        {"POST", HTTP_METHOD_POST},       {"PUT", HTTP_METHOD_PUT},
        {"DELETE", HTTP_METHOD_DELETE},   {"CONNECT", HTTP_METHOD_CONNECT},
        {"OPTIONS", HTTP_METHOD_OPTIONS}, {"TRACE", HTTP_METHOD_TRACE},
        {"PATCH", HTTP_METHOD_PATCH},     {"get", HTTP_METHOD_OTHER},
        {"BREW", HTTP_METHOD_OTHER},      {"GETS", HTTP_METHOD_OTHER},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char req[128];
        snprintf(req, sizeof(req), "%s / HTTP/1.1\r\nHost: a\r\n\r\n", cases[i].name);
        struct parsed p;
        assert_true(parse(req, &p) > 0);
        assert_int_equal(p.req.method, cases[i].m);
        assert_true(span_is(p.req.method_text, cases[i].name));
        if (cases[i].m != HTTP_METHOD_OTHER)
            assert_string_equal(http_method_name(cases[i].m), cases[i].name);
    }
    assert_null(http_method_name(HTTP_METHOD_OTHER));
}

static void test_request_line_errors(void **state)
{
    (void)state;
    const char *bad[] = {
        "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",    /* two spaces                         */
        " GET / HTTP/1.1\r\nHost: a\r\n\r\n",    /* leading space                      */
        "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",    /* trailing space                     */
        "GET /\r\nHost: a\r\n\r\n",              /* HTTP/0.9 style: no version         */
        "GET\r\n\r\n",                           /* method only                        */
        "GET / http/1.1\r\nHost: a\r\n\r\n",     /* version is case-sensitive          */
        "GET / HTTP/1.10\r\nHost: a\r\n\r\n",    /* one digit each                     */
        "GET / HTTP/1\r\nHost: a\r\n\r\n",       /* no minor                           */
        "GET / HTTP/1.x\r\nHost: a\r\n\r\n",     /* not a digit                        */
        "G\x01T / HTTP/1.1\r\nHost: a\r\n\r\n",  /* control in method                  */
        "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", /* tab in target                      */
        "GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", /* DEL in target                      */
        "GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n", /* non-ASCII in target                */
        "(GET) / HTTP/1.1\r\nHost: a\r\n\r\n",   /* not a token                        */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (status_of(bad[i]) != -400)
            fail_msg("case %zu: '%s' gave %d", i, bad[i], status_of(bad[i]));
    }
}

/* Errors are reported from the bytes that show them, without waiting for the rest. */
static void test_early_errors(void **state)
{
    (void)state;
    assert_int_equal(status_of("GET  "), -400);
    assert_int_equal(status_of("G\x01"), -400);
    assert_int_equal(status_of("GET / HTTX"), -400);
    assert_int_equal(status_of("GET / HTTP/2.0"), HTTP_INCOMPLETE); /* the line may go on */
    assert_int_equal(status_of("GET / HTTP/2.0\r\n"), -505);
    assert_int_equal(status_of("GET / HTTP/1.1x"), -400);
    assert_int_equal(status_of("GET / HTTP/1."), HTTP_INCOMPLETE);
    assert_int_equal(status_of("GET / HTTP/1.1\r"), HTTP_INCOMPLETE);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost"), HTTP_INCOMPLETE);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost a\r\n"), -400);
}

static void test_versions(void **state)
{
    (void)state;
    struct parsed p;
    assert_int_equal(status_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), -505);
    assert_int_equal(status_of("GET / HTTP/0.9\r\n\r\n"), -505);
    assert_int_equal(status_of("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), -505);
    assert_int_equal(status_of("GET / HTTP/3.0\r\n\r\n"), -505);
    /* 1.x above 1.1 is served as 1.1. */
    assert_true(parse("GET / HTTP/1.2\r\nHost: a\r\n\r\n", &p) > 0);
    assert_int_equal(p.req.version_minor, 2);
    assert_true(p.req.keep_alive);
    assert_int_equal(status_of("GET / HTTP/1.2\r\n\r\n"), -400); /* Host required too */
}

/* --- Connection per version --------------------------------------------------------------- */

static bool keep_alive_of(const char *text)
{
    struct parsed p;
    assert_true(parse(text, &p) > 0);
    return p.req.keep_alive;
}

static void test_connection_semantics(void **state)
{
    (void)state;
    assert_true(keep_alive_of("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    assert_false(keep_alive_of("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
    assert_false(keep_alive_of("GET / HTTP/1.1\r\nHost: a\r\nconnection: CLOSE\r\n\r\n"));
    assert_false(
        keep_alive_of("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n"));
    assert_false(keep_alive_of("GET / HTTP/1.1\r\nHost: a\r\nConnection: x\r\n"
                               "Connection: close\r\n\r\n"));
    assert_true(keep_alive_of("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade, te\r\n\r\n"));
    assert_false(keep_alive_of("GET / HTTP/1.0\r\n\r\n"));
    assert_true(keep_alive_of("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
    assert_true(keep_alive_of("GET / HTTP/1.0\r\nConnection: foo ,keep-alive\r\n\r\n"));
    assert_false(keep_alive_of("GET / HTTP/1.0\r\nConnection: keep-alive\r\n"
                               "Connection: close\r\n\r\n"));
    /* "closed" is not "close". */
    assert_true(keep_alive_of("GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n"));
}

/* --- Field lines -------------------------------------------------------------------------- */

static void test_field_syntax(void **state)
{
    (void)state;
    struct parsed p;
    assert_true(parse("GET / HTTP/1.1\r\nHost:a\r\nX-Empty:\r\nX-Pad: \t v a l \t\r\n"
                      "X-Obs: caf\xc3\xa9\r\n\r\n",
                      &p) > 0);
    assert_true(span_is(p.req.host, "a"));
    assert_true(span_is(p.headers[1].value, ""));
    assert_true(span_is(p.headers[2].value, "v a l"));
    assert_true(span_is(p.headers[3].value, "caf\xc3\xa9"));
    const char *bad[] = {
        "GET / HTTP/1.1\r\nHost : a\r\n\r\n",               /* space before colon  */
        "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n  c\r\n\r\n", /* obs-fold            */
        "GET / HTTP/1.1\r\nHost: a\r\n\tX: b\r\n\r\n",      /* starts with a tab   */
        "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n",     /* no colon            */
        "GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n",         /* empty name          */
        "GET / HTTP/1.1\r\nHost: a\r\nX\x01Y: v\r\n\r\n",   /* control in name     */
        "GET / HTTP/1.1\r\nHost: a\r\nX: v\x01w\r\n\r\n",   /* control in value    */
        "GET / HTTP/1.1\r\nHost: a\r\nX: v\x7fw\r\n\r\n",   /* DEL in value        */
        "GET / HTTP/1.1\r\nHost: a\r\nX(: v\r\n\r\n",       /* separator in name   */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (status_of(bad[i]) != -400)
            fail_msg("case %zu gave %d", i, status_of(bad[i]));
    }
    /* A NUL in a value: strlen() cannot carry it, so give the length. */
    static const uint8_t nul[] = "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n";
    struct http_request req;
    assert_int_equal(http_parse_request(nul, sizeof(nul) - 1, NULL, &req, NULL, 0), -400);
}

static void test_host_rules(void **state)
{
    (void)state;
    assert_int_equal(status_of("GET / HTTP/1.1\r\n\r\n"), -400);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), -400);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), -400);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"), -400);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), -400);
    assert_true(status_of("GET / HTTP/1.1\r\nHost:\r\n\r\n") > 0); /* empty is allowed */
    assert_true(status_of("GET / HTTP/1.1\r\nHOST: [::1]:8080\r\n\r\n") > 0);
    assert_true(status_of("GET / HTTP/1.0\r\n\r\n") > 0); /* 1.0: optional */
    assert_int_equal(status_of("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), -400);
}

/* --- Body framing ------------------------------------------------------------------------- */

static void test_content_length(void **state)
{
    (void)state;
    struct parsed p;
    assert_true(parse("PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\n\r\n", &p) > 0);
    assert_true(p.req.has_content_length);
    assert_int_equal(p.req.content_length, 42);
    assert_true(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", &p) > 0);
    assert_true(p.req.has_content_length);
    assert_int_equal(p.req.content_length, 0);
    assert_true(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\n"
                      "content-length: 007\r\n\r\n",
                      &p) > 0);
    assert_int_equal(p.req.content_length, 7);
    const char *bad[] = {
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\nContent-Length: 8\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(status_of(bad[i]), -400);
}

static void test_body_too_large(void **state)
{
    (void)state;
    struct http_limits lim;
    http_default_limits(&lim);
    lim.max_body = 100;
    struct parsed p;
    assert_true(parse_lim("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n", &lim, &p) >
                0);
    assert_int_equal(
        parse_lim("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n", &lim, &p), -413);
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\n"
                               "Content-Length: 99999999999999999999999999\r\n\r\n"),
                     -413);
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\n"
                               "Content-Length: 18446744073709551615\r\n\r\n"),
                     -413);
}

static void test_transfer_encoding(void **state)
{
    (void)state;
    const struct {
        const char *fields;
        int status;
    } cases[] = {
        {"Transfer-Encoding: chunked\r\n", -411},
        {"Transfer-Encoding: CHUNKED\r\n", -411},
        {"Transfer-Encoding: gzip, chunked\r\n", -501},
        {"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", -501},
        {"Transfer-Encoding: gzip\r\n", -400},             /* chunked not last */
        {"Transfer-Encoding: chunked, gzip\r\n", -400},    /* chunked not last */
        {"Transfer-Encoding: chunked, chunked\r\n", -400}, /* chunked twice    */
        {"Transfer-Encoding:\r\n", -400},
        {"Transfer-Encoding: ,\r\n", -400},
        {"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", -400}, /* smuggling */
        {"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", -400},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char req[256];
        snprintf(req, sizeof(req), "POST / HTTP/1.1\r\nHost: a\r\n%s\r\n", cases[i].fields);
        if (status_of(req) != cases[i].status)
            fail_msg("case %zu: want %d got %d", i, cases[i].status, status_of(req));
    }
    /* HTTP/1.0 has no transfer codings: faulty framing. */
    assert_int_equal(status_of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), -400);
}

static void test_expect(void **state)
{
    (void)state;
    struct parsed p;
    assert_true(parse("PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n"
                      "Content-Length: 5\r\n\r\n",
                      &p) > 0);
    assert_true(p.req.expect_continue);
    assert_true(parse(curl_get, &p) > 0);
    assert_false(p.req.expect_continue);
    assert_int_equal(status_of("PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n"), -417);
    assert_int_equal(status_of("PUT /x HTTP/1.1\r\nHost: a\r\nExpect:\r\n\r\n"), -417);
    assert_string_equal(http_reason(417), "Expectation Failed");
}

/* --- Limits ------------------------------------------------------------------------------- */

/* A request of exactly (total) bytes: request line, Host, one X-Pad field filling the rest. */
static size_t make_sized(char *buf, size_t total)
{
    const char *start = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ";
    size_t n = strlen(start);
    assert_true(total >= n + 4);
    memcpy(buf, start, n);
    memset(buf + n, 'p', total - n - 4);
    memcpy(buf + total - 4, "\r\n\r\n", 4);
    buf[total] = 0;
    return total;
}

static void test_head_size_limit_edges(void **state)
{
    (void)state;
    static char buf[HTTP_DEFAULT_MAX_HEAD + 64];
    struct http_request req;
    size_t n = make_sized(buf, HTTP_DEFAULT_MAX_HEAD);
    assert_int_equal(http_parse_request((uint8_t *)buf, n, NULL, &req, NULL, 0), (int)n);
    n = make_sized(buf, HTTP_DEFAULT_MAX_HEAD + 1);
    assert_int_equal(http_parse_request((uint8_t *)buf, n, NULL, &req, NULL, 0), -431);
    /* Incomplete but already at the limit: no point waiting for more. */
    assert_int_equal(http_parse_request((uint8_t *)buf, HTTP_DEFAULT_MAX_HEAD, NULL, &req, NULL, 0),
                     -431);
    assert_int_equal(
        http_parse_request((uint8_t *)buf, HTTP_DEFAULT_MAX_HEAD - 1, NULL, &req, NULL, 0),
        HTTP_INCOMPLETE);
}

static void test_request_line_too_long(void **state)
{
    (void)state;
    static char buf[HTTP_DEFAULT_MAX_HEAD + 64];
    memcpy(buf, "GET /", 5);
    memset(buf + 5, 'u', sizeof(buf) - 5);
    struct http_request req;
    assert_int_equal(http_parse_request((uint8_t *)buf, sizeof(buf), NULL, &req, NULL, 0), -414);
    assert_int_equal(http_parse_request((uint8_t *)buf, 100, NULL, &req, NULL, 0), HTTP_INCOMPLETE);
    struct http_limits lim = {.max_head = 64, .max_headers = 4, .max_body = 0};
    assert_int_equal(http_parse_request((uint8_t *)buf, 64, &lim, &req, NULL, 0), -414);
    assert_int_equal(http_parse_request((uint8_t *)buf, 63, &lim, &req, NULL, 0), HTTP_INCOMPLETE);
}

static void test_header_count_limit(void **state)
{
    (void)state;
    static char buf[4096];
    struct http_limits lim;
    http_default_limits(&lim);
    lim.max_headers = 10;
    for (unsigned count = 9; count <= 11; count++) {
        size_t n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n");
        for (unsigned i = 1; i < count; i++)
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-%u: %u\r\n", i, i);
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n");
        struct parsed p;
        int rc = parse_lim(buf, &lim, &p);
        if (count <= 10) {
            assert_int_equal(rc, (int)n);
            assert_int_equal(p.req.header_count, count);
        } else {
            assert_int_equal(rc, -431);
        }
    }
    /* Stored fields stop at the caller's array; counting goes on. */
    struct http_header few[2];
    struct http_request req;
    assert_true(http_parse_request((const uint8_t *)firefox_get, strlen(firefox_get), NULL, &req,
                                   few, 2) > 0);
    assert_int_equal(req.header_count, 8);
    assert_int_equal(req.headers_stored, 2);
}

/* --- Helpers ------------------------------------------------------------------------------ */

static void test_helpers(void **state)
{
    (void)state;
    struct http_span s = {(const uint8_t *)"Content-LENGTH", 14};
    assert_true(http_span_eq(s, "content-length"));
    assert_false(http_span_eq(s, "content-lengths"));
    assert_false(http_span_eq((struct http_span){s.p, 7}, "content-length"));
    assert_string_equal(http_reason(404), "Not Found");
    assert_string_equal(http_reason(431), "Request Header Fields Too Large");
    assert_string_equal(http_reason(299), "Unknown");
}

/* --- Mutations ---------------------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

static bool documented_result(int rc, size_t len)
{
    static const int statuses[] = {-400, -411, -413, -414, -417, -431, -501, -505};
    if (rc >= 0)
        return (size_t)rc <= len;
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
        if (rc == statuses[i])
            return true;
    return false;
}

/* Flip, insert and cut bytes of real requests: every answer is one the header promises, and
 * a complete head never claims more bytes than were given. */
static void test_mutations(void **state)
{
    (void)state;
    const char *seeds[] = {curl_get, wrk_get, firefox_get};
    uint8_t buf[1024];
    for (unsigned iter = 0; iter < 200000; iter++) {
        const char *seed = seeds[iter % 3];
        size_t len = strlen(seed);
        memcpy(buf, seed, len);
        for (unsigned k = rng() % 4 + 1; k > 0; k--) {
            size_t at = rng() % len;
            switch (rng() % 3) {
            case 0:
                buf[at] = (uint8_t)rng();
                break;
            case 1:
                buf[at] = (uint8_t) "\r\n :,\t\0"[rng() % 7];
                break;
            default:
                len = at + 1;
                break;
            }
        }
        struct http_request req;
        struct http_header h[4];
        int rc = http_parse_request(buf, len, NULL, &req, h, 4);
        if (!documented_result(rc, len))
            fail_msg("iteration %u: result %d for %zu bytes", iter, rc, len);
        if (rc > 0)
            assert_int_equal(req.head_len, (size_t)rc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_curl_request),
        cmocka_unit_test(test_wrk_and_browser_requests),
        cmocka_unit_test(test_every_prefix_incomplete),
        cmocka_unit_test(test_head_len_stops_at_empty_line),
        cmocka_unit_test(test_bare_lf_and_leading_empty_lines),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_request_line_errors),
        cmocka_unit_test(test_early_errors),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_connection_semantics),
        cmocka_unit_test(test_field_syntax),
        cmocka_unit_test(test_host_rules),
        cmocka_unit_test(test_content_length),
        cmocka_unit_test(test_body_too_large),
        cmocka_unit_test(test_transfer_encoding),
        cmocka_unit_test(test_expect),
        cmocka_unit_test(test_head_size_limit_edges),
        cmocka_unit_test(test_request_line_too_long),
        cmocka_unit_test(test_header_count_limit),
        cmocka_unit_test(test_helpers),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
