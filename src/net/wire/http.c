/*
 * HTTP/1.x request head parser (see include/unic/wire/http.h for what is accepted and why).
 *
 * http_parse_request -> skip_empty_lines -> parse_request_line -> (per line) parse_field
 * -> apply_field (Host, Content-Length, Transfer-Encoding, Connection) -> check_framing.
 *
 * The bytes examined never go past min(len, max_head): a head that does not end within the
 * limit is answered 414 (still in the request line) or 431, whatever follows.
 */
#include "unic/wire/http.h"

#include <string.h>

#define MAX_LEADING_EMPTY_LINES 4

/* What the fields said about framing, collected until the head is complete. */
struct framing {
    bool connection_close, connection_keep_alive;
    bool has_te, te_chunked_last, te_unknown, te_empty;
    unsigned te_chunked; /* chunked may be applied once only (RFC 9112 section 7) */
    unsigned hosts;
};

/* A line of the head: [start, end) without its CRLF / LF; next is where the next one starts. */
struct line {
    size_t start, end, next;
};

static const char *const method_names[] = {
    [HTTP_METHOD_GET] = "GET",         [HTTP_METHOD_HEAD] = "HEAD",
    [HTTP_METHOD_POST] = "POST",       [HTTP_METHOD_PUT] = "PUT",
    [HTTP_METHOD_DELETE] = "DELETE",   [HTTP_METHOD_CONNECT] = "CONNECT",
    [HTTP_METHOD_OPTIONS] = "OPTIONS", [HTTP_METHOD_TRACE] = "TRACE",
    [HTTP_METHOD_PATCH] = "PATCH",
};

void http_default_limits(struct http_limits *lim)
{
    lim->max_head = HTTP_DEFAULT_MAX_HEAD;
    lim->max_headers = HTTP_DEFAULT_MAX_HEADERS;
    lim->max_body = HTTP_DEFAULT_MAX_BODY;
}

const char *http_method_name(enum http_method m)
{
    if ((size_t)m >= sizeof(method_names) / sizeof(method_names[0]))
        return NULL;
    return method_names[m];
}

static const struct {
    int status;
    const char *reason;
} reasons[] = {
    {200, "OK"},
    {400, "Bad Request"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {411, "Length Required"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {417, "Expectation Failed"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {503, "Service Unavailable"},
    {505, "HTTP Version Not Supported"},
};

const char *http_reason(int status)
{
    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        if (reasons[i].status == status)
            return reasons[i].reason;
    return "Unknown";
}

static uint8_t ascii_lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

bool http_span_eq(struct http_span s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (ascii_lower(s.p[i]) != ascii_lower((uint8_t)lit[i]))
            return false;
    return true;
}

/* tchar of RFC 9110 section 5.6.2. */
static bool is_tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_vchar(uint8_t c)
{
    return c > 0x20 && c < 0x7f;
}

static bool is_ows(uint8_t c)
{
    return c == ' ' || c == '\t';
}

/* Field value characters: VCHAR, obs-text, SP, HTAB (no CR, LF, NUL or other controls). */
static bool is_field_char(uint8_t c)
{
    return is_ows(c) || is_vchar(c) || c >= 0x80;
}

/* Find the line starting at (pos) within (len) bytes. Returns 1 and fills (l), or 0 when no
 * LF has arrived yet (l->end is then the end of what is there, less a trailing CR). */
static int next_line(const uint8_t *p, size_t len, size_t pos, struct line *l)
{
    const uint8_t *nl = memchr(p + pos, '\n', len - pos);
    l->start = pos;
    if (!nl) {
        l->end = len;
        if (l->end > pos && p[l->end - 1] == '\r')
            l->end--;
        return 0;
    }
    l->next = (size_t)(nl - p) + 1;
    l->end = l->next - 1;
    if (l->end > pos && p[l->end - 1] == '\r')
        l->end--;
    return 1;
}

static enum http_method method_lookup(struct http_span m)
{
    for (size_t i = 1; i < sizeof(method_names) / sizeof(method_names[0]); i++)
        if (m.len == strlen(method_names[i]) && !memcmp(m.p, method_names[i], m.len))
            return (enum http_method)i;
    return HTTP_METHOD_OTHER;
}

/* "HTTP/" DIGIT "." DIGIT, possibly cut short when (!complete). */
static int parse_version(const uint8_t *v, size_t n, bool complete, struct http_request *out)
{
    static const char pattern[] = "HTTP/9.9";
    if (n > sizeof(pattern) - 1)
        return -400;
    for (size_t i = 0; i < n; i++) {
        bool ok = pattern[i] == '9' ? (v[i] >= '0' && v[i] <= '9') : v[i] == (uint8_t)pattern[i];
        if (!ok)
            return -400;
    }
    /* Whatever the version says, the line must end right after it: a verdict before the end
     * of the line could be overturned by a malformed rest (errors are final). */
    if (!complete)
        return HTTP_INCOMPLETE;
    if (n < sizeof(pattern) - 1)
        return -400;
    out->version_major = (uint8_t)(v[5] - '0');
    out->version_minor = (uint8_t)(v[7] - '0');
    return out->version_major == 1 ? 1 : -505;
}

/* method SP request-target SP HTTP-version, over [s, e): the whole line when (complete), else
 * what has arrived of it. Returns 1 when parsed, HTTP_INCOMPLETE or -status. */
static int parse_request_line(const uint8_t *p, size_t s, size_t e, bool complete,
                              struct http_request *out)
{
    size_t i = s;
    while (i < e && is_tchar(p[i]))
        i++;
    if (i == e)
        return complete ? -400 : HTTP_INCOMPLETE;
    if (i == s || p[i] != ' ')
        return -400;
    out->method_text = (struct http_span){p + s, i - s};
    out->method = method_lookup(out->method_text);
    size_t t = ++i;
    while (i < e && is_vchar(p[i]))
        i++;
    if (i == e)
        return complete ? -400 : HTTP_INCOMPLETE;
    if (i == t || p[i] != ' ')
        return -400;
    out->target = (struct http_span){p + t, i - t};
    i++;
    return parse_version(p + i, e - i, complete, out);
}

/* Content-Length: 1*DIGIT; values past 2^64 saturate (they are over any limit anyway). */
static int apply_content_length(struct http_span v, struct http_request *out)
{
    if (v.len == 0)
        return -400;
    uint64_t n = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return -400;
        unsigned d = (unsigned)(v.p[i] - '0');
        n = (n > (UINT64_MAX - d) / 10) ? UINT64_MAX : n * 10 + d;
    }
    if (out->has_content_length && out->content_length != n)
        return -400;
    out->has_content_length = true;
    out->content_length = n;
    return 0;
}

/* Calls (fn) on each element of a comma-separated list (empty elements skipped, each element
 * trimmed, parameters after ';' cut off). Returns the number of elements. */
static unsigned for_each_list_item(struct http_span v, void (*fn)(struct http_span, void *),
                                   void *arg)
{
    unsigned n = 0;
    size_t i = 0;
    while (i < v.len) {
        size_t s = i;
        while (i < v.len && v.p[i] != ',')
            i++;
        size_t e = i++;
        for (size_t k = s; k < e; k++)
            if (v.p[k] == ';')
                e = k;
        while (s < e && is_ows(v.p[s]))
            s++;
        while (e > s && is_ows(v.p[e - 1]))
            e--;
        if (e > s) {
            fn((struct http_span){v.p + s, e - s}, arg);
            n++;
        }
    }
    return n;
}

static void te_item(struct http_span item, void *arg)
{
    struct framing *f = arg;
    f->te_chunked_last = http_span_eq(item, "chunked");
    if (f->te_chunked_last)
        f->te_chunked++;
    else
        f->te_unknown = true;
}

static void connection_item(struct http_span item, void *arg)
{
    struct framing *f = arg;
    if (http_span_eq(item, "close"))
        f->connection_close = true;
    else if (http_span_eq(item, "keep-alive"))
        f->connection_keep_alive = true;
}

/* uri-host [":" port]: no whitespace, no path, no userinfo. */
static bool host_valid(struct http_span v)
{
    for (size_t i = 0; i < v.len; i++)
        if (!is_vchar(v.p[i]) || v.p[i] == '/' || v.p[i] == '?' || v.p[i] == '#' || v.p[i] == '@')
            return false;
    return true;
}

static int apply_field(struct http_span name, struct http_span value, struct framing *f,
                       struct http_request *out)
{
    if (http_span_eq(name, "content-length"))
        return apply_content_length(value, out);
    if (http_span_eq(name, "transfer-encoding")) {
        f->has_te = true;
        if (for_each_list_item(value, te_item, f) == 0)
            f->te_empty = true;
    } else if (http_span_eq(name, "connection")) {
        for_each_list_item(value, connection_item, f);
    } else if (http_span_eq(name, "expect")) {
        if (!http_span_eq(value, "100-continue"))
            return -417;
        out->expect_continue = true;
    } else if (http_span_eq(name, "host")) {
        if (++f->hosts > 1 || !host_valid(value))
            return -400;
        out->has_host = true;
        out->host = value;
    }
    return 0;
}

/* field-name ":" OWS field-value OWS over [s, e). */
static int parse_field(const uint8_t *p, size_t s, size_t e, struct framing *f,
                       struct http_request *out, struct http_header *headers, size_t max_stored)
{
    size_t i = s;
    while (i < e && is_tchar(p[i]))
        i++;
    /* An empty name also catches obs-fold (a line starting with SP or HTAB). */
    if (i == s || i == e || p[i] != ':')
        return -400;
    struct http_span name = {p + s, i - s};
    i++;
    while (i < e && is_ows(p[i]))
        i++;
    size_t vend = e;
    while (vend > i && is_ows(p[vend - 1]))
        vend--;
    for (size_t k = i; k < vend; k++)
        if (!is_field_char(p[k]))
            return -400;
    struct http_span value = {p + i, vend - i};
    if (headers && out->headers_stored < max_stored) {
        headers[out->headers_stored++] = (struct http_header){name, value};
    }
    return apply_field(name, value, f, out);
}

/* Once the head is complete: Host, body framing and the connection's fate. */
static int check_framing(const struct framing *f, const struct http_limits *lim,
                         struct http_request *out)
{
    bool v11 = out->version_minor >= 1;
    if (v11 && f->hosts == 0)
        return -400;
    if (f->has_te) {
        if (!v11 || out->has_content_length || f->te_empty || !f->te_chunked_last ||
            f->te_chunked > 1)
            return -400;
        return f->te_unknown ? -501 : -411;
    }
    if (out->content_length > lim->max_body)
        return -413;
    out->keep_alive = !f->connection_close && (v11 || f->connection_keep_alive);
    return 0;
}

/* Skip the empty lines allowed before the request line; returns where it starts, or -400. */
static long skip_empty_lines(const uint8_t *p, size_t len)
{
    size_t pos = 0;
    for (unsigned n = 0; n <= MAX_LEADING_EMPTY_LINES; n++) {
        if (pos < len && p[pos] == '\n')
            pos += 1;
        else if (pos + 1 < len && p[pos] == '\r' && p[pos + 1] == '\n')
            pos += 2;
        else
            return (long)pos;
    }
    return -400;
}

/* The field lines after the request line, up to and including the empty line. */
static int parse_fields(const uint8_t *p, size_t len, size_t pos, const struct http_limits *lim,
                        struct http_request *out, struct http_header *headers, size_t max_stored)
{
    struct framing f = {0};
    struct line l;
    while (next_line(p, len, pos, &l)) {
        if (l.end == l.start) {
            out->head_len = l.next;
            int rc = check_framing(&f, lim, out);
            return rc < 0 ? rc : (int)l.next;
        }
        if (++out->header_count > lim->max_headers)
            return -431;
        int rc = parse_field(p, l.start, l.end, &f, out, headers, max_stored);
        if (rc < 0)
            return rc;
        pos = l.next;
    }
    return HTTP_INCOMPLETE;
}

int http_parse_request(const uint8_t *p, size_t len, const struct http_limits *lim,
                       struct http_request *out, struct http_header *headers, size_t max_stored)
{
    struct http_limits defaults;
    if (!lim) {
        http_default_limits(&defaults);
        lim = &defaults;
    }
    memset(out, 0, sizeof(*out));
    if (len == 0)
        return HTTP_INCOMPLETE;
    /* Never look past the limit: what does not fit is an error whatever it contains. */
    size_t avail = len < lim->max_head ? len : lim->max_head;
    bool truncated = len >= lim->max_head;
    long start = skip_empty_lines(p, avail);
    if (start < 0)
        return -400;
    struct line l;
    bool complete = next_line(p, avail, (size_t)start, &l);
    int rc = parse_request_line(p, l.start, l.end, complete, out);
    if (rc < 0)
        return rc;
    if (!complete)
        return truncated ? -414 : HTTP_INCOMPLETE;
    rc = parse_fields(p, avail, l.next, lim, out, headers, max_stored);
    if (rc == HTTP_INCOMPLETE && truncated)
        return -431;
    return rc;
}
