/*
 * The stack's own CPU cost, without a real network: two unic stacks on the virtual wire of the
 * unit tests (tests/unit/harness.c) move (mb) MB over TCP from A to B, then from B to A, then
 * send a burst of UDP datagrams from A to B. Every byte is checked at the receiver.
 *
 *   bench_stack [--mb N] [--udp N] [--udp-size N] [--loss PERCENT] [--collect all|rx|tx]
 *
 * Under valgrind --tool=callgrind (bench/stack/run) each phase ends with a dump named after it,
 * so instruction counts per phase are exact and repeatable. --collect picks what is counted:
 *   all  everything the process does in the phase (both stacks, timers, the virtual wire);
 *   rx   only the receiving stack's input processing (and its flush), i.e. unic as a sink;
 *   tx   only the sending stack's input processing (ACKs, which trigger the application's
 *        sends) and its flush, i.e. unic as a source.
 * --loss drops that share of the frames each way (seeded: the same frames every run), which
 * exercises recovery (SACK, retransmissions); there is no UDP phase then. Plain runs print the
 * wall-clock rate of each phase. One line per phase on stdout: phase=NAME bytes=N segments=N
 * datagrams=N seconds=S
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_platform.h"
#include "harness.h"
#include "unic/tcp.h"
#include "unic/timer.h"
#include "unic/udp.h"

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_DUMP_STATS_AT
#define CALLGRIND_DUMP_STATS_AT(name) ((void)(name))
#define CALLGRIND_ZERO_STATS ((void)0)
#define CALLGRIND_TOGGLE_COLLECT ((void)0)
#endif

#define ADDR_A 0x0a000001u
#define ADDR_B 0x0a000002u
#define PORT 9
#define PATTERN_SIZE 65536 /* a power of two; the stream repeats it */
#define RUN_LIMIT_NS (3600 * NSEC_PER_SEC)

enum collect { COLLECT_ALL, COLLECT_RX, COLLECT_TX };

struct options {
    unsigned mb, udp_count, udp_size;
    double loss; /* 0..1 */
    enum collect collect;
};

/* One transfer (or datagram burst) from side (from) to the other. */
struct flow {
    struct harness *h;
    enum harness_side from;
    enum collect collect;
    bool collecting;
    struct tcp_conn *tx_conn, *rx_conn;
    uint64_t total, sent, received, bad, datagrams;
    bool tx_shut, rx_closed, tx_closed;
};

static uint8_t stream_pattern[2 * PATTERN_SIZE];

static void pattern_init(void)
{
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < PATTERN_SIZE; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        stream_pattern[i] = stream_pattern[i + PATTERN_SIZE] = (uint8_t)x;
    }
}

static const uint8_t *pattern_at(uint64_t offset)
{
    return stream_pattern + (offset & (PATTERN_SIZE - 1));
}

/* Count only what the chosen side does: callgrind's collection is toggled around it. */
static void collect_side(struct flow *f, enum harness_side side, bool on)
{
    bool wanted = (f->collect == COLLECT_RX && side != f->from) ||
                  (f->collect == COLLECT_TX && side == f->from);
    if (wanted && f->collecting != on) {
        CALLGRIND_TOGGLE_COLLECT;
        f->collecting = on;
    }
}

static void flush_side(struct harness *h, enum harness_side side)
{
    for (struct inet_module *m = h->stack[side].modules; m; m = m->next)
        if (m->flush)
            m->flush(&h->stack[side]);
}

/* Deliver one frame due by now; false if none. Its receiver's processing may be counted. */
static bool deliver_one(struct flow *f)
{
    struct harness *h = f->h;
    struct harness_frame *fr = h->wire_head;
    if (!fr || fr->due > h->timers.now)
        return false;
    h->wire_head = fr->next;
    if (!h->wire_head)
        h->wire_tail = NULL;
    enum harness_side to = fr->to;
    struct netbuf *nb = fr->nb;
    free(fr);
    collect_side(f, to, true);
    inet_input(&h->stack[to], nb);
    flush_side(h, to);
    collect_side(f, to, false);
    return true;
}

/* The harness's loop (harness_run_until) with per-side collection. */
static bool run_until(struct flow *f, bool (*done)(const struct flow *f))
{
    struct harness *h = f->h;
    uint64_t end = h->timers.now + RUN_LIMIT_NS;
    for (;;) {
        while (deliver_one(f))
            ;
        if (done(f))
            return true;
        uint64_t next = timer_queue_next(&h->timers);
        if (h->wire_head && h->wire_head->due < next)
            next = h->wire_head->due;
        if (next > end)
            return false;
        fake_clock_set(next);
        timer_queue_run(&h->timers, next);
    }
}

static void tcp_pump(struct flow *f)
{
    if (f->tx_shut)
        return;
    while (f->sent < f->total) {
        uint64_t left = f->total - f->sent;
        size_t n = left < PATTERN_SIZE ? (size_t)left : PATTERN_SIZE;
        long sent = tcp_send(f->tx_conn, pattern_at(f->sent), n);
        if (sent <= 0)
            return;
        f->sent += (uint64_t)sent;
    }
    tcp_close(f->tx_conn);
    f->tx_shut = true;
}

static size_t on_data(struct tcp_conn *c, const uint8_t *data, size_t len)
{
    struct flow *f = tcp_user(c);
    for (size_t done = 0; done < len;) { /* the pattern holds PATTERN_SIZE bytes at any offset */
        size_t n = len - done < PATTERN_SIZE ? len - done : PATTERN_SIZE;
        if (memcmp(data + done, pattern_at(f->received + done), n) != 0)
            f->bad++;
        done += n;
    }
    f->received += len;
    return len;
}

static void on_writable(struct tcp_conn *c)
{
    tcp_pump(tcp_user(c));
}

static void on_eof(struct tcp_conn *c)
{
    tcp_close(c);
}

static void on_close(struct tcp_conn *c, int reason)
{
    struct flow *f = tcp_user(c);
    if (reason)
        fprintf(stderr, "bench_stack: connection closed with %d\n", reason);
    if (c == f->rx_conn)
        f->rx_closed = true;
    else
        f->tx_closed = true;
}

static const struct tcp_callbacks flow_callbacks = {on_data, on_writable, on_eof, on_close};

static void on_accept(struct tcp_conn *c, void *user)
{
    struct flow *f = user;
    f->rx_conn = c;
    tcp_set_callbacks(c, &flow_callbacks, f);
}

static void on_connected(struct tcp_conn *c, int err)
{
    struct flow *f = tcp_user(c);
    if (err) {
        fprintf(stderr, "bench_stack: connect failed: %d\n", err);
        exit(1);
    }
    tcp_set_callbacks(c, &flow_callbacks, f);
    tcp_pump(f);
}

static bool tcp_done(const struct flow *f)
{
    return f->rx_closed && f->tx_closed;
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const char *phase, const struct flow *f, uint64_t segments, double seconds)
{
    printf("phase=%s bytes=%llu segments=%llu datagrams=%llu seconds=%.6f\n", phase,
           (unsigned long long)f->received, (unsigned long long)segments,
           (unsigned long long)f->datagrams, seconds);
    if (f->bad) {
        fprintf(stderr, "bench_stack: %s: %llu corrupted deliveries\n", phase,
                (unsigned long long)f->bad);
        exit(1);
    }
}

static void tcp_phase(struct harness *h, enum harness_side from, const struct options *o,
                      const char *phase)
{
    struct flow f = {.h = h, .from = from, .collect = o->collect};
    f.total = (uint64_t)o->mb * 1000 * 1000;
    uint64_t expected = f.total;
    struct inet *tx = &h->stack[from], *rx = &h->stack[from == SIDE_A ? SIDE_B : SIDE_A];
    uint32_t rx_addr = from == SIDE_A ? ADDR_B : ADDR_A;
    int64_t segments_before = tcp_stat(tx, "tx_data_segments");
    int err = 0;
    CALLGRIND_ZERO_STATS;
    double t0 = seconds_now();
    struct tcp_listener *l = tcp_listen(rx, PORT, on_accept, &f, &err);
    f.tx_conn = tcp_connect(tx, unic_addr_ip4(rx_addr), PORT, on_connected, &f, &err);
    if (!l || !f.tx_conn) {
        fprintf(stderr, "bench_stack: listen/connect: %d\n", err);
        exit(1);
    }
    bool ok = run_until(&f, tcp_done);
    double t1 = seconds_now();
    CALLGRIND_DUMP_STATS_AT(phase);
    tcp_unlisten(l);
    if (!ok || f.received != expected) {
        fprintf(stderr, "bench_stack: %s: received %llu of %llu\n", phase,
                (unsigned long long)f.received, (unsigned long long)expected);
        exit(1);
    }
    report(phase, &f, (uint64_t)(tcp_stat(tx, "tx_data_segments") - segments_before), t1 - t0);
}

static void on_datagram(struct udp_sock *s, const struct udp_meta *m, const uint8_t *data,
                        size_t len)
{
    struct flow *f = udp_sock_user(s);
    (void)m;
    if (memcmp(data, pattern_at(f->datagrams), len) != 0)
        f->bad++;
    f->received += len;
    f->datagrams++;
}

static bool udp_done(const struct flow *f)
{
    return f->h->wire_head == NULL;
}

/* (count) datagrams of (size) bytes, sent in rounds small enough for the buffer pool. */
static void udp_phase(struct harness *h, const struct options *o)
{
    struct flow f = {.h = h, .from = SIDE_A, .collect = o->collect};
    int err = 0;
    struct udp_sock *rx = udp_bind(harness_b(h), PORT, on_datagram, &f, &err);
    struct udp_sock *tx = udp_bind(harness_a(h), 0, NULL, NULL, &err);
    if (!rx || !tx) {
        fprintf(stderr, "bench_stack: udp_bind: %d\n", err);
        exit(1);
    }
    CALLGRIND_ZERO_STATS;
    double t0 = seconds_now();
    for (unsigned sent = 0; sent < o->udp_count;) {
        for (unsigned round = 0; round < 256 && sent < o->udp_count; round++, sent++) {
            collect_side(&f, SIDE_A, true);
            err = udp_sendto(tx, unic_addr_ip4(ADDR_B), PORT, pattern_at(sent), o->udp_size);
            collect_side(&f, SIDE_A, false);
            if (err < 0) {
                fprintf(stderr, "bench_stack: udp_sendto: %d\n", err);
                exit(1);
            }
        }
        run_until(&f, udp_done);
    }
    double t1 = seconds_now();
    CALLGRIND_DUMP_STATS_AT("udp_a_to_b");
    udp_close(rx);
    udp_close(tx);
    if (f.datagrams != o->udp_count) {
        fprintf(stderr, "bench_stack: udp: %llu of %u datagrams\n", (unsigned long long)f.datagrams,
                o->udp_count);
        exit(1);
    }
    report("udp_a_to_b", &f, 0, t1 - t0);
}

static unsigned parse_count(const char *s, unsigned max)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v == 0 || v > max) {
        fprintf(stderr, "bench_stack: bad count '%s' (1..%u)\n", s, max);
        exit(2);
    }
    return (unsigned)v;
}

static void parse_options(int argc, char **argv, struct options *o)
{
    *o = (struct options){.mb = 32, .udp_count = 20000, .udp_size = 1400};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!val) {
            fprintf(stderr, "usage: bench_stack [--mb N] [--udp N] [--udp-size N] "
                            "[--loss PERCENT] [--collect all|rx|tx]\n");
            exit(2);
        }
        i++;
        if (strcmp(arg, "--mb") == 0)
            o->mb = parse_count(val, 100000);
        else if (strcmp(arg, "--udp") == 0)
            o->udp_count = parse_count(val, 10000000);
        else if (strcmp(arg, "--udp-size") == 0)
            o->udp_size = parse_count(val, 1472);
        else if (strcmp(arg, "--loss") == 0)
            o->loss = parse_count(val, 50) / 100.0;
        else if (strcmp(arg, "--collect") == 0 && strcmp(val, "all") == 0)
            o->collect = COLLECT_ALL;
        else if (strcmp(arg, "--collect") == 0 && strcmp(val, "rx") == 0)
            o->collect = COLLECT_RX;
        else if (strcmp(arg, "--collect") == 0 && strcmp(val, "tx") == 0)
            o->collect = COLLECT_TX;
        else {
            fprintf(stderr, "bench_stack: unknown option %s %s\n", arg, val);
            exit(2);
        }
    }
}

int main(int argc, char **argv)
{
    struct options o;
    parse_options(argc, argv, &o);
    pattern_init();
    struct harness *h = malloc(sizeof(*h));
    if (!h)
        return 1;
    struct harness_opts ho = {0};
    for (int s = 0; s < 2; s++)
        ho.fault[s] = (struct fault_config){
            .loss_ppb = FAULT_PPB(o.loss), .seeded = true, .seed = 1000 + (uint64_t)s};
    harness_init(h, &ho);
    harness_run(h, NSEC_PER_MSEC); /* gratuitous ARPs */
    tcp_phase(h, SIDE_A, &o, "tcp_a_to_b");
    tcp_phase(h, SIDE_B, &o, "tcp_b_to_a");
    if (o.loss == 0) /* lost datagrams stay lost: nothing to measure but the loss */
        udp_phase(h, &o);
    size_t leaked = harness_destroy(h);
    free(h);
    if (leaked) {
        fprintf(stderr, "bench_stack: %zu buffers leaked\n", leaked);
        return 1;
    }
    return 0;
}
