/*
 * Heap held per TIME_WAIT connection (docs/tcp-memory.md), on the unit tests' virtual wire (no
 * real network, no root): N clients on stack B connect to stack A, 100 at a time, and close
 * at once, so B holds N connections in TIME_WAIT (A closes on EOF and keeps nothing). glibc's
 * heap in use (mallinfo2: uordblks + hblkhd, so mmapped tables count) is read before the first
 * of them, with all N in TIME_WAIT, and after they expire:
 *
 *   build/hosted/bench/bench_time_wait [N]     (default 10000, at most 16000: one port each)
 *
 * prints per_tw (growth / N: entries and their share of the table) and released (what their
 * expiry gave back / N).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "unic/tcp.h"

#define ADDR_A 0x0a000001u
#define BATCH 100

static unsigned n_closed;

static size_t take_all(struct tcp_conn *c, const uint8_t *d, size_t n)
{
    (void)c, (void)d;
    return n;
}

static void srv_eof(struct tcp_conn *c)
{
    tcp_close(c);
}

static void srv_close(struct tcp_conn *c, int reason)
{
    (void)c, (void)reason;
}

static const struct tcp_callbacks srv_cb = {
    .on_data = take_all, .on_eof = srv_eof, .on_close = srv_close};

static void on_accept(struct tcp_conn *c, void *user)
{
    (void)user;
    tcp_set_callbacks(c, &srv_cb, NULL);
}

static void cli_close(struct tcp_conn *c, int reason)
{
    (void)c, (void)reason;
    n_closed++;
}

static const struct tcp_callbacks cli_cb = {.on_data = take_all, .on_close = cli_close};

static void cli_connected(struct tcp_conn *c, int err)
{
    if (err) {
        n_closed++;
        return;
    }
    tcp_set_callbacks(c, &cli_cb, NULL);
    tcp_close(c); /* the client closes first: TIME_WAIT is on B */
}

static bool all_closed(void *arg)
{
    return n_closed >= *(const unsigned *)arg;
}

static size_t heap_in_use(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

/* Open and close (k) more connections, (batch) at a time. */
static void close_many(struct harness *h, unsigned k)
{
    unsigned target = n_closed;
    for (unsigned i = 0; i < k; i += BATCH) {
        unsigned b = k - i < BATCH ? k - i : BATCH;
        for (unsigned j = 0; j < b; j++)
            if (!tcp_connect(harness_b(h), unic_addr_ip4(ADDR_A), 80, cli_connected, NULL, NULL))
                n_closed++;
        target += b;
        if (!harness_run_until(h, all_closed, &target, 10 * NSEC_PER_SEC)) {
            fprintf(stderr, "bench_time_wait: connections did not close\n");
            exit(2);
        }
    }
    harness_run(h, 100 * NSEC_PER_MSEC);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10000;
    if (n < 1 || n > 16000) {
        fprintf(stderr, "usage: bench_time_wait [N: 1..16000]\n");
        return 2;
    }
    static struct harness h;
    harness_init(&h, &(struct harness_opts){0});
    harness_run(&h, NSEC_PER_SEC);
    struct tcp_params p;
    tcp_default_params(&p);
    p.max_conns = 100000;
    if (tcp_configure(harness_a(&h), &p) < 0 || tcp_configure(harness_b(&h), &p) < 0 ||
        !tcp_listen(harness_a(&h), 80, on_accept, NULL, NULL)) {
        fprintf(stderr, "bench_time_wait: cannot set up TCP\n");
        return 2;
    }
    close_many(&h, 1); /* warm-up: what one connection allocates once and keeps */
    harness_run(&h, 61 * NSEC_PER_SEC);
    malloc_trim(0);
    size_t before = heap_in_use();
    close_many(&h, (unsigned)n);
    size_t with_tw = heap_in_use();
    int64_t tw = tcp_stat(harness_b(&h), "conn_time_wait");
    harness_run(&h, 61 * NSEC_PER_SEC);
    size_t after = heap_in_use();
    if (tw != n || tcp_conn_count(harness_a(&h)) + tcp_conn_count(harness_b(&h)) != 0) {
        fprintf(stderr, "bench_time_wait: %lld in TIME_WAIT of %ld, %u left after\n", (long long)tw,
                n, tcp_conn_count(harness_a(&h)) + tcp_conn_count(harness_b(&h)));
        return 2;
    }
    printf("n=%ld time_wait=%lld per_tw=%.1f released=%.1f heap_before=%zu with_tw=%zu "
           "after=%zu\n",
           n, (long long)tw, (double)(with_tw - before) / (double)n,
           (double)(with_tw - after) / (double)n, before, with_tw, after);
    return harness_destroy(&h) == 0 ? 0 : 2;
}
