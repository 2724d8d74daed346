/* Routes, the page and the /bytes pattern of the HTTP example (see http_content.h). */
#include "http_content.h"

#include <string.h>

/* 136 bytes, without the string's NUL (checked below). */
#define PAGE_TEXT                                                                                  \
    "<!DOCTYPE html>\n"                                                                            \
    "<html><head><title>unic</title></head>\n"                                                     \
    "<body><h1>unic</h1><p>Served by the library operating system.</p></body>\n"                   \
    "</html>\n"
_Static_assert(sizeof(PAGE_TEXT) == HTTP_PAGE_LEN + 1, "the page is 136 bytes");
const uint8_t http_page[HTTP_PAGE_LEN] = PAGE_TEXT;

static const char hex_digits[] = "0123456789abcdef";

/* Block (b) of the pattern: the offset b * 16 as 15 hex digits, then '\n'. */
static void pattern_block(uint8_t out[HTTP_PATTERN_BLOCK], uint64_t b)
{
    uint64_t v = b * HTTP_PATTERN_BLOCK;
    out[15] = '\n';
    for (int i = 14; i >= 0; i--) {
        out[i] = (uint8_t)hex_digits[v & 15];
        v >>= 4;
    }
}

void http_pattern_fill(uint8_t *dst, uint64_t off, size_t len)
{
    uint8_t block[HTTP_PATTERN_BLOCK];
    uint64_t b = off / HTTP_PATTERN_BLOCK;
    size_t skip = (size_t)(off % HTTP_PATTERN_BLOCK);
    while (len > 0) {
        pattern_block(block, b++);
        size_t n = HTTP_PATTERN_BLOCK - skip;
        if (n > len)
            n = len;
        memcpy(dst, block + skip, n);
        dst += n;
        len -= n;
        skip = 0;
    }
}

/* Decimal digits only, no sign, no overflow: the N of /bytes/N. */
static int parse_count(const uint8_t *p, size_t len, uint64_t *out)
{
    uint64_t n = 0;
    if (len == 0 || len > 20)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        unsigned d = (unsigned)(p[i] - '0');
        if (n > (UINT64_MAX - d) / 10)
            return -1;
        n = n * 10 + d;
    }
    *out = n;
    return 0;
}

/* The path of (target): absolute-form loses its scheme and authority, the query goes. An
 * empty span when the target is not a path (authority-form, asterisk-form, garbage). */
static struct http_span target_path(struct http_span t)
{
    size_t i = 0;
    if (t.len >= 7 && (http_span_eq((struct http_span){t.p, 7}, "http://"))) {
        i = 7;
        while (i < t.len && t.p[i] != '/')
            i++;
        if (i == t.len)
            return (struct http_span){(const uint8_t *)"/", 1};
    }
    if (i == t.len || t.p[i] != '/')
        return (struct http_span){NULL, 0};
    size_t e = i;
    while (e < t.len && t.p[e] != '?' && t.p[e] != '#')
        e++;
    return (struct http_span){t.p + i, e - i};
}

static void route_text(int status, struct http_route *out)
{
    memset(out, 0, sizeof(*out));
    out->status = status;
    out->content_type = "text/plain";
    /* The reason phrase is the body: static text, so nothing is formatted per request. */
    out->body_kind = HTTP_BODY_STATIC;
    out->body = (const uint8_t *)http_reason(status);
    out->body_len = strlen(http_reason(status));
}

void http_route_error(int status, struct http_route *out)
{
    route_text(status, out);
}

/* (path) names a resource: fill a 200 answer. Returns 0, or -1 when there is none. */
static int route_path(struct http_span path, struct http_route *out)
{
    static const char prefix[] = "/bytes/";
    const size_t plen = sizeof(prefix) - 1;
    memset(out, 0, sizeof(*out));
    out->status = 200;
    if (path.len == 1) {
        out->content_type = "text/html";
        out->body_kind = HTTP_BODY_STATIC;
        out->body = http_page;
        out->body_len = HTTP_PAGE_LEN;
        return 0;
    }
    if (path.len > plen && !memcmp(path.p, prefix, plen) &&
        parse_count(path.p + plen, path.len - plen, &out->body_len) == 0) {
        out->content_type = "application/octet-stream";
        out->body_kind = HTTP_BODY_PATTERN;
        return 0;
    }
    return -1;
}

void http_route_request(const struct http_request *req, struct http_route *out)
{
    if (req->method == HTTP_METHOD_OTHER) {
        route_text(501, out);
        return;
    }
    /* Every resource here allows GET and HEAD only, so other methods need no lookup. */
    if (req->method != HTTP_METHOD_GET && req->method != HTTP_METHOD_HEAD) {
        route_text(405, out);
        out->allow = 1;
        return;
    }
    struct http_span path = target_path(req->target);
    if (path.len == 0)
        route_text(400, out);
    else if (route_path(path, out) < 0)
        route_text(404, out);
}
