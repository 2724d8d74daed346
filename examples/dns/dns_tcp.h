/*
 * DNS over a byte stream (RFC 7766; RFC 1035 4.2.2): one connection's session, without
 * sockets, so that it runs the same under unic, in unit tests and in the fuzzer.
 *
 *   dns_tcp_input(bytes) -> frames (two-byte length, message) -> dns_xfr_request ?
 *       transfer (dns_xfr_next ... while there is send space) : dns_answer_stream -> send
 *
 * Input follows the unic TCP model (unic/tcp.h): dns_tcp_input consumes whole frames only and
 * returns how many bytes they took; the rest (a frame cut anywhere, even inside its length) is
 * offered again with the bytes that follow. Several queries in one call are answered in order
 * (pipelining). A frame shorter than a DNS header (length 0 included) is counted and skipped;
 * a length longer than what has come waits for the rest (the server's idle timer bounds the
 * wait).
 *
 * Back-pressure: an answer is sent whole or not at all. When the send space is short the
 * query is left unconsumed, input is paused (io->pause) and dns_tcp_writable (called once
 * space frees) resumes it: the query is offered again and answered then. A client that sends
 * but does not read is so held back by its own TCP window. A zone transfer sends as many
 * messages as there is room for, pauses input, and goes on at each dns_tcp_writable; queries
 * pipelined behind it are answered after it ends.
 *
 * Zone transfers go to the clients the server allows (xfr_allowed, its --axfr-allow);
 * others get REFUSED. Answers are never truncated for size: a TCP message holds 65535 bytes.
 */
#ifndef DNS_TCP_H
#define DNS_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "answer.h"
#include "unic/stats.h"
#include "xfr.h"
#include "zone.h"

#define DNS_TCP_MSG_MAX 65535u /* what the two-byte length frames */

/* What the session needs of its connection. */
struct dns_tcp_io {
    /* Queue (len) bytes; returns how many were taken (all, when space() said so), or < 0. */
    long (*send)(void *ctx, const void *buf, size_t len);
    /* Bytes send() would take now; when short, the owner calls dns_tcp_writable later. */
    size_t (*space)(void *ctx);
    void (*pause)(void *ctx);  /* stop offering input */
    void (*resume)(void *ctx); /* offer the unconsumed input again, also when nothing new came */
};

#define DNS_TCP_STATS(X)                                                                           \
    X(frames)                                                                                      \
    X(answers)                                                                                     \
    X(bad_length)                                                                                  \
    X(send_waits)                                                                                  \
    X(send_failed)                                                                                 \
    X(xfr_started) X(ixfr_current) X(xfr_done) X(xfr_refused) X(xfr_messages) X(xfr_records)

struct dns_tcp_stats {
    DNS_TCP_STATS(STATS_FIELD)
};

extern const char *const dns_tcp_stat_names[];
extern const size_t dns_tcp_stat_count;

/* What every session of a server shares: the zone, one message buffer (single-threaded) and
 * the counters. */
struct dns_tcp_shared {
    const struct dns_zone *zone;
    uint8_t buf[2 + DNS_TCP_MSG_MAX]; /* length prefix, then the message */
    size_t xfr_soft;                  /* transfer message size (DNS_XFR_SOFT_MAX)            */
    struct dns_answer_stats *answer_stats;
    struct dns_tcp_stats stats;
};

struct dns_tcp_session {
    struct dns_tcp_shared *sh;
    const struct dns_tcp_io *io;
    void *ctx;
    bool xfr_allowed;
    bool in_xfr;  /* a transfer is under way: input paused               */
    bool waiting; /* an answer waits for send space: input paused        */
    bool failed;  /* send failed (connection reset): nothing more is done */
    struct dns_xfr xfr;
    uint64_t sent; /* messages sent (answers and transfer messages): progress for idle timers */
};

void dns_tcp_session_init(struct dns_tcp_session *s, struct dns_tcp_shared *sh,
                          const struct dns_tcp_io *io, void *ctx, bool xfr_allowed);

/* Answer the whole frames at the front of (data, len); returns the bytes consumed. */
size_t dns_tcp_input(struct dns_tcp_session *s, const uint8_t *data, size_t len);

/* Send space freed: go on with a transfer, or resume input held back for space. */
void dns_tcp_writable(struct dns_tcp_session *s);

/* Input is held back (a transfer, or an answer waiting for space). */
static inline bool dns_tcp_busy(const struct dns_tcp_session *s)
{
    return s->in_xfr || s->waiting;
}

#endif
