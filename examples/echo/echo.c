/*
 * echo: the classic small services, the first real users of TCP.
 *
 *   echo --tap IF --ip A.B.C.D/N [--ip6 ADDR/N]
 *
 * Every port listens on both families (nc -6 works as nc does).
 *   port 7   echo (RFC 862) on UDP and TCP: every byte comes back
 *   port 9   discard (RFC 863) on TCP: every byte is read and dropped
 *   port 19  chargen (RFC 864) on TCP: lines of 72 rotating characters, as fast as the peer
 *            takes them
 *
 * Backpressure both ways: TCP echo consumes only what tcp_send() accepted and, when that was
 * not all, pauses receiving: the rest waits in the receive buffer (the window closes) until
 * on_writable says there is room again and resumes. Each service closes its side when the
 * peer closes. With the counters (at shutdown, on SIGUSR1, every --stats-interval) the service
 * prints how many connections are open (the integration test expects zero at shutdown).
 */
#include <string.h>

#include "unic.h"
#include "unic/tcp.h"
#include "unic/udp.h"

#define PORT_ECHO 7
#define PORT_DISCARD 9
#define PORT_CHARGEN 19
#define CHARGEN_LINE 72
#define CHARGEN_PRINTABLE 95
#define CHARGEN_CYCLE (CHARGEN_PRINTABLE * (CHARGEN_LINE + 2))

struct echo_stats {
    uint64_t accepted, closed, echo_bytes, discard_bytes, chargen_bytes, udp_datagrams;
};

static struct echo_stats stats;
/* One whole cycle of chargen lines, twice, so any offset has a contiguous run of a cycle. */
static uint8_t chargen_text[2 * CHARGEN_CYCLE];

/* ------------------------------------------------------------------------------ echo */

static size_t echo_data(struct tcp_conn *c, const uint8_t *data, size_t len)
{
    long n = tcp_send(c, data, len);
    if (n < 0)
        return len; /* reset: nobody to echo to */
    if ((size_t)n < len)
        tcp_recv_pause(c); /* until on_writable */
    stats.echo_bytes += (uint64_t)n;
    return (size_t)n;
}

static void echo_writable(struct tcp_conn *c)
{
    tcp_recv_resume(c);
}

static void any_eof(struct tcp_conn *c)
{
    tcp_close(c);
}

static void any_close(struct tcp_conn *c, int reason)
{
    (void)c, (void)reason;
    stats.closed++;
}

static const struct tcp_callbacks echo_cb = {
    .on_data = echo_data, .on_writable = echo_writable, .on_eof = any_eof, .on_close = any_close};

/* --------------------------------------------------------------------------- discard */

static size_t discard_data(struct tcp_conn *c, const uint8_t *data, size_t len)
{
    (void)c, (void)data;
    stats.discard_bytes += len;
    return len;
}

static const struct tcp_callbacks discard_cb = {
    .on_data = discard_data, .on_eof = any_eof, .on_close = any_close};

/* --------------------------------------------------------------------------- chargen */

static void chargen_fill_text(void)
{
    size_t at = 0;
    for (int line = 0; line < CHARGEN_PRINTABLE; line++) {
        for (int i = 0; i < CHARGEN_LINE; i++)
            chargen_text[at++] = (uint8_t)(' ' + (line + i) % CHARGEN_PRINTABLE);
        chargen_text[at++] = '\r';
        chargen_text[at++] = '\n';
    }
    memcpy(chargen_text + CHARGEN_CYCLE, chargen_text, CHARGEN_CYCLE);
}

/* The connection's position in the cycle lives in its user pointer (no allocation). */
static void chargen_pump(struct tcp_conn *c)
{
    uintptr_t pos = (uintptr_t)tcp_user(c);
    for (;;) {
        long n = tcp_send(c, chargen_text + pos, CHARGEN_CYCLE);
        if (n <= 0)
            break;
        stats.chargen_bytes += (uint64_t)n;
        pos = (pos + (uintptr_t)n) % CHARGEN_CYCLE;
    }
    tcp_set_user(c, (void *)pos);
}

static const struct tcp_callbacks chargen_cb = {
    .on_data = discard_data, .on_writable = chargen_pump, .on_eof = any_eof, .on_close = any_close};

/* ---------------------------------------------------------------------------- wiring */

static void on_accept(struct tcp_conn *c, void *user)
{
    const struct tcp_callbacks *cb = user;
    stats.accepted++;
    tcp_set_callbacks(c, cb, NULL);
    if (cb == &chargen_cb)
        chargen_pump(c);
}

static void udp_echo(struct udp_sock *sock, const struct udp_meta *meta, const uint8_t *data,
                     size_t len)
{
    stats.udp_datagrams++;
    udp_sendto(sock, meta->src, meta->sport, data, len);
}

static void echo_print_stats(void)
{
    unic_printf(
        "stats echo: accepted=%llu closed=%llu open=%lld echo_bytes=%llu discard_bytes=%llu "
        "chargen_bytes=%llu udp_datagrams=%llu",
        (unsigned long long)stats.accepted, (unsigned long long)stats.closed,
        (long long)tcp_stat(unic_inet(), "conn_open"), (unsigned long long)stats.echo_bytes,
        (unsigned long long)stats.discard_bytes, (unsigned long long)stats.chargen_bytes,
        (unsigned long long)stats.udp_datagrams);
}

/* No options: the ports are the well-known ones. */
const struct unic_service unic_service = {
    .summary = "echo (udp+tcp 7), discard (tcp 9), chargen (tcp 19)",
    .print_stats = echo_print_stats,
};

int service_start(int argc, char **argv)
{
    (void)argc, (void)argv;
    chargen_fill_text();
    struct inet *inet = unic_inet();
    int err = 0;
    if (!udp_bind(inet, PORT_ECHO, udp_echo, NULL, &err) ||
        !tcp_listen(inet, PORT_ECHO, on_accept, (void *)&echo_cb, &err) ||
        !tcp_listen(inet, PORT_DISCARD, on_accept, (void *)&discard_cb, &err) ||
        !tcp_listen(inet, PORT_CHARGEN, on_accept, (void *)&chargen_cb, &err)) {
        log_error("echo: cannot listen: %s", unic_strerror(err));
        return 1;
    }
    unic_printf("echo: echo on udp+tcp 7, discard on tcp 9, chargen on tcp 19");
    return 0;
}
