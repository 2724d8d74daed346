/*
 * Helpers shared by the TCP unit tests: an "app" per connection that sends a known byte
 * pattern and checks what it receives byte for byte, and a builder for raw TCP segments
 * injected onto the virtual wire.
 */
#ifndef TEST_TCP_UTIL_H
#define TEST_TCP_UTIL_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_platform.h"
#include "harness.h"
#include "unic/tcp.h"
#include "unic/wire/bytes.h"
#include "unic/wire/checksum.h"
#include "unic/wire/ip4.h"
#include "unic/wire/tcp.h"

#define ADDR_A 0x0a000001u
#define ADDR_B 0x0a000002u
#define MAX_APPS 256

/* The byte at offset (i) of a stream seeded by (seed): never periodic over short spans. */
static inline uint8_t pattern(uint32_t seed, uint64_t i)
{
    uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ seed;
    x ^= x >> 29;
    return (uint8_t)(x ^ (x >> 17) ^ (i >> 12));
}

struct app {
    struct tcp_conn *conn;
    uint32_t tx_seed, rx_seed;
    uint64_t tx_total, tx_done; /* bytes to send / sent */
    uint64_t rx_done;           /* bytes received and checked */
    uint64_t rx_bad;            /* mismatches */
    size_t consume_max;         /* per on_data call; 0 = no limit */
    bool paused;                /* paused receiving (consume_max hit, or hold) */
    bool hold;                  /* consume nothing (zero-window tests) */
    bool close_when_sent, close_on_eof, abort_on_data;
    bool eof, closed, connected, accepted;
    int close_reason, connect_err;
    unsigned writable_calls;
};

struct server {
    struct app apps[MAX_APPS];
    unsigned n;
    struct app proto; /* settings copied into each accepted app */
};

static inline void app_pump(struct app *a)
{
    uint8_t buf[4096];
    while (a->tx_done < a->tx_total) {
        uint64_t left = a->tx_total - a->tx_done;
        size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = pattern(a->tx_seed, a->tx_done + i);
        long sent = tcp_send(a->conn, buf, n);
        if (sent <= 0)
            return;
        a->tx_done += (uint64_t)sent;
    }
    if (a->close_when_sent) {
        a->close_when_sent = false;
        tcp_close(a->conn);
    }
}

static inline size_t app_on_data(struct tcp_conn *c, const uint8_t *data, size_t len)
{
    struct app *a = tcp_user(c);
    if (a->abort_on_data) {
        tcp_abort(c);
        a->closed = true;
        a->close_reason = -ECONNABORTED;
        return 0;
    }
    size_t n = a->hold ? 0 : len;
    if (a->consume_max && n > a->consume_max)
        n = a->consume_max;
    for (size_t i = 0; i < n; i++)
        if (data[i] != pattern(a->rx_seed, a->rx_done + i))
            a->rx_bad++;
    a->rx_done += n;
    if (n < len) { /* explicit backpressure: nothing more until the test resumes */
        a->paused = true;
        tcp_recv_pause(c);
    }
    return n;
}

static inline void app_on_writable(struct tcp_conn *c)
{
    struct app *a = tcp_user(c);
    a->writable_calls++;
    app_pump(a);
}

static inline void app_on_eof(struct tcp_conn *c)
{
    struct app *a = tcp_user(c);
    a->eof = true;
    if (a->close_on_eof && a->tx_done < a->tx_total)
        a->close_when_sent = true; /* finish sending first */
    else if (a->close_on_eof)
        tcp_close(c);
}

static inline void app_on_close(struct tcp_conn *c, int reason)
{
    struct app *a = tcp_user(c);
    a->closed = true;
    a->close_reason = reason;
    a->conn = NULL;
}

static const struct tcp_callbacks app_callbacks __attribute__((unused)) = {
    .on_data = app_on_data,
    .on_writable = app_on_writable,
    .on_eof = app_on_eof,
    .on_close = app_on_close,
};

static inline void app_on_connected(struct tcp_conn *c, int err)
{
    struct app *a = tcp_user(c);
    a->connect_err = err;
    if (err) {
        a->closed = true;
        a->close_reason = err;
        a->conn = NULL;
        return;
    }
    a->connected = true;
    tcp_set_callbacks(c, &app_callbacks, a);
    app_pump(a);
}

static inline void server_on_accept(struct tcp_conn *c, void *user)
{
    struct server *s = user;
    if (s->n >= MAX_APPS) {
        tcp_abort(c);
        return;
    }
    struct app *a = &s->apps[s->n++];
    *a = s->proto;
    a->conn = c;
    a->accepted = true;
    tcp_set_callbacks(c, &app_callbacks, a);
    app_pump(a);
}

/* Open (a) from stack (from) to (to_addr):(port). */
static inline void app_connect(struct app *a, struct inet *from, uint32_t to_addr, uint16_t port)
{
    int err = 0;
    a->conn = tcp_connect(from, unic_addr_ip4(to_addr), port, app_on_connected, a, &err);
    assert_int_equal(err, 0);
    assert_non_null(a->conn);
}

static inline bool app_done(void *arg)
{
    struct app *a = arg;
    return a->closed;
}

static inline bool both_closed(void *arg)
{
    struct app **p = arg;
    return p[0]->closed && p[1]->closed;
}

static inline struct harness *harness_new(const struct harness_opts *o)
{
    struct harness *h = malloc(sizeof(*h));
    assert_non_null(h);
    harness_init(h, o);
    harness_run(h, NSEC_PER_MSEC); /* gratuitous ARPs */
    return h;
}

static inline void harness_free(struct harness *h)
{
    if (getenv("TCP_DEBUG")) {
        inet_print_stats(harness_a(h), 0);
        inet_print_stats(harness_b(h), 0);
    }
    assert_int_equal(harness_destroy(h), 0); /* no buffer leaked */
    free(h);
}

/* A raw TCP segment from B's address to A (or the reverse) injected onto the wire. */
/* A bulk transfer both ways at once, client app on B to server app on A port 9, every byte
 * checked (test_tcp_transfer.c, test_tcp_tso.c). The test makes the harness (h). */
struct bulk {
    struct harness *h;
    struct server srv;
    struct app cli;
};

static inline bool bulk_done(void *arg)
{
    struct bulk *b = arg;
    return b->cli.closed && b->srv.n == 1 && b->srv.apps[0].closed;
}

/* Listen on A and connect from B; the client sends (up) bytes of pattern (cli_seed), the
 * server (down) bytes of pattern (srv_seed); each closes once it has sent all. */
static inline void bulk_start(struct bulk *b, uint64_t up, uint64_t down, uint32_t cli_seed,
                              uint32_t srv_seed)
{
    assert_non_null(tcp_listen(harness_a(b->h), 9, server_on_accept, &b->srv, NULL));
    b->srv.proto = (struct app){
        .tx_seed = srv_seed, .rx_seed = cli_seed, .tx_total = down, .close_when_sent = true};
    b->cli = (struct app){
        .tx_seed = cli_seed, .rx_seed = srv_seed, .tx_total = up, .close_when_sent = true};
    app_connect(&b->cli, harness_b(b->h), ADDR_A, 9);
}

/* Each side received all the other sent, intact, and both closed cleanly. */
static inline void bulk_check(const struct bulk *b, uint64_t up, uint64_t down)
{
    const struct app *s = &b->srv.apps[0];
    assert_int_equal(s->rx_done, up);
    assert_int_equal(b->cli.rx_done, down);
    assert_int_equal(s->rx_bad, 0);
    assert_int_equal(b->cli.rx_bad, 0);
    assert_int_equal(s->close_reason, 0);
    assert_int_equal(b->cli.close_reason, 0);
}

/* After TIME_WAIT no connection is left on either side; frees the harness. */
static inline void bulk_finish(struct bulk *b)
{
    harness_run(b->h, 121 * NSEC_PER_SEC);
    assert_int_equal(tcp_conn_count(harness_a(b->h)), 0);
    assert_int_equal(tcp_conn_count(harness_b(b->h)), 0);
    harness_free(b->h);
}

struct raw_seg {
    uint32_t src, dst;
    struct tcp_hdr h;
    const uint8_t *payload;
    size_t len;
};

static inline void inject_segment(struct harness *hs, enum harness_side to, const struct raw_seg *s)
{
    uint8_t f[1600];
    const uint8_t mac_to[6] = {0x02, 0, 0, 0, 0, (uint8_t)(to + 1)};
    const uint8_t mac_from[6] = {0x02, 0, 0, 0, 0, (uint8_t)(2 - to)};
    memcpy(f, mac_to, 6);
    memcpy(f + 6, mac_from, 6);
    wr16(f + 12, 0x0800);
    uint8_t *t = f + 14 + 20;
    int hl = tcp_emit(t, 60, &s->h);
    assert_true(hl >= 20);
    if (s->len)
        memcpy(t + hl, s->payload, s->len);
    size_t tl = (size_t)hl + s->len;
    tcp_set_checksum(t, tl, s->src, s->dst);
    struct ip4_hdr ip = {.total_len = (uint16_t)(20 + tl),
                         .ttl = 64,
                         .proto = IP4_PROTO_TCP,
                         .src = s->src,
                         .dst = s->dst};
    ip4_emit(f + 14, 20, &ip);
    harness_inject(hs, to, f, 14 + 20 + tl);
}

/* A TCP segment seen by the tap. */
struct seen {
    struct tcp_hdr h;
    uint32_t src, dst, len; /* len: payload bytes */
    const uint8_t *payload;
};

static inline bool parse_seen(const struct netbuf *nb, struct seen *s)
{
    const uint8_t *ip = nb->data + 14;
    if (nb->len < 14 + 20 + 20 || ip[9] != IP4_PROTO_TCP)
        return false;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4, total = rd16(ip + 2);
    if (total > nb->len - 14 || total < ihl + 20 || tcp_parse(ip + ihl, total - ihl, &s->h) < 0)
        return false;
    s->src = rd32(ip + 12);
    s->dst = rd32(ip + 16);
    s->len = (uint32_t)(total - ihl - s->h.hdr_len);
    s->payload = ip + ihl + s->h.hdr_len;
    return true;
}

/* Put (s), changed, on the wire in place of the frame the tap drops. */
static inline void resend_seen(struct harness *h, enum harness_side from, const struct seen *s)
{
    struct raw_seg r = {.src = s->src, .dst = s->dst, .h = s->h, .payload = s->payload};
    r.len = s->len;
    inject_segment(h, from == SIDE_A ? SIDE_B : SIDE_A, &r);
}

#endif
