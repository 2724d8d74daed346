/*
 * The dns service's TCP side on the unic stack: a listener on the DNS port, one dns_tcp
 * session per connection (dns_tcp.h), an idle timer per connection and a bound on their number.
 *
 * on_accept -> conn_new (reset beyond max_conns) -> tcp callbacks -> dns_tcp_input/writable
 * on_close -> conn_free (the only place a connection is freed)
 *
 * Timeouts (RFC 7766 6.2.3), one struct timer per connection: no query consumed and no
 * message sent for idle_timeout closes the connection (FIN after what is queued); a peer that
 * has not finished the close idle_timeout later is reset. So a client that stops reading
 * (back-pressure holds its queries) or stops in the middle of a frame lets go of its memory.
 */
#ifndef DNS_TCP_SERVER_H
#define DNS_TCP_SERVER_H

#include <stdint.h>

#include "acl.h"
#include "dns_tcp.h"
#include "unic/inet.h"
#include "unic/tcp.h"
#include "unic/timer.h"

#define DNS_TCP_SERVER_STATS(X)                                                                    \
    X(accepted)                                                                                    \
    X(refused_limit)                                                                               \
    X(no_memory)                                                                                   \
    X(closed) X(reset) X(idle_closed) X(close_timeouts) X(xfr_allowed_conns)

struct dns_tcp_server_stats {
    DNS_TCP_SERVER_STATS(STATS_FIELD)
};

struct dns_tcp_conn;

struct dns_tcp_server {
    struct timer_queue *timers;
    struct tcp_listener *listener;
    struct dns_tcp_shared shared;
    struct acl xfr_allow;
    uint64_t idle_ns;
    uint32_t max_conns;
    unsigned open;
    struct dns_tcp_conn *conns; /* every open connection, for shutdown */
    struct dns_tcp_server_stats stats;
};

/* Listen on TCP (port) of (inet), answering from (zone); (allow) says who may transfer it.
 * 0 or -errno (-EADDRINUSE, -ENOMEM). */
int dns_tcp_server_start(struct dns_tcp_server *srv, struct inet *inet, struct timer_queue *timers,
                         const struct dns_zone *zone, struct dns_answer_stats *answer_stats,
                         uint16_t port, uint64_t idle_ns, uint32_t max_conns,
                         const struct acl *allow);

/* "dns_tcp: open connections N" and the counters (stats dns_tcp, stats dns_tcp_server). */
void dns_tcp_server_print_stats(const struct dns_tcp_server *srv);

/* Stop listening and reset every connection; frees what the server holds. */
void dns_tcp_server_stop(struct dns_tcp_server *srv);

#endif
