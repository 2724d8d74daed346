/*
 * Stateful libFuzzer harness for TCP. Stack A listens on port 80 and holds an established
 * connection from stack B (which keeps sending a known byte stream). The input is a sequence of
 * records, each turned into a TCP segment injected towards A "from B":
 *
 *   byte 0     target: bits 0-1 pick the tuple (0,1: the established connection, 2: a new port
 *              to the listener, 3: a closed port); bit 2: seq/ack relative to the connection;
 *              bits 3 and 7 both set: A closes that connection first (B closes once it has
 *              sent all), so that it ends in TIME_WAIT and the records that follow, on its
 *              tuple, meet a TIME_WAIT entry
 *   byte 1     flags
 *   bytes 2-3  seq (relative: a signed offset from rcv_nxt)
 *   bytes 4-5  ack (relative: a signed offset from snd_una)
 *   byte 6     window (<< 8)
 *   byte 7     option bytes n (0..40), then n bytes of raw options
 *   byte       payload length m, then m bytes
 *   byte       clock step (x 1 ms)
 *
 * After every step A's connections must keep their invariants (sequence variables ordered,
 * buffers and range lists in bounds, connection count bounded, TIME_WAIT entries in order). At the
 * end the listener must still accept a fresh connection that moves data intact, and, once the
 * stacks are torn down, every packet buffer must be back in its pool.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/net/tcp_internal.h"
#include "fake_platform.h"
#include "harness.h"
#include "tcp_test.h"
#include "unic/tcp.h"
#include "unic/wire/bytes.h"
#include "unic/wire/ip4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ADDR_A 0x0a000001u
#define ADDR_B 0x0a000002u

struct peer {
    struct tcp_conn *conn;
    uint64_t sent, got;
    bool bad, closed, connected, eof;
};

static struct tcp_conn *accepted;
static struct peer server_side;

static uint8_t pattern(uint64_t i)
{
    return (uint8_t)(i * 131 + (i >> 9));
}

static size_t srv_data(struct tcp_conn *c, const uint8_t *d, size_t n)
{
    struct peer *p = tcp_user(c);
    for (size_t i = 0; i < n; i++)
        if (d[i] != pattern(p->got + i))
            p->bad = true;
    p->got += n;
    return n;
}

static void srv_close(struct tcp_conn *c, int reason)
{
    (void)reason;
    struct peer *p = tcp_user(c);
    p->closed = true;
    if (c == accepted)
        accepted = NULL;
}

static const struct tcp_callbacks srv_cb = {.on_data = srv_data, .on_close = srv_close};

static void on_accept(struct tcp_conn *c, void *user)
{
    (void)user;
    if (accepted) { /* later connections (fuzzed or the final check) get their own record */
        static struct peer extra;
        extra = (struct peer){.conn = c};
        tcp_set_callbacks(c, &srv_cb, &extra);
        return;
    }
    accepted = c;
    server_side = (struct peer){.conn = c};
    tcp_set_callbacks(c, &srv_cb, &server_side);
}

static void cli_pump(struct peer *p)
{
    uint8_t buf[2048];
    while (p->conn && p->sent < 60000) {
        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = pattern(p->sent + i);
        long n = tcp_send(p->conn, buf, sizeof(buf));
        if (n <= 0)
            return;
        p->sent += (uint64_t)n;
    }
    if (p->conn && p->eof && p->sent >= 60000)
        tcp_close(p->conn);
}

static void cli_writable(struct tcp_conn *c)
{
    cli_pump(tcp_user(c));
}

static void cli_close(struct tcp_conn *c, int reason)
{
    (void)reason;
    struct peer *p = tcp_user(c);
    p->closed = true;
    p->conn = NULL;
}

static void cli_eof(struct tcp_conn *c)
{
    struct peer *p = tcp_user(c);
    p->eof = true;
    cli_pump(p); /* closes once all is sent */
}

static const struct tcp_callbacks cli_cb = {
    .on_writable = cli_writable, .on_eof = cli_eof, .on_close = cli_close};

static void cli_connected(struct tcp_conn *c, int err)
{
    struct peer *p = tcp_user(c);
    if (err) {
        p->closed = true;
        p->conn = NULL;
        return;
    }
    p->connected = true;
    tcp_set_callbacks(c, &cli_cb, p);
    cli_pump(p);
}

static void check_conn(const struct tcp_conn *c)
{
    if (c->state == TCP_CLOSED || c->state == TCP_TIME_WAIT)
        return;
    if (c->state >= TCP_ESTABLISHED &&
        (seq_gt(c->snd_una, c->snd_nxt) || seq_gt(c->snd_nxt, c->snd_max)))
        abort();
    if (c->snd.len > c->snd.size || c->rcv.len > c->rcv.size)
        abort();
    if (c->n_ooo > TCP_MAX_OOO_RANGES || c->n_sacked > TCP_MAX_SCOREBOARD)
        abort();
    for (unsigned i = 0; i < c->n_ooo; i++) {
        uint32_t edge = c->rcv_nxt + (c->rcv.size - c->rcv.len);
        if (!seq_gt(c->ooo[i].start, c->rcv_nxt) || !seq_lt(c->ooo[i].start, c->ooo[i].end) ||
            seq_gt(c->ooo[i].end, edge))
            abort();
        if (i && !seq_lt(c->ooo[i - 1].end, c->ooo[i].start))
            abort();
    }
    for (unsigned i = 0; i < c->n_sacked; i++)
        if (seq_lt(c->sacked[i].start, c->snd_una) || seq_gt(c->sacked[i].end, c->snd_max))
            abort();
}

static void check_stack(struct inet *inet)
{
    struct tcp *tcp = inet->tcp;
    if (!tcp)
        return;
    unsigned n = 0;
    for (struct tcp_conn *c = tcp->all; c; c = c->all_next, n++)
        check_conn(c);
    if (n != tcp->n_conns || n > tcp->params.max_conns)
        abort();
    /* TIME_WAIT entries: on their list in order of expiry, counted, within max_conns. */
    unsigned n_tw = 0;
    for (const struct tcp_tw *tw = tcp->tw_head; tw; tw = tw->newer, n_tw++)
        if ((tw->newer && tw->newer->expires < tw->expires) ||
            tcp_tw_lookup(tcp, tcp_tuple_hash(tcp, tw->laddr, tw->lport, tw->raddr, tw->rport),
                          tw->laddr, tw->lport, tw->raddr, tw->rport) != tw)
            abort();
    if (n_tw != tcp->n_tw || n + n_tw > tcp->params.max_conns)
        abort();
}

static size_t inject(struct harness *h, const uint8_t *d, size_t size)
{
    if (size < 8)
        return size;
    uint8_t target = d[0];
    if ((target & 0x88) == 0x88 && accepted)
        tcp_close(accepted);
    size_t at = 8, nopt = d[7] % 41;
    nopt &= ~(size_t)3;
    if (at + nopt + 1 > size)
        return size;
    const uint8_t *opts = d + at;
    at += nopt;
    size_t m = d[at++];
    if (at + m + 1 > size)
        m = size - at > 0 ? size - at - 1 : 0;
    const uint8_t *payload = d + at;
    at += m;
    uint8_t step = at < size ? d[at++] : 0;

    uint8_t f[14 + 20 + 60 + 256];
    uint8_t *t = f + 34;
    uint16_t sport = 40000, dport = 80;
    uint32_t seq = (uint32_t)rd16(d + 2) << 16 | rd16(d + 4), ack = rd16(d + 4) * 65537u;
    struct tcp_conn *c = accepted;
    switch (target & 3) {
    case 0:
    case 1:
        if (c)
            sport = c->rport;
        break;
    case 2:
        sport = (uint16_t)(1000 + d[2]);
        break;
    default:
        dport = (uint16_t)(81 + d[3]);
    }
    if ((target & 4) && c) {
        seq = c->rcv_nxt + (uint32_t)(int32_t)(int16_t)rd16(d + 2);
        ack = c->snd_una + (uint32_t)(int32_t)(int16_t)rd16(d + 4);
    }
    memset(f, 0, 34);
    memcpy(f, (uint8_t[6]){0x02, 0, 0, 0, 0, 1}, 6);
    memcpy(f + 6, (uint8_t[6]){0x02, 0, 0, 0, 0, 2}, 6);
    wr16(f + 12, 0x0800);
    wr16(t, sport);
    wr16(t + 2, dport);
    wr32(t + 4, seq);
    wr32(t + 8, ack);
    t[12] = (uint8_t)(((20 + nopt) / 4) << 4);
    t[13] = d[1];
    wr16(t + 14, (uint16_t)(d[6] << 8 | 0xff));
    wr32(t + 16, 0);
    memcpy(t + 20, opts, nopt);
    memcpy(t + 20 + nopt, payload, m);
    size_t tl = 20 + nopt + m;
    tcp_set_checksum(t, tl, ADDR_B, ADDR_A);
    struct ip4_hdr ip = {.total_len = (uint16_t)(20 + tl),
                         .ttl = 64,
                         .proto = IP4_PROTO_TCP,
                         .src = ADDR_B,
                         .dst = ADDR_A};
    ip4_emit(f + 14, 20, &ip);
    harness_inject(h, SIDE_A, f, 34 + tl);
    harness_run(h, (uint64_t)step * NSEC_PER_MSEC + 10 * NSEC_PER_USEC);
    return at;
}

/* The listener must still work: a new connection carries 50 kB intact. */
static void final_check(struct harness *h)
{
    struct peer cli = {0};
    accepted = NULL;
    int err;
    cli.conn = tcp_connect(harness_b(h), unic_addr_ip4(ADDR_A), 80, cli_connected, &cli, &err);
    if (!cli.conn)
        abort();
    harness_run(h, 5 * NSEC_PER_SEC);
    if (!cli.connected || !accepted)
        abort();
    if (server_side.bad || server_side.got < 50000)
        abort();
    if (cli.conn)
        tcp_abort(cli.conn);
    harness_run(h, NSEC_PER_SEC);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct harness h;
    static const struct harness_opts opts = {.pool_buffers = 512};
    harness_init(&h, &opts);
    struct tcp_params p;
    tcp_default_params(&p);
    p.snd_buf = p.rcv_buf = 32768;
    p.max_conns = 64;
    p.syn_backlog = 8;
    tcp_configure(harness_a(&h), &p);
    tcp_configure(harness_b(&h), &p);
    accepted = NULL;
    if (!tcp_listen(harness_a(&h), 80, on_accept, NULL, NULL))
        abort();
    struct peer cli = {0};
    tcp_test_force_port(harness_b(&h), 40000);
    cli.conn = tcp_connect(harness_b(&h), unic_addr_ip4(ADDR_A), 80, cli_connected, &cli, NULL);
    harness_run(&h, 5 * NSEC_PER_MSEC);
    size_t at = 0;
    while (at < size) {
        at += inject(&h, data + at, size - at);
        check_stack(harness_a(&h));
        check_stack(harness_b(&h));
    }
    if (cli.conn)
        tcp_abort(cli.conn);
    final_check(&h);
    if (harness_destroy(&h) != 0)
        abort(); /* a leaked buffer */
    return 0;
}
