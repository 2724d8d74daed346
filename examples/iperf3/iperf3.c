/*
 * iperf3: a server for the stock iperf3 client (ESnet iperf 3.x), TCP and UDP on port 5201.
 *
 *   iperf3 --tap IF --ip A.B.C.D/N [-- [--port N] [--sndbuf BYTES] [--rcvbuf BYTES]]
 *   iperf3 -c A.B.C.D [-t S | -n BYTES] [-l LEN] [-P N] [-R | --bidir] [-u -b RATE] [-J]
 *
 * One test at a time, as iperf3 -s: a client that connects while a test runs gets
 * ACCESS_DENIED. The control connection is read with the TCP receive semantics of tcp.h:
 * on_data returns 0 until a whole message (a state byte, or a length and its JSON) is there.
 * A message that is malformed, unexpected in the test's phase, or a test that stops making
 * progress ends that test (its connections closed, counted in tests_failed); the server then
 * serves the next client. The protocol's messages are in iperf3_proto.c, the streams in
 * iperf3_stream.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iperf3_proto.h"
#include "iperf3_stream.h"
#include "unic.h"
#include "unic/tcp.h"
#include "unic/udp.h"

#define SETUP_LIMIT_S 30 /* for each step before and after the data phase */
#define STALL_LIMIT_S 30 /* a data phase without a byte counted ends the test */
#define TIME_SLACK_S 60  /* beyond -t (and -O) before the test is ended */
#define MAX_PENDING 64   /* connections that have not sent their cookie yet */

static struct iperf3_test test;
static struct timer guard; /* bounds the current phase */
static uint64_t guard_bytes;
static unsigned pending;
static uint64_t tests, tests_ok, tests_failed, denied, bad_messages, streams_total;
static uint64_t rx_bytes, tx_bytes, client_bytes, udp_lost, udp_packets;

static const char *const phase_names[] = {"idle",    "parameters", "creating streams",
                                          "running", "results",    "done"};

/* ------------------------------------------------------------------ end of a test */

static uint64_t test_bytes(bool sent)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < test.count; i++) {
        const struct iperf3_stream *s = &test.streams[i];
        if (s->sender == sent)
            sum += test.params.udp && !sent ? s->rx.bytes : s->bytes;
    }
    return sum;
}

static size_t ctrl_discard(struct tcp_conn *c, const uint8_t *d, size_t len)
{
    (void)c, (void)d;
    return len;
}

static void ctrl_discard_eof(struct tcp_conn *c)
{
    tcp_close(c);
}

static void ctrl_discard_close(struct tcp_conn *c, int reason)
{
    (void)c, (void)reason;
}

static const struct tcp_callbacks discard_callbacks = {
    .on_data = ctrl_discard, .on_eof = ctrl_discard_eof, .on_close = ctrl_discard_close};

/* The test is over (ok: IPERF_DONE came): everything closed, the server free again. */
static void test_end(bool ok, const char *why)
{
    if (test.phase == IPERF3_IDLE)
        return;
    if (test.phase == IPERF3_RUNNING)
        test.end_ns = unic_now();
    iperf3_streams_stop(&test);
    timer_cancel(unic_timers(), &guard);
    uint64_t rx = test_bytes(false), tx = test_bytes(true);
    rx_bytes += rx;
    tx_bytes += tx;
    ok ? tests_ok++ : tests_failed++;
    unic_printf("iperf3: test %llu %s: %s %s, %u stream(s), received %llu bytes, sent %llu "
                "bytes%s%s",
                (unsigned long long)tests, ok ? "done" : "failed", test.params.udp ? "udp" : "tcp",
                test.params.mode == IPERF3_FORWARD   ? "forward"
                : test.params.mode == IPERF3_REVERSE ? "reverse"
                                                     : "bidir",
                test.count, (unsigned long long)rx, (unsigned long long)tx, ok ? "" : ": ",
                ok ? "" : why);
    if (test.ctrl) {
        tcp_set_callbacks(test.ctrl, &discard_callbacks, NULL);
        tcp_close(test.ctrl);
    }
    free(test.streams);
    struct udp_sock *udp = test.udp;
    memset(&test, 0, sizeof(test));
    test.udp = udp;
    test.phase = IPERF3_IDLE;
}

/* A protocol error: iperf3's SERVER_ERROR with its error number makes the client say why. */
static void test_refuse(int ie, const char *why)
{
    uint8_t m[9] = {(uint8_t)IPERF3_SERVER_ERROR, 0, 0, (uint8_t)(ie >> 8), (uint8_t)ie};
    if (test.ctrl)
        tcp_send(test.ctrl, m, sizeof(m));
    bad_messages++;
    test_end(false, why);
}

/* ------------------------------------------------------------- the phase's bound */

static void guard_fire(struct timer *tm)
{
    (void)tm;
    if (test.phase != IPERF3_RUNNING) {
        test_end(false, "timed out waiting for the client");
        return;
    }
    uint64_t bytes = test_bytes(false) + test_bytes(true);
    uint64_t limit_ns =
        ((uint64_t)test.params.time_s + test.params.omit_s + TIME_SLACK_S) * NSEC_PER_SEC;
    if (bytes == guard_bytes)
        test_end(false, "no data for too long");
    else if (test.params.time_s && unic_now() - test.start_ns > limit_ns)
        test_end(false, "the client did not end the test in time");
    else {
        guard_bytes = bytes;
        timer_arm_in(unic_timers(), &guard, STALL_LIMIT_S * NSEC_PER_SEC);
    }
}

static void enter(enum iperf3_phase phase)
{
    test.phase = phase;
    guard_bytes = 0;
    timer_arm_in(unic_timers(), &guard,
                 (phase == IPERF3_RUNNING ? STALL_LIMIT_S : SETUP_LIMIT_S) * NSEC_PER_SEC);
}

/* ---------------------------------------------------------------- control messages */

/* Control messages are a few bytes to a few KiB: they fit the send buffer, or the client is
 * not reading and the test ends. */
static bool ctrl_send(const void *data, size_t len)
{
    if (tcp_send_space(test.ctrl) < len) {
        test_end(false, "the client does not read the control connection");
        return false;
    }
    tcp_send(test.ctrl, data, len);
    return true;
}

static bool ctrl_state(enum iperf3_state s)
{
    uint8_t b = (uint8_t)(int8_t)s;
    return ctrl_send(&b, 1);
}

void iperf3_streams_ready(struct iperf3_test *t)
{
    uint8_t m[2] = {IPERF3_TEST_START, IPERF3_TEST_RUNNING};
    if (!ctrl_send(m, sizeof(m)))
        return;
    enter(IPERF3_RUNNING);
    iperf3_streams_start(t);
}

static void on_params(const char *json, size_t len)
{
    int ie = 0;
    int rc = iperf3_params_parse(json, len, &test.params, &ie);
    if (rc < 0) {
        test_refuse(ie, "bad parameters");
        return;
    }
    unsigned dirs = test.params.mode == IPERF3_BIDIR ? 2 : 1;
    test.expected = test.params.parallel * dirs;
    test.streams = calloc(test.expected, sizeof(*test.streams));
    if (!test.streams) {
        test_end(false, "no memory for the streams");
        return;
    }
    streams_total += test.expected;
    if (ctrl_state(IPERF3_CREATE_STREAMS))
        enter(IPERF3_CREATING);
}

/* --get-server-output: what this server saw, in one line per direction. */
static const char *server_text(void)
{
    static char text[256];
    uint64_t us = (test.end_ns - test.start_ns) / NSEC_PER_USEC;
    uint64_t rx = test_bytes(false), tx = test_bytes(true), div = us ? us : 1;
    snprintf(text, sizeof(text),
             "unic iperf3: test %llu, %u stream(s), %llu.%03llu s: received %llu bytes "
             "(%llu Mbit/s), sent %llu bytes (%llu Mbit/s)\n",
             (unsigned long long)tests, test.count, (unsigned long long)(us / 1000000),
             (unsigned long long)(us / 1000 % 1000), (unsigned long long)rx,
             (unsigned long long)(rx * 8 / div), (unsigned long long)tx,
             (unsigned long long)(tx * 8 / div));
    return text;
}

static void on_results(const char *json, size_t len)
{
    struct iperf3_peer_results peer;
    if (iperf3_results_parse(json, len, &peer) < 0) {
        bad_messages++;
        test_end(false, "bad results from the client");
        return;
    }
    client_bytes += peer.bytes;
    static struct iperf3_stream_result r[2 * IPERF3_MAX_STREAMS]; /* 14 KiB: not on the stack */
    for (unsigned i = 0; i < test.count; i++) {
        iperf3_stream_result(&test, &test.streams[i], &r[i]);
        udp_packets += test.params.udp && !r[i].sender ? r[i].packets : 0;
        udp_lost += r[i].errors;
    }
    static char out[4 + 256 * 2 * IPERF3_MAX_STREAMS + 256]; /* < 256 bytes a stream */
    size_t n = iperf3_results_format(out + 4, sizeof(out) - 4, r, test.count,
                                     test.params.mode != IPERF3_FORWARD);
    if (n && test.params.get_server_output) {
        size_t with = iperf3_results_add_text(out + 4, n, sizeof(out) - 4, server_text());
        n = with ? with : n; /* no room for the text: the results without it */
    }
    out[0] = (char)(n >> 24), out[1] = (char)(n >> 16), out[2] = (char)(n >> 8), out[3] = (char)n;
    if (n && ctrl_send(out, n + 4) && ctrl_state(IPERF3_DISPLAY_RESULTS))
        enter(IPERF3_WAIT_DONE);
}

/* A state byte from the client. */
static void on_state(int8_t s)
{
    if (s == IPERF3_TEST_END && test.phase == IPERF3_RUNNING) {
        test.end_ns = unic_now();
        iperf3_streams_stop(&test);
        if (ctrl_state(IPERF3_EXCHANGE_RESULTS))
            enter(IPERF3_WAIT_RESULTS);
    } else if (s == IPERF3_IPERF_DONE && test.phase == IPERF3_WAIT_DONE) {
        test_end(true, "");
    } else if (s == IPERF3_CLIENT_TERMINATE) {
        test_end(false, "the client terminated the test");
    } else {
        bad_messages++;
        log_warn("iperf3: unexpected message %d while %s", s, phase_names[test.phase]);
        test_end(false, "unexpected message");
    }
}

static size_t ctrl_data(struct tcp_conn *c, const uint8_t *d, size_t len)
{
    size_t used = 0;
    while (used < len && test.ctrl == c) {
        const uint8_t *p = d + used;
        size_t left = len - used;
        if (test.phase != IPERF3_WAIT_PARAMS && test.phase != IPERF3_WAIT_RESULTS) {
            used++;
            on_state((int8_t)p[0]);
            continue;
        }
        if (left < 4)
            break;
        uint32_t n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        if (n > IPERF3_MAX_JSON) {
            test_refuse(IPERF3_IERECVPARAMS, "JSON message too long");
            return len;
        }
        if (left - 4 < n)
            break;
        used += 4 + n;
        if (test.phase == IPERF3_WAIT_PARAMS)
            on_params((const char *)p + 4, n);
        else
            on_results((const char *)p + 4, n);
    }
    return test.ctrl == c ? used : len;
}

static void ctrl_eof(struct tcp_conn *c)
{
    (void)c;
    test_end(false, "the client closed the control connection");
}

static void ctrl_closed(struct tcp_conn *c, int reason)
{
    (void)c;
    test.ctrl = NULL; /* test_end must not close it again */
    test_end(false, reason ? unic_strerror(reason) : "the control connection closed");
}

static const struct tcp_callbacks ctrl_callbacks = {
    .on_data = ctrl_data, .on_eof = ctrl_eof, .on_close = ctrl_closed};

/* ------------------------------------------------------ new connections: the cookie */

/* A connection that has not sent its 37-byte cookie yet: its own small bound in time. */
struct pending {
    struct tcp_conn *conn;
    struct timer timer;
};

static void pending_free(struct tcp_conn *c)
{
    struct pending *p = tcp_user(c);
    timer_cancel(unic_timers(), &p->timer);
    free(p);
    pending--;
}

static void deny(struct tcp_conn *c)
{
    uint8_t b = (uint8_t)(int8_t)IPERF3_ACCESS_DENIED;
    denied++;
    tcp_set_callbacks(c, &discard_callbacks, NULL);
    tcp_send(c, &b, 1);
    tcp_close(c);
}

static size_t pending_data(struct tcp_conn *c, const uint8_t *d, size_t len)
{
    if (len < IPERF3_COOKIE_SIZE)
        return 0;
    pending_free(c);
    if (test.phase == IPERF3_IDLE) { /* a new client: this is its control connection */
        tests++;
        memset(&test.params, 0, sizeof(test.params));
        memcpy(test.cookie, d, IPERF3_COOKIE_SIZE);
        test.ctrl = c;
        tcp_set_nodelay(c, true); /* one-byte state messages, at once */
        tcp_set_callbacks(c, &ctrl_callbacks, NULL);
        if (ctrl_state(IPERF3_PARAM_EXCHANGE))
            enter(IPERF3_WAIT_PARAMS);
    } else if (memcmp(test.cookie, d, IPERF3_COOKIE_SIZE) != 0 ||
               !iperf3_stream_add_tcp(&test, c)) {
        deny(c);
        return len;
    }
    if (len > IPERF3_COOKIE_SIZE)
        tcp_recv_resume(c); /* what came after the cookie: offered again, to the new owner */
    return IPERF3_COOKIE_SIZE;
}

static void pending_closed(struct tcp_conn *c, int reason)
{
    (void)reason;
    pending_free(c);
}

static void pending_eof(struct tcp_conn *c)
{
    tcp_close(c);
}

static const struct tcp_callbacks pending_callbacks = {
    .on_data = pending_data, .on_eof = pending_eof, .on_close = pending_closed};

static void pending_timeout(struct timer *tm)
{
    struct pending *p = tm->arg;
    struct tcp_conn *c = p->conn;
    pending_free(c);
    tcp_abort(c);
}

static void on_accept(struct tcp_conn *c, void *user)
{
    (void)user;
    struct pending *p = pending < MAX_PENDING ? malloc(sizeof(*p)) : NULL;
    if (!p) {
        tcp_abort(c);
        return;
    }
    pending++;
    p->conn = c;
    timer_init(&p->timer, pending_timeout, p);
    timer_arm_in(unic_timers(), &p->timer, SETUP_LIMIT_S * NSEC_PER_SEC);
    tcp_set_callbacks(c, &pending_callbacks, p);
}

/* ------------------------------------------------------------------------- service */

static const struct option_spec iperf3_options[] = {
    {"--port", OPTION_UINT, "N", "5201", 1, 65535, "TCP and UDP port (iperf3 -p)"},
    {"--sndbuf", OPTION_UINT, "BYTES", "1048576", 16384, 16u << 20,
     "TCP send buffer of each connection"},
    {"--rcvbuf", OPTION_UINT, "BYTES", "1048576", 16384, 16u << 20,
     "TCP receive buffer of each connection"},
};

static void iperf3_print_stats(void)
{
    unic_printf("stats iperf3: tests=%llu tests_ok=%llu tests_failed=%llu denied=%llu "
                "bad_messages=%llu streams=%llu rx_bytes=%llu tx_bytes=%llu client_bytes=%llu "
                "udp_packets=%llu udp_lost=%llu udp_unknown=%llu udp_late=%llu",
                (unsigned long long)tests, (unsigned long long)tests_ok,
                (unsigned long long)tests_failed, (unsigned long long)denied,
                (unsigned long long)bad_messages, (unsigned long long)streams_total,
                (unsigned long long)rx_bytes, (unsigned long long)tx_bytes,
                (unsigned long long)client_bytes, (unsigned long long)udp_packets,
                (unsigned long long)udp_lost, (unsigned long long)iperf3_udp_unknown,
                (unsigned long long)iperf3_udp_late);
}

const struct unic_service unic_service = {
    .summary = "a server for the iperf3 client (TCP and UDP, -R, --bidir, -P)",
    .options = iperf3_options,
    .option_count = sizeof(iperf3_options) / sizeof(iperf3_options[0]),
    .print_stats = iperf3_print_stats,
};

int service_start(int argc, char **argv)
{
    (void)argc, (void)argv;
    uint16_t port = (uint16_t)options_uint(unic_options(), "--port");
    struct inet *inet = unic_inet();
    int err = 0;
    struct tcp_params tp;
    tcp_default_params(&tp);
    tp.snd_buf = (uint32_t)options_uint(unic_options(), "--sndbuf");
    tp.rcv_buf = (uint32_t)options_uint(unic_options(), "--rcvbuf");
    if ((err = tcp_configure(inet, &tp)) < 0) {
        log_error("iperf3: cannot configure TCP: %s", unic_strerror(err));
        return 1;
    }
    timer_init(&guard, guard_fire, NULL);
    test.phase = IPERF3_IDLE;
    test.udp = udp_bind(inet, port, iperf3_stream_udp_recv, &test, &err);
    if (!test.udp || !tcp_listen(inet, port, on_accept, NULL, &err)) {
        log_error("iperf3: cannot listen on port %u: %s", port, unic_strerror(err));
        return 1;
    }
    unic_printf("iperf3: server on tcp and udp %u", port);
    return 0;
}
