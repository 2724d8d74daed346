/*
 * Helpers shared by the TCP unit tests: an "app" per connection that sends a known byte
 * pattern and checks what it receives byte for byte, and a builder for raw TCP segments
 * injected onto the virtual wire. Part of the test-support library (test_tcp_util.c).
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
#include "tcp_test.h"
#include "unic/tcp.h"
#include "unic/wire/bytes.h"
#include "unic/wire/checksum.h"
#include "unic/wire/ip4.h"
#include "unic/wire/tcp.h"

#define ADDR_A 0x0a000001u
#define ADDR_B 0x0a000002u
#define MAX_APPS 256

/* The byte at offset (i) of a stream seeded by (seed): never periodic over short spans. */
uint8_t pattern(uint32_t seed, uint64_t i);

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

/* Send the rest of (a)'s pattern as far as TCP takes it; close once all is sent if asked. */
void app_pump(struct app *a);

/* The callbacks of an app (app_callbacks): on_data checks the pattern (consuming at most
 * consume_max, nothing while hold), on_writable pumps, on_eof closes if close_on_eof. */
size_t app_on_data(struct tcp_conn *c, const uint8_t *data, size_t len);
void app_on_writable(struct tcp_conn *c);
void app_on_eof(struct tcp_conn *c);
void app_on_close(struct tcp_conn *c, int reason);
extern const struct tcp_callbacks app_callbacks;

/* tcp_connect's callback for an app (the user pointer); tcp_listen's for a struct server:
 * each accepted connection gets an app copied from the server's proto. */
void app_on_connected(struct tcp_conn *c, int err);
void server_on_accept(struct tcp_conn *c, void *user);

/* Open (a) from stack (from) to (to_addr):(port). */
void app_connect(struct app *a, struct inet *from, uint32_t to_addr, uint16_t port);

/* harness_run_until conditions: the app (arg) closed; both apps of (struct app *[2]) closed. */
bool app_done(void *arg);
bool both_closed(void *arg);

/* A harness on the heap, past the gratuitous ARPs; freed with a check that no buffer leaked
 * (TCP_DEBUG=1 prints both stacks' counters first). */
struct harness *harness_new(const struct harness_opts *o);
void harness_free(struct harness *h);

/* A bulk transfer both ways at once, client app on B to server app on A port 9, every byte
 * checked (test_tcp_transfer.c, test_tcp_tso.c). The test makes the harness (h). */
struct bulk {
    struct harness *h;
    struct server srv;
    struct app cli;
};

/* harness_run_until condition: both sides of (struct bulk *) closed. */
bool bulk_done(void *arg);

/* Listen on A and connect from B; the client sends (up) bytes of pattern (cli_seed), the
 * server (down) bytes of pattern (srv_seed); each closes once it has sent all. */
void bulk_start(struct bulk *b, uint64_t up, uint64_t down, uint32_t cli_seed, uint32_t srv_seed);

/* Each side received all the other sent, intact, and both closed cleanly. */
void bulk_check(const struct bulk *b, uint64_t up, uint64_t down);

/* After TIME_WAIT no connection is left on either side; frees the harness. */
void bulk_finish(struct bulk *b);

/* A raw TCP segment from B's address to A (or the reverse), injected onto the wire. */
struct raw_seg {
    uint32_t src, dst;
    struct tcp_hdr h;
    const uint8_t *payload;
    size_t len;
};

void inject_segment(struct harness *hs, enum harness_side to, const struct raw_seg *s);

/* A TCP segment seen by the tap. */
struct seen {
    struct tcp_hdr h;
    uint32_t src, dst, len; /* len: payload bytes */
    const uint8_t *payload;
};

bool parse_seen(const struct netbuf *nb, struct seen *s);

/* Put (s), changed, on the wire in place of the frame the tap drops. */
void resend_seen(struct harness *h, enum harness_side from, const struct seen *s);

#endif
