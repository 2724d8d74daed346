/*
 * One HTTP/1.1 connection's request handling, apart from any network: bytes in, bytes out
 * through three functions of the transport (struct http_io). The unic service wires them to
 * TCP (http_server.c); the unit tests drive a session with byte buffers.
 *
 *   transport data  -> http_session_input -> parse (wire/http) -> route -> respond (io->send)
 *   send space free -> http_session_writable -> respond continues
 *   peer's FIN      -> http_session_eof -> answer what is complete, then io->close
 *
 * Pipelining: requests are answered one after the other, in order. Received bytes wait in a
 * fixed buffer of HTTP_SESSION_IN_CAP bytes (one request head at most, plus what follows it);
 * when it is full and a response is still being sent, input returns less than it was given and
 * the transport holds the rest (TCP's window closes) until io->resume. So a connection never
 * holds more than one buffer of requests, however many the client sends ahead.
 *
 * Responses: the head (and a small body) is built in a fixed buffer; /bytes/N bodies are
 * generated piece by piece, only as much as io->send accepts: nothing grows with N.
 */
#ifndef HTTP_SESSION_H
#define HTTP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_content.h"
#include "unic/stats.h"
#include "unic/wire/http.h"

#define HTTP_SESSION_IN_CAP HTTP_DEFAULT_MAX_HEAD
#define HTTP_SESSION_OUT_CAP 512

struct http_io {
    /* Queue up to (len) bytes; returns the count taken (0: full, io's writable call follows),
     * or < 0 when the connection is gone. */
    long (*send)(void *ctx, const void *buf, size_t len);
    /* Bytes send would take now (NULL: unknown); /bytes generates no more than this. */
    size_t (*space)(void *ctx);
    /* Close after what is queued (graceful). The session does nothing afterwards. */
    void (*close)(void *ctx);
    /* Input that was refused earlier may be offered again. */
    void (*resume)(void *ctx);
};

/* clang-format does not settle on one layout for X-macro lists. */
/* clang-format off */
#define HTTP_SESSION_STATS(X)                                                                      \
    X(requests)                                                                                    \
    X(get)                                                                                         \
    X(head) X(pipelined) X(keep_alive_reuse) X(status_200) X(status_400) X(status_404)             \
        X(status_405) X(status_411) X(status_413) X(status_414) X(status_417) X(status_431)        \
            X(status_501) X(status_505) X(body_bytes) X(request_body_bytes) X(input_paused)        \
                X(eof_mid_request) X(send_failed) X(closed_by_request) X(closed_after_error)
/* clang-format on */
struct http_session_stats {
    HTTP_SESSION_STATS(STATS_FIELD)
};
extern const char *const http_session_stat_names[];
extern const size_t http_session_stat_count;

struct http_session {
    const struct http_io *io;
    void *ctx;
    struct http_limits limits; /* max_head at most HTTP_SESSION_IN_CAP */
    struct http_session_stats *stats;
    uint64_t progress; /* bumps on every request parsed and every send that took bytes */

    uint8_t in[HTTP_SESSION_IN_CAP];
    size_t in_len;
    size_t scan_from;   /* no empty line ends a head before this offset of in[] */
    uint64_t skip_body; /* request body bytes still to discard */
    unsigned served;    /* responses completed on this connection */

    uint8_t out[HTTP_SESSION_OUT_CAP]; /* head (+ small static body) not yet sent */
    size_t out_off, out_len;
    enum http_body_kind body_kind; /* rest of the body, after out[] */
    const uint8_t *body;
    uint64_t body_off, body_len;

    bool responding;  /* a response is not completely handed to io->send */
    bool close_after; /* close once it is                                */
    bool closed;      /* io->close was called (or send failed)           */
    bool peer_eof;
    bool input_refused; /* input returned < len: io->resume owed          */
};

/* Start a session on (io, ctx). (limits) and (stats) are shared and outlive it. */
void http_session_init(struct http_session *s, const struct http_io *io, void *ctx,
                       const struct http_limits *limits, struct http_session_stats *stats);

/* Received bytes; returns how many were taken (all of them unless the buffer is full). */
size_t http_session_input(struct http_session *s, const uint8_t *data, size_t len);

/* The transport can take more (after a send that took less than offered). */
void http_session_writable(struct http_session *s);

/* The peer will send nothing more. */
void http_session_eof(struct http_session *s);

/* Close after what is already queued (an idle timeout); the session does nothing more. */
void http_session_close(struct http_session *s);

/* True between requests: nothing buffered, nothing being sent (idle timeouts apply). */
bool http_session_idle(const struct http_session *s);

#endif
