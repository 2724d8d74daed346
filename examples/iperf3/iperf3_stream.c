/*
 * iperf3 data streams (iperf3_stream.h). TCP senders keep the send buffer full: they write
 * until tcp_send() takes less than offered and go on from on_writable. UDP senders are paced
 * by a timer every --pacing-timer microseconds: each tick sends what the rate allows since the
 * start, as iperf3 does (at most a bounded burst per tick: a late tick is made up over the
 * next ones).
 */
#include <string.h>

#include "iperf3_stream.h"

#define TCP_CHUNK 65536u  /* bytes per tcp_send() */
#define UDP_BURST 64u     /* datagrams per stream per tick at most */
#define UDP_UNLIMITED 16u /* datagrams per stream per tick without a rate (-b 0) */

uint64_t iperf3_udp_unknown, iperf3_udp_late;

/* What senders send: iperf3 sends random bytes by default; any bytes do. */
static uint8_t payload[TCP_CHUNK];

static struct iperf3_test *test_of(struct tcp_conn *c)
{
    return tcp_user(c);
}

/* The stream of (c) in its test. */
static struct iperf3_stream *stream_of(struct tcp_conn *c)
{
    struct iperf3_test *t = test_of(c);
    for (unsigned i = 0; i < t->count; i++)
        if (t->streams[i].conn == c)
            return &t->streams[i];
    return NULL;
}

/* ---------------------------------------------------------------------------- TCP */

static void tcp_fill(struct iperf3_test *t, struct iperf3_stream *s)
{
    uint32_t chunk = t->params.len < TCP_CHUNK ? t->params.len : TCP_CHUNK;
    for (;;) {
        long n = tcp_send(s->conn, payload, chunk);
        if (n > 0)
            s->bytes += (uint64_t)n;
        if (n < (long)chunk)
            return; /* full: on_writable comes back */
    }
}

static size_t stream_data(struct tcp_conn *c, const uint8_t *data, size_t len)
{
    (void)data;
    struct iperf3_stream *s = stream_of(c);
    if (s && !s->sender && test_of(c)->phase == IPERF3_RUNNING)
        s->bytes += len;
    return len;
}

static void stream_writable(struct tcp_conn *c)
{
    struct iperf3_stream *s = stream_of(c);
    if (s && s->sender && test_of(c)->phase == IPERF3_RUNNING)
        tcp_fill(test_of(c), s);
}

static void stream_eof(struct tcp_conn *c)
{
    tcp_close(c);
}

static void stream_closed(struct tcp_conn *c, int reason)
{
    (void)reason;
    struct iperf3_stream *s = stream_of(c);
    if (s)
        s->conn = NULL;
}

static const struct tcp_callbacks stream_callbacks = {.on_data = stream_data,
                                                      .on_writable = stream_writable,
                                                      .on_eof = stream_eof,
                                                      .on_close = stream_closed};

/* After the test: whatever still comes is read and dropped until the peer closes. */
static size_t drain_data(struct tcp_conn *c, const uint8_t *data, size_t len)
{
    (void)c, (void)data;
    return len;
}

static void drain_closed(struct tcp_conn *c, int reason)
{
    (void)c, (void)reason;
}

static const struct tcp_callbacks drain_callbacks = {
    .on_data = drain_data, .on_eof = stream_eof, .on_close = drain_closed};

/* Stream k (0-based) of a test: iperf3 numbers the first 1 and the next ones from 3. */
static uint32_t stream_id(unsigned k)
{
    return k == 0 ? 1 : k + 2;
}

/* The first (parallel) streams receive, the rest send (iperf3's order in --bidir too). */
static bool stream_sends(const struct iperf3_test *t, unsigned k)
{
    if (t->params.mode == IPERF3_FORWARD)
        return false;
    if (t->params.mode == IPERF3_REVERSE)
        return true;
    return k >= t->params.parallel;
}

static struct iperf3_stream *stream_new(struct iperf3_test *t)
{
    if (t->phase != IPERF3_CREATING || t->count >= t->expected)
        return NULL;
    struct iperf3_stream *s = &t->streams[t->count];
    memset(s, 0, sizeof(*s));
    s->id = stream_id(t->count);
    s->sender = stream_sends(t, t->count);
    t->count++;
    return s;
}

bool iperf3_stream_add_tcp(struct iperf3_test *t, struct tcp_conn *c)
{
    if (t->params.udp)
        return false;
    struct iperf3_stream *s = stream_new(t);
    if (!s)
        return false;
    s->conn = c;
    tcp_set_callbacks(c, &stream_callbacks, t);
    if (t->count == t->expected)
        iperf3_streams_ready(t);
    return true;
}

/* ---------------------------------------------------------------------------- UDP */

static struct iperf3_stream *udp_find(struct iperf3_test *t, const struct udp_meta *m)
{
    for (unsigned i = 0; i < t->count; i++)
        if (t->streams[i].peer_port == m->sport && unic_addr_equal(t->streams[i].peer, m->src))
            return &t->streams[i];
    return NULL;
}

void iperf3_stream_udp_recv(struct udp_sock *sock, const struct udp_meta *m, const uint8_t *d,
                            size_t len)
{
    struct iperf3_test *t = udp_sock_user(sock);
    struct iperf3_stream *s = t->params.udp ? udp_find(t, m) : NULL;
    if (s) {
        if (!s->sender && t->phase == IPERF3_RUNNING)
            iperf3_udp_account(&s->rx, d, len, t->params.counters64, unic_wall_time());
        else
            iperf3_udp_late++; /* before the start, after the end, or to a sender */
        return;
    }
    if (!t->params.udp || !(s = stream_new(t))) {
        iperf3_udp_unknown++;
        return;
    }
    s->peer = m->src;
    s->peer_port = m->sport;
    /* The reply is the integer iperf3 writes in host order (little-endian). */
    uint32_t r = IPERF3_UDP_CONNECT_REPLY;
    uint8_t reply[4] = {(uint8_t)r, (uint8_t)(r >> 8), (uint8_t)(r >> 16), (uint8_t)(r >> 24)};
    udp_sendto(sock, m->src, m->sport, reply, sizeof(reply));
    if (t->count == t->expected)
        iperf3_streams_ready(t);
}

/* Datagrams stream (s) may have sent by (now): the rate times the time since the start. */
static uint64_t udp_due(const struct iperf3_test *t, uint64_t now)
{
    uint64_t elapsed_us = (now - t->pace_start_ns) / NSEC_PER_USEC;
    uint64_t bits_per_datagram = (uint64_t)t->params.len * 8;
    /* rate * elapsed in bit-microseconds, split to stay inside 64 bits */
    uint64_t whole = t->params.rate / 1000000 * elapsed_us;
    uint64_t part = t->params.rate % 1000000 * elapsed_us / 1000000;
    return (whole + part) / bits_per_datagram + 1; /* the first one at once */
}

static void udp_pace(struct timer *tm)
{
    struct iperf3_test *t = tm->arg;
    if (t->phase != IPERF3_RUNNING)
        return;
    uint64_t now = unic_now(), due = t->params.rate ? udp_due(t, now) : UINT64_MAX;
    for (unsigned i = 0; i < t->count; i++) {
        struct iperf3_stream *s = &t->streams[i];
        unsigned burst = t->params.rate ? UDP_BURST : UDP_UNLIMITED;
        for (unsigned n = 0; s->sender && n < burst && s->udp_seq < due; n++) {
            iperf3_udp_header(payload, t->params.counters64, s->udp_seq + 1, unic_wall_time());
            if (udp_sendto(t->udp, s->peer, s->peer_port, payload, t->params.len) < 0)
                break; /* no buffer: the next tick */
            s->udp_seq++;
            s->bytes += t->params.len;
        }
    }
    timer_arm_in(unic_timers(), &t->pace, (uint64_t)t->params.pacing_us * NSEC_PER_USEC);
}

/* ------------------------------------------------------------------------ the test */

/* -O: what was counted so far is left out of the results, which start now. */
static void omit_end(struct timer *tm)
{
    struct iperf3_test *t = tm->arg;
    for (unsigned i = 0; i < t->count; i++) {
        struct iperf3_stream *s = &t->streams[i];
        s->omitted = t->params.udp && !s->sender ? s->rx.bytes : s->bytes;
    }
    t->start_ns = unic_now();
}

void iperf3_streams_start(struct iperf3_test *t)
{
    t->start_ns = t->pace_start_ns = unic_now();
    bool udp_sender = false;
    for (unsigned i = 0; i < t->count; i++) {
        struct iperf3_stream *s = &t->streams[i];
        if (s->sender && s->conn)
            tcp_fill(t, s);
        udp_sender |= s->sender && t->params.udp;
    }
    timer_init(&t->pace, udp_pace, t);
    timer_init(&t->omit, omit_end, t);
    if (t->params.omit_s)
        timer_arm_in(unic_timers(), &t->omit, t->params.omit_s * NSEC_PER_SEC);
    if (udp_sender)
        timer_arm_in(unic_timers(), &t->pace, 0);
}

void iperf3_streams_stop(struct iperf3_test *t)
{
    timer_cancel(unic_timers(), &t->pace);
    timer_cancel(unic_timers(), &t->omit);
    for (unsigned i = 0; i < t->count; i++) {
        struct tcp_conn *c = t->streams[i].conn;
        if (!c)
            continue;
        t->streams[i].conn = NULL;
        tcp_set_callbacks(c, &drain_callbacks, NULL);
        tcp_close(c); /* a sender's queued bytes still go: the client reads them */
    }
}

void iperf3_stream_result(const struct iperf3_test *t, const struct iperf3_stream *s,
                          struct iperf3_stream_result *r)
{
    memset(r, 0, sizeof(*r));
    r->id = s->id;
    r->sender = s->sender;
    r->duration_us = (t->end_ns - t->start_ns) / NSEC_PER_USEC;
    if (s->sender) {
        r->bytes = s->bytes - s->omitted;
        r->packets = s->udp_seq;
    } else if (t->params.udp) {
        r->bytes = s->rx.bytes - s->omitted;
        r->packets = s->rx.highest;
        r->errors = s->rx.lost;
        r->jitter_ns = (uint64_t)(s->rx.jitter16_ns / 16);
    } else {
        r->bytes = s->bytes - s->omitted;
    }
}
