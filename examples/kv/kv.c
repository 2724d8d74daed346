/*
 * kv: the service a new user writes first. A key-value store on TCP and the time on UDP.
 *
 *   kv --tap IF --ip A.B.C.D/N [-- [--port N] [--max-keys N]]
 *
 *   TCP port 6000 (--port): request lines SET key value / GET key / DEL key, ended by LF or
 *            CRLF, answered one line each, in order, with the request's line end (kv_line.h)
 *   UDP port 37: RFC 868 time, 4 bytes, seconds since 1900-01-01 00:00 UTC, to any datagram
 *
 * The TCP reader keeps no buffer of its own: on_data returns only the complete lines it
 * answered, and TCP offers the rest again with the next bytes (tcp.h, "Receiving"). Before each
 * line it checks there is room for the longest answer; if not it pauses receiving until
 * on_writable (a client that pipelines and does not read is held back by its own window). At
 * the peer's FIN, an unterminated last line is answered too, then the connection is closed.
 * The per-connection state is four flags in the connection's user pointer: no allocation.
 */
#include <string.h>

#include "kv_line.h"
#include "kv_store.h"
#include "unic.h"
#include "unic/tcp.h"
#include "unic/udp.h"

#define TIME_PORT 37
#define RFC868_EPOCH_OFFSET 2208988800ull /* seconds from 1900-01-01 to 1970-01-01 */

enum kv_conn_flag {
    KV_SKIPPING = 1, /* inside a line that was too long: drop up to its LF */
    KV_PAUSED = 2,   /* receiving paused until on_writable */
    KV_LEFT = 4,     /* the last on_data left bytes (an incomplete line) */
    KV_EOF = 8,      /* the peer closed: answer what is left, then close */
};

static struct kv_store store;
static struct kv_line_stats line_stats;
static uint64_t accepted, closed, time_requests;

/* ----------------------------------------------------------------------------- TCP */

static uintptr_t flags_of(struct tcp_conn *c)
{
    return (uintptr_t)tcp_user(c);
}

/* Send the answer (alen bytes at out, room for 2 more) with its line end; room was checked. */
static void answer(struct tcp_conn *c, size_t alen, uint8_t *out, int crlf)
{
    if (crlf)
        out[alen++] = '\r';
    out[alen++] = '\n';
    tcp_send(c, out, alen);
}

/* Answer the complete lines at the front of (data); returns the bytes they took. */
static size_t kv_data(struct tcp_conn *c, const uint8_t *data, size_t len)
{
    uintptr_t f = flags_of(c);
    size_t used = 0;
    while (used < len) {
        const uint8_t *p = data + used;
        size_t left = len - used, content = 0;
        int crlf = 0;
        if (f & KV_SKIPPING) {
            const uint8_t *nl = memchr(p, '\n', left);
            used = nl ? used + (size_t)(nl - p) + 1 : len;
            f &= nl ? ~(uintptr_t)KV_SKIPPING : ~(uintptr_t)0;
            continue;
        }
        long n = kv_line_frame(p, left, &content, &crlf);
        bool last = n == KV_LINE_NEED_MORE && (f & KV_EOF); /* no LF will ever come */
        if (n == KV_LINE_NEED_MORE && !last)
            break;
        if (tcp_send_space(c) < KV_MAX_ANSWER + 2) {
            f |= KV_PAUSED;
            tcp_recv_pause(c);
            break;
        }
        uint8_t out[KV_MAX_ANSWER + 2];
        if (n == KV_LINE_TOO_LONG) {
            answer(c, kv_line_too_long(out, &line_stats), out, 0);
            f |= KV_SKIPPING;
        } else if (last) {
            content = left - (p[left - 1] == '\r');
            answer(c,
                   content > KV_MAX_LINE ? kv_line_too_long(out, &line_stats)
                                         : kv_line_exec(&store, p, content, out, &line_stats),
                   out, 0);
            used = len;
        } else {
            answer(c, kv_line_exec(&store, p, content, out, &line_stats), out, crlf);
            used += (size_t)n;
        }
    }
    f = used < len ? f | KV_LEFT : f & ~(uintptr_t)KV_LEFT;
    tcp_set_user(c, (void *)f);
    if ((f & KV_EOF) && used == len)
        tcp_close(c);
    return used;
}

static void kv_writable(struct tcp_conn *c)
{
    uintptr_t f = flags_of(c);
    if (f & KV_PAUSED) {
        tcp_set_user(c, (void *)(f & ~(uintptr_t)KV_PAUSED));
        tcp_recv_resume(c);
    }
}

static void kv_eof(struct tcp_conn *c)
{
    uintptr_t f = flags_of(c) | KV_EOF;
    tcp_set_user(c, (void *)f);
    if (f & KV_LEFT)
        tcp_recv_resume(c); /* the unterminated last line, offered again */
    else
        tcp_close(c);
}

static void kv_close(struct tcp_conn *c, int reason)
{
    (void)c, (void)reason;
    closed++;
}

static const struct tcp_callbacks kv_callbacks = {
    .on_data = kv_data, .on_writable = kv_writable, .on_eof = kv_eof, .on_close = kv_close};

static void kv_accept(struct tcp_conn *c, void *user)
{
    (void)user;
    accepted++;
    tcp_set_callbacks(c, &kv_callbacks, NULL);
}

/* ----------------------------------------------------------------------------- UDP */

/* RFC 868: any datagram asks; the answer is 32 bits, wrapping in 2036 as the RFC's does. The
 * nearest second, not the last one begun: the kvm wall clock may already lag by up to a second
 * (the RTC read at boot has whole seconds). */
static void time_request(struct udp_sock *s, const struct udp_meta *m, const uint8_t *data,
                         size_t len)
{
    (void)data, (void)len;
    time_requests++;
    uint32_t t =
        (uint32_t)((unic_wall_time() + NSEC_PER_SEC / 2) / NSEC_PER_SEC + RFC868_EPOCH_OFFSET);
    uint8_t out[4] = {(uint8_t)(t >> 24), (uint8_t)(t >> 16), (uint8_t)(t >> 8), (uint8_t)t};
    udp_sendto(s, m->src, m->sport, out, sizeof(out));
}

/* ------------------------------------------------------------------------- service */

static const struct option_spec kv_options[] = {
    {"--port", OPTION_UINT, "N", "6000", 1, 65535, "TCP port of the store"},
    {"--max-keys", OPTION_UINT, "N", "10000", 1, KV_MAX_KEYS_LIMIT,
     "keys held at most (a new key beyond: ERR store full)"},
};

static void kv_print_stats(void)
{
    unic_printf("stats kv: accepted=%llu closed=%llu open=%lld keys=%u commands=%llu set=%llu "
                "get=%llu get_found=%llu del=%llu errors=%llu too_long=%llu store_full=%llu "
                "time_requests=%llu",
                (unsigned long long)accepted, (unsigned long long)closed,
                (long long)tcp_stat(unic_inet(), "conn_open"), store.count,
                (unsigned long long)line_stats.commands, (unsigned long long)line_stats.set,
                (unsigned long long)line_stats.get, (unsigned long long)line_stats.get_found,
                (unsigned long long)line_stats.del, (unsigned long long)line_stats.errors,
                (unsigned long long)line_stats.too_long, (unsigned long long)line_stats.store_full,
                (unsigned long long)time_requests);
}

const struct unic_service unic_service = {
    .summary = "key-value lines (SET/GET/DEL) on TCP, RFC 868 time on UDP 37",
    .options = kv_options,
    .option_count = sizeof(kv_options) / sizeof(kv_options[0]),
    .print_stats = kv_print_stats,
};

int service_start(int argc, char **argv)
{
    (void)argc, (void)argv;
    uint16_t port = (uint16_t)options_uint(unic_options(), "--port");
    uint32_t max_keys = (uint32_t)options_uint(unic_options(), "--max-keys");
    if (kv_store_init(&store, max_keys) < 0) {
        log_error("kv: no memory for %u keys", max_keys);
        return 1;
    }
    struct inet *inet = unic_inet();
    int err = 0;
    if (!tcp_listen(inet, port, kv_accept, NULL, &err) ||
        !udp_bind(inet, TIME_PORT, time_request, NULL, &err)) {
        log_error("kv: cannot listen: %s", unic_strerror(err));
        return 1;
    }
    unic_printf("kv: key-value on tcp %u (at most %u keys), time on udp %u", port, max_keys,
                TIME_PORT);
    return 0;
}

void service_stop(void)
{
    kv_store_fini(&store);
}
