/*
 * HTTP/1.x request head (RFC 9110, RFC 9112): request line, header fields and the framing the
 * server needs (Content-Length, Transfer-Encoding, Connection, Host), parsed in place.
 *
 * Pure wire code: no state, no allocation. The result holds spans into the caller's bytes, so
 * they stay valid as long as those bytes do. The parser is meant to be called again on the
 * whole buffered prefix each time more bytes arrive (a request head is bounded by
 * http_limits.max_head, so re-parsing is bounded too); it reports an error as soon as the
 * bytes seen so far cannot start a valid request.
 *
 * Return value of http_parse_request():
 *   > 0   the head is complete; that many bytes (request line + fields + empty line) are the
 *         head. The body, if any, follows: out->content_length bytes.
 *   0     (HTTP_INCOMPLETE) no error so far, need more bytes.
 *   < 0   minus the status code to answer with (-400, -411, -413, -414, -417, -431, -501,
 *         -505);
 *         after any of these the connection's framing is unreliable: answer and close.
 *
 * What is accepted, and why the limits are where they are:
 *  - Lines end in CRLF; a bare LF is accepted too (RFC 9112 section 2.2 allows it, and it is
 *    what `printf 'GET / HTTP/1.1\n...' | nc` sends); a CR not followed by LF is a 400.
 *  - Empty lines before the request line are skipped (RFC 9112 section 2.2), at most 4.
 *  - Method: a token. Request target: visible ASCII, no spaces. Version: "HTTP/" DIGIT "."
 *    DIGIT; major 1 is served (1.x with x > 1 is treated as 1.1, RFC 9110 section 6.2); any
 *    other major is 505.
 *  - Field lines: token ":" OWS value OWS. Whitespace before the colon, obsolete line folding,
 *    control characters in a value, a missing colon: 400.
 *  - Request line longer than the head limit: 414. Head longer than the limit or more fields
 *    than the count limit: 431.
 *  - Host: exactly one in HTTP/1.1 (RFC 9112 section 3.2), at most one in 1.0; else 400.
 *  - Content-Length: digits only; repeated with one value is accepted, differing values 400
 *    (RFC 9112 section 6.3); over limits.max_body: 413.
 *  - Transfer-Encoding: request bodies of unknown length are not supported. "chunked" (as the
 *    last coding of 1.1) gets 411 Length Required; any other coding 501; together with
 *    Content-Length, or in an HTTP/1.0 request, 400 (the request smuggling cases of RFC 9112
 *    section 6.1).
 *  - Expect: "100-continue" is reported (expect_continue); any other expectation is 417.
 *  - Connection: a comma-separated token list; "close" ends the connection after the
 *    response, "keep-alive" keeps an HTTP/1.0 connection open; 1.1 defaults to keep-alive.
 */
#ifndef UNIC_WIRE_HTTP_H
#define UNIC_WIRE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_INCOMPLETE 0
#define HTTP_DEFAULT_MAX_HEAD 8192
#define HTTP_DEFAULT_MAX_HEADERS 64
#define HTTP_DEFAULT_MAX_BODY 65536

enum http_method {
    HTTP_METHOD_OTHER = 0, /* a valid token we do not know: the server answers 405 or 501 */
    HTTP_METHOD_GET,
    HTTP_METHOD_HEAD,
    HTTP_METHOD_POST,
    HTTP_METHOD_PUT,
    HTTP_METHOD_DELETE,
    HTTP_METHOD_CONNECT,
    HTTP_METHOD_OPTIONS,
    HTTP_METHOD_TRACE,
    HTTP_METHOD_PATCH,
};

/* A run of bytes inside the parsed buffer (not NUL-terminated). */
struct http_span {
    const uint8_t *p;
    size_t len;
};

struct http_header {
    struct http_span name;  /* as sent (compare case-insensitively) */
    struct http_span value; /* without leading and trailing whitespace */
};

struct http_limits {
    size_t max_head;    /* bytes of request line + fields + empty line      */
    size_t max_headers; /* field lines                                       */
    uint64_t max_body;  /* Content-Length above this is 413                  */
};

struct http_request {
    enum http_method method;
    struct http_span method_text;
    struct http_span target;
    uint8_t version_major, version_minor; /* minor as sent (1.2 -> 2)        */
    bool keep_alive;                      /* after Connection and version rules */
    bool has_content_length;
    uint64_t content_length; /* 0 when absent                                 */
    bool expect_continue;    /* "Expect: 100-continue": the client may wait before the body */
    bool has_host;
    struct http_span host;
    size_t header_count;   /* field lines seen                             */
    size_t headers_stored; /* min(header_count, the caller's array size)   */
    size_t head_len;       /* == the return value when complete            */
};

/* Fill (lim) with the defaults above. */
void http_default_limits(struct http_limits *lim);

/* Parse the request head at the start of the (len) bytes at (p), within (lim) (NULL: the
 * defaults). Field lines are also stored in (headers) (may be NULL) up to (max_stored).
 * Returns the head length, HTTP_INCOMPLETE or minus a status code (see above). (out) is
 * filled as far as parsing got, and fully when the head is complete. */
int http_parse_request(const uint8_t *p, size_t len, const struct http_limits *lim,
                       struct http_request *out, struct http_header *headers, size_t max_stored);

/* Case-insensitive comparison of (s) with the NUL-terminated ASCII (lit). */
bool http_span_eq(struct http_span s, const char *lit);

/* The reason phrase of (status) ("Not Found"), or "Unknown". */
const char *http_reason(int status);

/* Method name of (m) ("GET"), or NULL for HTTP_METHOD_OTHER. */
const char *http_method_name(enum http_method m);

#endif
