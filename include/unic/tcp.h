/*
 * TCP (RFC 9293) with RFC 7323 (window scale, timestamps), RFC 2018/6675 (SACK and SACK-based
 * recovery), RFC 6298 (RTO), RFC 6582 (NewReno), RFC 9438 (CUBIC, the default), RFC 5961
 * (challenge ACKs), RFC 6528 (ISNs), RFC 3168 (ECN), SYN cookies, delayed ACKs, Nagle, zero-window
 * probes and keepalive; over IPv4 and IPv6 alike (the MSS from the IPv6 path MTU, RFC 8201).
 *
 * Attaching: the first tcp_listen() or tcp_connect() on a stack allocates its TCP state and
 * attaches it to the stack; a service that never calls a tcp_ function links no TCP code.
 *
 * Call order and ownership
 * ------------------------
 *  - tcp_listen(inet, port, on_accept, user) -> listener. For every handshake that completes,
 *    on_accept(conn, listener_user) hands over a new ESTABLISHED connection. In on_accept the
 *    service calls tcp_set_callbacks(conn, &callbacks, user) (and maybe tcp_send()); a
 *    connection without callbacks discards what it receives.
 *  - tcp_connect(inet, addr, port, on_connected, user) -> conn in SYN_SENT. on_connected(conn,
 *    0) follows once it is ESTABLISHED; on failure on_connected(conn, -ECONNREFUSED /
 *    -ETIMEDOUT / ...) is the last call for that handle.
 *  - The service holds a connection handle from on_accept (or tcp_connect) until on_close is
 *    called, or until it calls tcp_abort(). After either, the handle is invalid: the stack frees
 *    the memory exactly once, when both the service has let go and the protocol is done with it
 *    (a connection may live on in TIME_WAIT or LAST_ACK without its service).
 *  - Callbacks run from the event loop (never from inside a tcp_ call the service makes), and
 *    may call any tcp_ function on the connection, including tcp_abort().
 *
 * Receiving
 * ---------
 *  - on_data(conn, data, len) is given every received in-order byte the service has not
 *    consumed yet, in one contiguous piece, and returns how many of the first bytes it consumed
 *    (0..len). Bytes it leaves stay queued and come again, at the front of the next call,
 *    together with whatever arrived since: on_data is called again when more data arrives and
 *    after tcp_recv_resume(), never for the same bytes alone otherwise. So a reader that needs a
 *    whole line (or record) returns 0 until it has one and is called again as bytes come in.
 *  - Segments may split the stream anywhere (one byte at a time, in the middle of a line or a
 *    UTF-8 character) and one call may hold bytes of many sends; nothing of the peer's write
 *    boundaries is kept. A unit the service waits for must fit in the receive buffer (rcv_buf)
 *    for it to arrive whole.
 *  - (data) is valid only until on_data returns: the service copies what it keeps.
 *  - Bytes left unconsumed occupy the receive buffer, so the advertised window shrinks by them.
 *
 * Backpressure (explicit)
 * -----------------------
 *  - Receive: tcp_recv_pause() stops on_data (and on_eof) until tcp_recv_resume(). Meanwhile
 *    data keeps arriving into the receive buffer until it is full; then the window is zero and
 *    the peer waits. tcp_recv_resume() offers what is queued again (from the event loop, also
 *    when nothing new arrived, and also without a pause before: e.g. once a service that left
 *    bytes because it was busy can take them); the peer gets a window update once the window
 *    opens usefully. Pause and resume may be called from inside any callback.
 *  - Send: tcp_send() copies as much as fits into the send buffer and returns that count (0
 *    when full). When a tcp_send() accepted less than asked, or tcp_send_space() returned less
 *    than the whole buffer (the service may need more), on_writable is called once a useful
 *    amount of space frees (a quarter of the buffer or 4 segments). It may come when the
 *    service needs nothing any more; a service that still finds too little just waits for the
 *    next one (each short tcp_send() or tcp_send_space() asks again).
 *
 * Closing
 * -------
 *  - Peer's FIN: on_eof once on_data was offered every byte before it and delivery is not
 *    paused. Bytes on_data left then stay queued (tcp_recv_resume() offers them again, e.g. to
 *    take an unterminated last line once on_eof said no more will come).
 *  - tcp_close() sends our FIN after the queued data (half-close: data keeps arriving until the
 *    peer closes too). tcp_close() before the connection is established abandons it (no
 *    on_close; a RST if the peer already answered).
 *  - on_close(conn, reason) comes when the connection is finished for the service: 0 once both
 *    FINs are through (TIME_WAIT or CLOSED; received data the service had not consumed by then
 *    is dropped), else -ECONNRESET, -ETIMEDOUT, ...
 *
 * Bounds: connections (max_conns, TIME_WAIT included: the oldest makes room), half-open
 * connections per listener (syn_backlog, then SYN cookies), buffer memory of all connections
 * (mem_budget), out-of-order ranges and SACK scoreboard (fixed sizes), FIN_WAIT_2 (60 s
 * without traffic), unanswered retransmissions and probes (then -ETIMEDOUT).
 */
#ifndef UNIC_TCP_H
#define UNIC_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unic/addr.h"
#include "unic/stats.h"

struct inet;
struct tcp_conn;
struct tcp_listener;

enum tcp_state {
    TCP_CLOSED,
    TCP_LISTEN,
    TCP_SYN_SENT,
    TCP_SYN_RECEIVED,
    TCP_ESTABLISHED,
    TCP_FIN_WAIT_1,
    TCP_FIN_WAIT_2,
    TCP_CLOSE_WAIT,
    TCP_CLOSING,
    TCP_LAST_ACK,
    TCP_TIME_WAIT,
};

typedef void (*tcp_accept_fn)(struct tcp_conn *conn, void *listener_user);
typedef void (*tcp_connected_fn)(struct tcp_conn *conn, int err);

struct tcp_callbacks {
    /* All unconsumed in-order data, valid during the call; returns the bytes consumed. What is
     * left comes again with the next bytes (see Receiving above). */
    size_t (*on_data)(struct tcp_conn *conn, const uint8_t *data, size_t len);
    /* Send space freed after a short tcp_send() or a tcp_send_space() below the buffer size. */
    void (*on_writable)(struct tcp_conn *conn);
    /* The peer sent FIN: no more data will arrive. May be NULL. */
    void (*on_eof)(struct tcp_conn *conn);
    /* Last call for this handle: 0 (orderly), -ECONNRESET, -ETIMEDOUT, -ECONNABORTED. */
    void (*on_close)(struct tcp_conn *conn, int reason);
};

/* Counters, one per reason a segment is dropped, plus the life of connections. */
/* clang-format off */
#define TCP_STATS(X)                                                                               \
    X(rx)                                                                                          \
    X(rx_truncated)                                                                                \
    X(rx_bad_offset)                                                                               \
    X(rx_bad_option)                                                                               \
    X(rx_bad_checksum)                                                                             \
    X(rx_bad_addr)                                                                                 \
    X(rx_bad_flags)                                                                                \
    X(rx_no_conn) X(rx_listen_bad) X(rx_backlog_full) X(rx_out_of_window) X(rx_old_ack)            \
        X(rx_ack_too_new) X(rx_syn_sent_bad_ack) X(rx_rst_accepted) X(rx_rst_challenged)           \
            X(rx_rst_dropped) X(rx_syn_challenged) X(rx_paws_rejected) X(rx_dup_data) X(rx_ooo)    \
                X(rx_ooo_dropped) X(rx_data_after_fin) X(rx_window_full) X(rx_time_wait_reuse)     \
                    X(tx_segments) X(tx_data_segments) X(tx_acks) X(tx_rst) X(tx_challenge_acks)   \
                        X(tx_challenge_limited) X(tx_retransmits) X(tx_rto) X(tx_fast_retransmits) \
                            X(tx_zero_window_probes) X(tx_keepalives) X(tx_no_buffer)              \
                                X(tx_ip_error) X(syn_cookies_sent) X(syn_cookies_ok)               \
                                    X(syn_cookies_bad) X(conn_opened) X(conn_accepted)             \
                                        X(conn_closed) X(conn_reset) X(conn_timeout)               \
                                            X(conn_refused) X(conn_limit) X(conn_freed)            \
                                                X(conn_open) X(conn_time_wait) X(tx_tail_probes)   \
                                                    X(tx_lost_retransmits) X(conn_small_buffers)   \
                                                        X(conn_no_memory) X(tx_tso_frames) X(rx_no_memory) \
    X(snd_mem_waits) X(table_resizes) X(buf_used) X(buf_promised) X(buf_peak) X(conn_bytes) \
    X(rx_sack_reneging) /* an ACK stopped at data the peer had SACKed: it discarded it */      \
    X(rx_old_seq_ack)   /* a segment below rcv_nxt whose ACK was still taken (old_ack) */ \
    X(syn_cookies_superseded) /* a cookie's ACK replaced a half-open connection (retried SYN) */ \
    X(rx_icmp_too_big)  /* ICMPv6 packet too big for a segment in flight: sent again at once */ \
    X(rx_icmp_soft)     /* other ICMP(v6) errors about a connection: soft, kept for a timeout */ \
    X(rx_icmp_ignored)  /* ICMP(v6) errors for no connection or a sequence not in flight */ \
    X(rx_icmp_hard)     /* port/protocol unreachable ended a connect (SYN_SENT) */ \
    X(rx_urgent)        /* segments with an urgent pointer taken */ \
    X(time_wait_entries) /* gauge: compact TIME_WAIT entries (also in conn_time_wait) */ \
    X(time_wait_bytes)   /* sizeof one (conn_bytes: a control block's) */ \
    X(time_wait_reclaimed) /* entries ended early to make room under max_conns (the oldest) */ \
    X(time_wait_no_memory) /* no memory for an entry: the control block stayed (and ends) */ \
    X(syn_cookies_data_dropped) /* data failing the cookie while cookies live: dropped, no RST */ \
    X(rcv_mem_waits)   /* a window the pool held back waited for memory */ \
    X(rcv_mem_updates) /* such a window reopened by an update when memory returned */ \
    X(conn_ranges)     /* gauge: connections holding out-of-order / SACK ranges (384 B) */ \
    X(cwnd_restarts)   /* cwnd back to the initial window after an idle RTO (idle_restart) */ \
    X(ecn_conns)       /* connections that agreed on ECN in their handshake (RFC 3168) */ \
    X(rx_ecn_ce)       /* segments that came marked Congestion Experienced (echoed with ECE) */ \
    X(ecn_reductions)  /* cwnd reductions for an ECE from the peer (at most one per window) */
/* clang-format on */
struct tcp_stats {
    TCP_STATS(STATS_FIELD)
};

#define TCP_SYN_BACKLOG_AUTO UINT32_MAX

/* Stack-wide limits and defaults (tcp_configure() before the first listen/connect, or later:
 * new connections use the new values). */
/* tcp_params.ecn: Explicit Congestion Notification (RFC 3168). */
enum tcp_ecn_mode {
    TCP_ECN_OFF,     /* neither asked for nor agreed to */
    TCP_ECN_ON,      /* asked for in our SYNs, agreed to when a peer asks */
    TCP_ECN_PASSIVE, /* agreed to when a peer asks (default; Linux's tcp_ecn = 2) */
};

struct tcp_params {
    uint32_t snd_buf, rcv_buf;           /* most bytes queued per connection (default 256 KiB each);
                                            memory is taken as data comes (docs/tcp-memory.md) */
    uint32_t max_conns;                  /* all connections incl. TIME_WAIT; 0 (default): one per
                                            4 KiB of the OS's memory (4096 when unknown), <= 1000000 */
    uint64_t mem_budget;                 /* data buffered by all connections together; 0 (default):
                                            half of the OS's memory (64 MiB when unknown). Windows never
                                            promise more than is free; new connections are refused
                                            when it is nearly all promised (conn_no_memory) */
    uint32_t syn_backlog;                /* half-open per listener before SYN cookies (0: every
                                            SYN gets a cookie); TCP_SYN_BACKLOG_AUTO (default):
                                            max_conns / 16 within 128..2048 (Linux's 2048 here) */
    uint32_t time_wait_ms;               /* 2*MSL (default 60 s)                              */
    uint32_t challenge_ack_per_s;        /* RFC 5961 rate limit (default 1000)             */
    uint8_t data_retries;                /* R2: retransmissions of data before -ETIMEDOUT; 0
                                            (default): 15 (about 9 to 11 minutes); per
                                            connection: tcp_set_data_retries (RFC 9293 MUST-21) */
    uint8_t ttl;                         /* IPv4 TTL / IPv6 hop limit of every segment; 0
                                            (default): the stack's (RFC 1122 4.2.2.19, MUST-49) */
    uint8_t ecn;                         /* enum tcp_ecn_mode (default TCP_ECN_PASSIVE)       */
    bool cubic;                          /* CUBIC (default) or NewReno                       */
    bool idle_restart;                   /* cwnd back to the initial window when a connection
                                            sends after an RTO of sending nothing (RFC 5681 4.1;
                                            default on, as Linux's tcp_slow_start_after_idle) */
    bool syn_cookies;                    /* under backlog pressure (default on)              */
    bool sack, timestamps, window_scale; /* offered options (default all on)        */
};

/* Listen on (port) of every local address, IPv4 and IPv6 (one port space). NULL with (*err) =
 * -EADDRINUSE, -ENOMEM. */
struct tcp_listener *tcp_listen(struct inet *inet, uint16_t port, tcp_accept_fn on_accept,
                                void *user, int *err);
/* Stop listening; connections already accepted are not affected. */
void tcp_unlisten(struct tcp_listener *l);

/* Open a connection to (addr):(port) from a random ephemeral port, over IPv4 or IPv6 as (addr)
 * is (from the address the stack selects for it). NULL with (*err) = -ENOMEM, -EADDRNOTAVAIL (no
 * address of that family, or no free port), -EHOSTUNREACH, -ENETUNREACH (0/8, 127/8: unic
 * has no loopback), -EINVAL (port 0, an unspecified, broadcast or multicast address). */
struct tcp_conn *tcp_connect(struct inet *inet, struct unic_addr addr, uint16_t port,
                             tcp_connected_fn on_connected, void *user, int *err);
/* As tcp_connect, from the local address (src) (RFC 9293 MUST-43): one of the stack's, of the
 * family of (addr). Over IPv6 a stack has several (link-local, SLAAC, configured) and
 * tcp_connect picks by RFC 6724; a service that must be seen as a given one names it here.
 * An unspecified (src) is tcp_connect. Errors as tcp_connect, and -EADDRNOTAVAIL when (src)
 * is not a usable address of ours (still tentative, expired, or another host's; a deprecated
 * one may still be named, RFC 4862 5.5.4), -EINVAL when it is of the other family, or
 * link-local towards a destination that is not on the link. */
struct tcp_conn *tcp_connect_from(struct inet *inet, struct unic_addr src, struct unic_addr addr,
                                  uint16_t port, tcp_connected_fn on_connected, void *user,
                                  int *err);

/* Set the connection's callbacks ((cb) is copied) and its (user) pointer, which tcp_user()
 * returns; tcp_set_user() changes the pointer alone. */
void tcp_set_callbacks(struct tcp_conn *conn, const struct tcp_callbacks *cb, void *user);
void *tcp_user(const struct tcp_conn *conn);
void tcp_set_user(struct tcp_conn *conn, void *user);

/* Copy up to (len) bytes into the send buffer; returns the count accepted (0 when full or after
 * tcp_close(), -ENOTCONN when the connection is reset). */
long tcp_send(struct tcp_conn *conn, const void *buf, size_t len);
/* As tcp_send, and the bytes queued are urgent data (RFC 9293 3.8.5; RFC 6093 asks new
 * protocols not to rely on it): segments carry URG and the urgent pointer until they are
 * acknowledged. */
long tcp_send_urgent(struct tcp_conn *conn, const void *buf, size_t len);
/* Urgent bytes not yet consumed, counted from the first byte on_data offers (0: none). */
size_t tcp_urgent_pending(const struct tcp_conn *conn);
/* (fn) is called when the peer sent urgent data and none was pending (RFC 9293 MUST-32):
 * once per run of it, before on_data offers it (in line). NULL (the default): not told. */
typedef void (*tcp_urgent_fn)(struct tcp_conn *conn);
void tcp_set_on_urgent(struct tcp_conn *conn, tcp_urgent_fn fn);
/* Bytes tcp_send() would accept now. Less than the whole send buffer also asks for on_writable
 * once space frees (so a service that holds back until it has room is woken). */
size_t tcp_send_space(struct tcp_conn *conn);
/* Bytes sent but not yet acknowledged plus bytes not sent yet. */
size_t tcp_send_queued(const struct tcp_conn *conn);

/* Stop calling on_data and on_eof until tcp_recv_resume(); the receive buffer fills and the
 * window closes meanwhile. */
void tcp_recv_pause(struct tcp_conn *conn);
/* End a pause (if any) and offer the queued bytes again from the event loop, even if nothing new
 * arrived; from inside on_data the offer comes on the next turn of the loop. */
void tcp_recv_resume(struct tcp_conn *conn);

/* Graceful close of our direction: FIN after the queued data. */
void tcp_close(struct tcp_conn *conn);
/* Send RST and drop everything; the handle is invalid on return and on_close is not called. */
void tcp_abort(struct tcp_conn *conn);

/* Nagle's algorithm is on by default; (nodelay) turns it off. */
void tcp_set_nodelay(struct tcp_conn *conn, bool nodelay);
/* Keepalive probes after (idle_s) seconds of silence, every (interval_s), (count) times;
 * idle_s 0 turns it off. */
void tcp_set_keepalive(struct tcp_conn *conn, uint32_t idle_s, uint32_t interval_s, uint32_t count);
/* The Differentiated Services codepoint (0..63, RFC 2474) of this connection's segments (RFC
 * 9293 MUST-48): IPv4 TOS / IPv6 traffic class (dscp << 2; the ECN bits are the stack's, RFC 3168).
 * Default 0. */
void tcp_set_dscp(struct tcp_conn *conn, uint8_t dscp);
/* R2 of this connection (RFC 9293 MUST-21): after (retries) unanswered retransmissions or
 * zero-window probes it is reset and closed with -ETIMEDOUT (or the last soft ICMP error);
 * 0: the stack's (tcp_params.data_retries). */
void tcp_set_data_retries(struct tcp_conn *conn, uint8_t retries);

/* The connection's state, and its name for a log ("ESTABLISHED"; "?" outside the enum). */
enum tcp_state tcp_state(const struct tcp_conn *conn);
const char *tcp_state_name(enum tcp_state s);
/* The peer's address and port, and ours (the address the peer reached). */
struct unic_addr tcp_peer_addr(const struct tcp_conn *conn);
uint16_t tcp_peer_port(const struct tcp_conn *conn);
struct unic_addr tcp_local_addr(const struct tcp_conn *conn);
uint16_t tcp_local_port(const struct tcp_conn *conn);

/* Stack-wide defaults; attaches TCP to (inet) if needed. 0 or -ENOMEM. */
int tcp_configure(struct inet *inet, const struct tcp_params *p);
void tcp_default_params(struct tcp_params *p);

/* Counter (name) of TCP on (inet) (e.g. "conn_open"); -1 if unknown or TCP not attached. */
int64_t tcp_stat(struct inet *inet, const char *name);
/* Connections still holding memory (any state but LISTEN), for the no-leak checks. */
unsigned tcp_conn_count(const struct inet *inet);

#endif
