/*
 * One HTTP/1.1 connection (see http_session.h).
 *
 * http_session_input -> session_run: [pump the current response] -> [skip a request body]
 * -> head_may_be_complete -> http_parse_request -> http_route_request -> start_response -> ...
 */
#include "http_session.h"

#include <string.h>

#define SCRATCH_LEN 16384

const char *const http_session_stat_names[] = {HTTP_SESSION_STATS(STATS_NAME)};
const size_t http_session_stat_count = STATS_COUNT(http_session_stat_names);

/* /bytes bodies are generated here just before they are copied into the transport; one
 * buffer serves every connection (the loop is single-threaded and send copies). */
static uint8_t scratch[SCRATCH_LEN];

void http_session_init(struct http_session *s, const struct http_io *io, void *ctx,
                       const struct http_limits *limits, struct http_session_stats *stats)
{
    memset(s, 0, sizeof(*s));
    s->io = io;
    s->ctx = ctx;
    s->limits = *limits;
    if (s->limits.max_head > HTTP_SESSION_IN_CAP || s->limits.max_head == 0)
        s->limits.max_head = HTTP_SESSION_IN_CAP;
    s->stats = stats;
}

bool http_session_idle(const struct http_session *s)
{
    return !s->responding && s->in_len == 0 && s->skip_body == 0;
}

static void count_status(struct http_session_stats *st, int status)
{
    switch (status) {
    case 200:
        st->status_200++;
        break;
    case 400:
        st->status_400++;
        break;
    case 404:
        st->status_404++;
        break;
    case 405:
        st->status_405++;
        break;
    case 411:
        st->status_411++;
        break;
    case 413:
        st->status_413++;
        break;
    case 414:
        st->status_414++;
        break;
    case 417:
        st->status_417++;
        break;
    case 431:
        st->status_431++;
        break;
    case 501:
        st->status_501++;
        break;
    case 505:
        st->status_505++;
        break;
    default:
        break;
    }
}

static size_t put_str(uint8_t *out, size_t at, const char *str)
{
    size_t n = strlen(str);
    memcpy(out + at, str, n);
    return at + n;
}

static size_t put_u64(uint8_t *out, size_t at, uint64_t v)
{
    char digits[20];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        out[at++] = (uint8_t)digits[--n];
    return at;
}

/* The status line and fields into out[]; at most about 200 bytes, well within the buffer. */
static size_t build_head(struct http_session *s, const struct http_route *r, bool http10_keep)
{
    size_t n = put_str(s->out, 0, "HTTP/1.1 ");
    n = put_u64(s->out, n, (uint64_t)r->status);
    n = put_str(s->out, n, " ");
    n = put_str(s->out, n, http_reason(r->status));
    n = put_str(s->out, n, "\r\nServer: unic\r\nContent-Type: ");
    n = put_str(s->out, n, r->content_type);
    n = put_str(s->out, n, "\r\nContent-Length: ");
    n = put_u64(s->out, n, r->body_len);
    n = put_str(s->out, n, "\r\n");
    if (r->allow)
        n = put_str(s->out, n, "Allow: GET, HEAD\r\n");
    if (s->close_after)
        n = put_str(s->out, n, "Connection: close\r\n");
    else if (http10_keep)
        n = put_str(s->out, n, "Connection: keep-alive\r\n");
    return put_str(s->out, n, "\r\n");
}

/* Make (r) the current response. (head_only): HEAD, the body is announced but not sent. */
static void start_response(struct http_session *s, const struct http_route *r, bool head_only,
                           bool http10_keep)
{
    count_status(s->stats, r->status);
    s->out_len = build_head(s, r, http10_keep);
    s->out_off = 0;
    s->body_kind = head_only ? HTTP_BODY_NONE : r->body_kind;
    s->body = r->body;
    s->body_off = 0;
    s->body_len = head_only ? 0 : r->body_len;
    /* A small static body rides with the head: one send, one segment. */
    if (s->body_kind == HTTP_BODY_STATIC && s->body_len <= sizeof(s->out) - s->out_len) {
        memcpy(s->out + s->out_len, s->body, (size_t)s->body_len);
        s->out_len += (size_t)s->body_len;
        s->stats->body_bytes += s->body_len;
        s->body_kind = HTTP_BODY_NONE;
    }
    s->responding = true;
}

/* Offer (len) bytes to the transport. Returns the count taken, or -1 when it is gone. */
static long send_some(struct http_session *s, const void *buf, size_t len)
{
    long n = s->io->send(s->ctx, buf, len);
    if (n < 0) {
        s->stats->send_failed++;
        s->closed = true; /* the transport reports the end; nothing more to do here */
        return -1;
    }
    if (n > 0)
        s->progress++;
    return n;
}

/* How much of the pattern to generate now: what the transport takes, at least 1 byte so that
 * a full transport learns that we wait for it. */
static size_t pattern_chunk(struct http_session *s)
{
    uint64_t left = s->body_len - s->body_off;
    size_t want = left < SCRATCH_LEN ? (size_t)left : SCRATCH_LEN;
    if (s->io->space) {
        size_t room = s->io->space(s->ctx);
        if (room < want)
            want = room ? room : 1;
    }
    return want;
}

/* Send what the transport takes of the body. True when all of it was taken. */
static bool pump_body(struct http_session *s)
{
    while (s->body_off < s->body_len) {
        const uint8_t *p;
        size_t want;
        if (s->body_kind == HTTP_BODY_STATIC) {
            p = s->body + s->body_off;
            uint64_t left = s->body_len - s->body_off;
            want = left < SIZE_MAX ? (size_t)left : SIZE_MAX;
        } else {
            want = pattern_chunk(s);
            http_pattern_fill(scratch, s->body_off, want);
            p = scratch;
        }
        long n = send_some(s, p, want);
        if (n < 0)
            return false;
        s->body_off += (uint64_t)n;
        s->stats->body_bytes += (uint64_t)n;
        if ((size_t)n < want)
            return false;
    }
    return true;
}

/* Send what the transport takes of the current response. True when all of it was taken. */
static bool pump(struct http_session *s)
{
    if (s->out_off < s->out_len) {
        long n = send_some(s, s->out + s->out_off, s->out_len - s->out_off);
        if (n < 0)
            return false;
        s->out_off += (size_t)n;
        if (s->out_off < s->out_len)
            return false;
    }
    return s->body_kind == HTTP_BODY_NONE || pump_body(s);
}

static void session_close(struct http_session *s)
{
    if (s->closed)
        return;
    s->closed = true;
    s->io->close(s->ctx);
}

static void finish_response(struct http_session *s)
{
    s->responding = false;
    s->served++;
    if (s->close_after)
        session_close(s);
}

static void drop_input(struct http_session *s, size_t n)
{
    memmove(s->in, s->in + n, s->in_len - n);
    s->in_len -= n;
    s->scan_from = 0;
}

/* A head ends with an empty line: LF followed by LF or CRLF. Until one has arrived (or the
 * buffer is at the limit) parsing again would only say "incomplete": a client that trickles
 * its head byte by byte costs one scan per byte, not one parse. */
static bool head_may_be_complete(struct http_session *s)
{
    if (s->in_len >= s->limits.max_head)
        return true;
    for (size_t i = s->scan_from; i + 1 < s->in_len; i++) {
        if (s->in[i] != '\n')
            continue;
        if (s->in[i + 1] == '\n' ||
            (s->in[i + 1] == '\r' && i + 2 < s->in_len && s->in[i + 2] == '\n'))
            return true;
    }
    s->scan_from = s->in_len >= 2 ? s->in_len - 2 : 0;
    return false;
}

/* Answer a head the parser refused (-(rc) is the status) and close afterwards. */
static void answer_error(struct http_session *s, int status, bool head_only)
{
    struct http_route r;
    http_route_error(status, &r);
    s->close_after = true;
    s->stats->closed_after_error++;
    s->in_len = 0; /* the framing is lost: nothing after this is a request we can find */
    start_response(s, &r, head_only, false);
}

static void answer_request(struct http_session *s, const struct http_request *req, int head_len)
{
    struct http_route r;
    s->stats->requests++;
    s->progress++;
    if (s->served > 0)
        s->stats->keep_alive_reuse++;
    if (req->method == HTTP_METHOD_GET)
        s->stats->get++;
    else if (req->method == HTTP_METHOD_HEAD)
        s->stats->head++;
    http_route_request(req, &r);
    /* A client that said "Expect: 100-continue" may or may not send its body after our final
     * answer: the next bytes cannot be told apart, so the connection ends with the answer. */
    bool unread_body = req->expect_continue && req->content_length > 0;
    s->close_after = !req->keep_alive || r.status == 400 || unread_body;
    if (!req->keep_alive)
        s->stats->closed_by_request++;
    bool http10_keep = req->keep_alive && req->version_minor == 0;
    start_response(s, &r, req->method == HTTP_METHOD_HEAD, http10_keep);
    drop_input(s, (size_t)head_len);
    s->skip_body = unread_body ? 0 : req->content_length;
    if (s->in_len > s->skip_body)
        s->stats->pipelined++;
}

/* Parse and answer the next request in in[]. False when there is none yet. */
static bool next_request(struct http_session *s)
{
    if (!head_may_be_complete(s))
        return false;
    struct http_request req;
    int rc = http_parse_request(s->in, s->in_len, &s->limits, &req, NULL, 0);
    if (rc == HTTP_INCOMPLETE)
        return false;
    if (rc < 0)
        answer_error(s, -rc, req.method == HTTP_METHOD_HEAD);
    else
        answer_request(s, &req, rc);
    return true;
}

static void discard_body(struct http_session *s)
{
    size_t n = s->in_len < s->skip_body ? s->in_len : (size_t)s->skip_body;
    drop_input(s, n);
    s->skip_body -= n;
    s->stats->request_body_bytes += n;
}

/* Do everything that can be done now, in order. */
static void session_run(struct http_session *s)
{
    while (!s->closed) {
        if (s->responding) {
            if (!pump(s))
                break;
            finish_response(s);
        } else if (s->skip_body) {
            discard_body(s);
            if (s->skip_body && s->peer_eof) {
                s->stats->eof_mid_request++; /* the rest of the body will never come */
                session_close(s);
            }
            if (s->skip_body)
                break;
        } else if (s->in_len == 0 || !next_request(s)) {
            if (s->peer_eof) {
                if (s->in_len)
                    s->stats->eof_mid_request++;
                session_close(s);
            }
            break;
        }
    }
    /* Ask for refused input again once there is room for a good part of it, not per byte. */
    if (s->input_refused && !s->closed && (!s->responding || s->in_len <= sizeof(s->in) / 2)) {
        s->input_refused = false;
        s->io->resume(s->ctx);
    }
}

size_t http_session_input(struct http_session *s, const uint8_t *data, size_t len)
{
    size_t taken = 0;
    while (taken < len && !s->closed) {
        size_t room = sizeof(s->in) - s->in_len;
        if (room == 0)
            break;
        size_t n = len - taken < room ? len - taken : room;
        memcpy(s->in + s->in_len, data + taken, n);
        s->in_len += n;
        taken += n;
        session_run(s);
    }
    if (s->closed)
        return len; /* nothing more is read: what arrives is dropped */
    if (taken < len) {
        s->input_refused = true;
        s->stats->input_paused++;
    }
    return taken;
}

void http_session_close(struct http_session *s)
{
    session_close(s);
}

void http_session_writable(struct http_session *s)
{
    if (s->responding)
        session_run(s);
}

void http_session_eof(struct http_session *s)
{
    s->peer_eof = true;
    session_run(s);
}
