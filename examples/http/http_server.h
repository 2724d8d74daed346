/*
 * The HTTP example on the unic TCP stack: a listener, one http_session per connection, an idle
 * timer per connection and the counters printed at shutdown.
 *
 * on_accept -> conn_new (bounded by max_conns) -> tcp callbacks -> http_session_*
 * io.close -> tcp_close ... on_close -> conn_free (the only place a connection is freed)
 *
 * Timeouts (one struct timer per connection, armed once and moved only when it fires):
 *  - idle: no request completed and no byte sent for idle_timeout; between requests the
 *    connection is closed gracefully, in the middle of one (a stalled reader, a head that
 *    trickles in) it is aborted;
 *  - closing: after tcp_close the peer has idle_timeout to finish, then it is aborted. So no
 *    connection holds memory for long without the peer's cooperation.
 */
#ifndef HTTP_SERVER_H
#define HTTP_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "http_session.h"
#include "unic/inet.h"
#include "unic/tcp.h"
#include "unic/timer.h"

#define HTTP_SERVER_STATS(X)                                                                       \
    X(conn_accepted)                                                                               \
    X(conn_refused)                                                                                \
    X(conn_closed)                                                                                 \
    X(conn_reset) X(conn_aborted) X(idle_closed) X(idle_aborted) X(close_timeouts) X(no_memory)
struct http_server_stats {
    HTTP_SERVER_STATS(STATS_FIELD)
};

struct http_server_config {
    uint16_t port;
    uint32_t max_conns;
    uint64_t idle_timeout_ns;
    struct http_limits limits;
    /* TCP receive buffer per connection: requests are small, so a few heads' worth (32 KiB)
     * instead of the stack's default; the send buffer keeps the default (/bytes throughput). */
    uint32_t tcp_rcv_buf;
};

struct http_conn;

struct http_server {
    struct inet *inet;
    struct timer_queue *timers;
    struct http_server_config cfg;
    struct tcp_listener *listener;
    struct http_conn *conns; /* every open connection, for shutdown */
    unsigned open;           /* connections holding memory now        */
    struct http_server_stats stats;
    struct http_session_stats session_stats;
};

void http_server_default_config(struct http_server_config *cfg);

/* Set the stack's TCP receive buffer and listen on cfg->port of (inet). 0 or -errno
 * (-EADDRINUSE, -ENOMEM, -EINVAL). */
int http_server_start(struct http_server *srv, struct inet *inet, struct timer_queue *timers,
                      const struct http_server_config *cfg);

/* Print the counters, including "open connections N" (always, also when 0). */
void http_server_print_stats(const struct http_server *srv);

/* Stop listening and abort every connection; frees all memory the server holds. */
void http_server_stop(struct http_server *srv);

#endif
