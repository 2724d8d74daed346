/*
 * TCP internals shared by the tcp_*.c modules (not part of the public API).
 *
 * Call order on receive:
 *   ip4_input -> tcp_input (tcp.c: parse, checksum, demux)
 *     -> tcp_conn_input (tcp_input.c: RFC 9293 3.10.7 "SEGMENT ARRIVES", one step per function)
 *     |  -> tcp_ack_input -> tcp_sack_update / tcp_cc_on_ack / tcp_recovery_*
 *     |  -> tcp_data_input -> receive ring, out-of-order ranges, on_data
 *     -> tcp_listen_input (tcp_input.c: SYN, SYN cookies)
 *     -> tcp_output (tcp_output.c: whatever the windows allow now)
 * Timers (tcp_timer.c): retransmission / persist, delayed ACK, keepalive / TIME_WAIT / FIN_WAIT_2,
 * and a zero-delay "deliver" timer that runs callbacks outside the service's own tcp_ calls.
 *
 * Buffers (tcp_buf.c) are byte queues whose memory is chunks taken from the stack's pool as data
 * arrives and given back as soon as it is acknowledged or consumed (docs/tcp-memory.md). The
 * send ring holds [snd_buf_seq, snd_buf_seq + len): bytes sent and unacknowledged, then bytes
 * not sent yet. The receive ring holds in-order bytes the service has not consumed, followed by
 * room for the window, in which out-of-order data is written at its place; rcv ranges (SACK
 * blocks) record which out-of-order bytes are there.
 */
#ifndef UNIC_TCP_INTERNAL_H
#define UNIC_TCP_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unic/inet_internal.h"
#include "unic/tcp.h"
#include "unic/timer.h"
#include "unic/wire/tcp.h"

#define TCP_DEFAULT_MSS 536   /* RFC 9293 3.7.1 when the peer sends none */
#define TCP_DEFAULT_MSS6 1220 /* the same over IPv6: 1280 - 40 - 20 (RFC 8200 5) */
#define TCP_TSO_MAX_SEGS 64   /* segments in one super-packet at most (TSO; Linux: 64 KB) */
#define TCP_MAX_OOO_RANGES 16 /* out-of-order ranges kept in the receive window */
#define TCP_MAX_SCOREBOARD 32 /* SACKed ranges remembered on the send side */
#define TCP_RTO_INITIAL_NS (1000 * NSEC_PER_MSEC)
#define TCP_RTO_AFTER_SYN_TIMEOUT_NS (3 * NSEC_PER_SEC) /* RFC 6298 5.7 */
#define TCP_RTO_MIN_NS (200 * NSEC_PER_MSEC)            /* Linux's; RFC 6298 says 1 s (a SHOULD) */
#define TCP_RTO_MAX_NS (60 * NSEC_PER_SEC)
#define TCP_DELACK_NS (40 * NSEC_PER_MSEC)
#define TCP_DELACK_MAX_NS (200 * NSEC_PER_MSEC) /* what a peer may delay an ACK by */
#define TCP_TLP_MIN_NS (10 * NSEC_PER_MSEC)
#define TCP_SYN_RETRIES 7 /* 1+2+...+128 = 255 s: MUST-23 asks at least 3 minutes */
#define TCP_SYNACK_RETRIES 5
#define TCP_DATA_RETRIES 15
#define TCP_FIN_WAIT_2_NS (60 * NSEC_PER_SEC)
#define TCP_DUPTHRESH 3
#define TCP_EPHEMERAL_LOW 49152
#define TCP_INIT_CWND_SEGS 10 /* RFC 6928 */
#define TCP_MIN_RCV_BUF 65536 /* what a SYN may have promised (unscaled window) */
#define TCP_MIN_SND_BUF 16384

#define TCP_TUPLE_MAX 36 /* tcp_tuple(): two IPv6 addresses and two ports */

#define TCP_CHUNK_DATA 2032 /* bytes of data per buffer chunk (2 KiB with its link) */

/* The chunks of every connection's buffers: (used) is bounded by (limit), the stack's
 * mem_budget; (promised) is the receive window advertised and not yet filled, all
 * connections together (docs/tcp-memory.md: the window never promises more than is free). */
struct tcp_pool {
    struct tcp_chunk *free; /* kept for reuse (not counted in used) */
    uint32_t n_free;
    uint64_t used, limit, promised, peak, refused;
    uint64_t pressure; /* 3/4 of limit: past it windows are capped (Linux tcp_mem pressure) */
};

struct tcp_ring {
    struct tcp_pool *pool;
    struct tcp_chunk *first, *last, *cur; /* cur: where the last access was (a cache) */
    uint32_t start;                       /* stream position of the first chunk's first byte */
    uint32_t cur_pos;                     /* stream position of cur's first byte */
    uint32_t size;  /* the most bytes it may hold; 0 until the connection has buffers */
    uint32_t head;  /* offset of the first held byte in the first chunk */
    uint32_t len;   /* bytes held from head */
    uint32_t hi;    /* bytes from head up to the end of the furthest write */
    uint32_t cover; /* bytes the chunks hold from start */
};

struct cubic {
    uint64_t epoch_start; /* ns; 0: no epoch */
    uint32_t w_max;       /* bytes, at the last reduction */
    uint32_t k_ms;        /* time to return to w_max */
    uint32_t w_est;       /* Reno-friendly estimate, bytes */
    uint32_t ack_bytes;   /* accumulated for the Reno estimate */
};

struct tcp_listener {
    struct tcp *tcp;
    uint16_t port;
    tcp_accept_fn on_accept;
    void *user;
    uint32_t half_open; /* connections in SYN_RECEIVED from this listener */
    struct tcp_listener *next;
};

struct tcp_conn {
    struct tcp *tcp;
    struct inet *inet;
    struct tcp_conn *hash_next;           /* bucket chain */
    struct tcp_conn *all_prev, *all_next; /* every connection of the stack */
    struct tcp_conn *flush_next;          /* on tcp->flush_list (holds a busy reference) */
    struct tcp_conn *mem_wait_next;       /* on tcp->mem_waiters (holds a busy reference) */
    struct tcp_conn *rcv_wait_next;       /* on tcp->rcv_waiters (holds a busy reference) */
    struct tcp_listener *listener;        /* while SYN_RECEIVED from a listener */
    enum tcp_state state;
    struct unic_addr laddr, raddr; /* both IPv4 (::ffff:a.b.c.d) or both IPv6 */
    uint16_t lport, rport;

    /* Send sequence space (RFC 9293 3.3.1), plus snd_max: the highest sequence sent. */
    uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2, max_snd_wnd;
    uint32_t snd_buf_seq; /* sequence number of the first byte of snd ring */
    uint32_t fin_seq;     /* valid once fin_queued */
    uint16_t mss;         /* payload bytes we send per segment */
    uint16_t rcv_mss;     /* what we announced */
    uint8_t snd_wscale, rcv_wscale;
    uint8_t tos; /* IPv4 TOS / IPv6 traffic class of its segments (tcp_set_dscp) */
    uint8_t r2;  /* retransmissions before it gives up (tcp_set_data_retries) */

    /* Receive sequence space. */
    uint32_t irs, rcv_nxt, rcv_adv; /* rcv_adv: right edge last advertised */
    uint32_t rcv_fin_seq;           /* the peer's FIN when it arrived out of order */
    struct tcp_ring snd, rcv;
    struct tcp_sack_block *ooo;  /* [TCP_MAX_OOO_RANGES] sorted, disjoint (tcp_conn_ranges) */
    uint8_t n_ooo, ooo_recent;   /* index of the newest, for SACK order */
    bool snd_urgent, rcv_urgent; /* urgent mode: snd_up / rcv_up are valid */
    uint32_t rcv_promised;       /* window promised and not filled, as counted in the pool */
    uint32_t rcv_wnd_cap;        /* receive buffer in use: grows while the peer fills it */
    uint32_t rcv_tune_seq;       /* rcv_nxt when the current measuring interval began */
    uint64_t rcv_tune_at;        /* and when */
    uint32_t rcv_unacked;        /* bytes received since our last ACK */
    uint32_t rcv_seg_max;        /* largest payload received (<= rcv_mss) */

    /* Options. */
    bool ts_ok, sack_ok, ws_ok;
    uint32_t ts_recent, ts_offset;
    uint32_t snd_up; /* after the last urgent byte we send (RFC 9293 MUST-62) */
    uint64_t ts_recent_at;

    /* RTT and retransmission (RFC 6298). */
    uint64_t srtt_ns, rttvar_ns, rto_ns;
    uint64_t rtt_start;
    uint32_t last_data_tx; /* tcp_coarse_time() data last went out (restart after idle) */
    uint32_t ecn_recover;  /* snd_max at the last ECE reduction: one per window (tcp_ecn.c) */
    uint32_t rtt_seq;
    bool rtt_timing;
    int16_t soft_err;   /* the last soft ICMP error about it (RFC 1122 4.2.3.9), 0: none */
    uint32_t rtx_tsval; /* TSval of our last retransmission */
    uint8_t backoff;    /* consecutive timeouts */
    uint8_t probes;     /* unanswered window / keepalive probes */
    bool ecn_ok;        /* ECN agreed (in SYN_SENT: asked for) (tcp_ecn.c) */
    bool ecn_ece;       /* CE seen: ECE on our ACKs until the peer's CWR */

    /* Congestion control. */
    uint32_t cwnd, ssthresh, recover, rtx_nxt;
    uint32_t rtx_una, rtx_mark; /* snd_una and snd_max when snd_una was last retransmitted */
    bool tlp_armed, tlp_sent;   /* tail loss probe (RFC 8985 7) */
    uint8_t dupacks;
    bool in_recovery;
    uint32_t bytes_acked; /* congestion avoidance accumulator */
    struct cubic cubic;

    /* SACK scoreboard (send side): sorted, disjoint, within [snd_una, snd_max]. */
    struct tcp_sack_block *sacked; /* [TCP_MAX_SCOREBOARD] (tcp_conn_ranges) */
    uint8_t n_sacked;
    bool ecn_cwr;     /* reduced for an ECE: CWR on the next new data */
    bool ecn_reduced; /* reduced for an ECE, and snd_una not past ecn_recover yet */
    uint32_t sacked_bytes, high_sack;
    uint32_t rcv_up; /* after the last urgent byte received (MUST-62) */

    struct timer rtx_timer;    /* retransmission or persist; may sit in the queue early: */
    uint64_t rtx_due;          /* when it is really due (tcp_timer.c rtx_arm_in) */
    struct timer delack_timer; /* may be a stale one left queued: */
    uint64_t delack_due;       /* when the owed delayed ACK is due; 0: none owed */
    struct timer keep_timer;   /* keepalive, TIME_WAIT, FIN_WAIT_2 */
    struct timer event_timer;  /* deferred callbacks (zero delay) */
    uint32_t keep_idle_s, keep_intvl_s, keep_count;
    uint32_t rcv_seen; /* held bytes on_data was offered and left (from the ring's head) */
    uint64_t last_rx;  /* when the last segment arrived (keepalive, FIN_WAIT_2) */

    struct tcp_callbacks cb;
    tcp_connected_fn on_connected;
    void *user;
    tcp_urgent_fn on_urgent; /* tcp_set_on_urgent */

    bool fin_queued, fin_sent, fin_acked, fin_received, rcv_fin_pending;
    bool nodelay, want_writable, rcv_paused, eof_pending, eof_delivered;
    bool rcv_reoffer; /* tcp_recv_resume(): offer held bytes again, seen or not */
    bool ack_now, need_output, force_send;
    bool ack_deferred; /* an ACK is owed at the end of this batch of frames */
    bool on_flush_list, on_mem_wait;
    bool rcv_mem_wait; /* on tcp->rcv_waiters: the pool held its window back */
    bool user_done, stack_done;
    bool cookie;   /* made from a SYN cookie */
    uint16_t busy; /* nesting of stack code working on this connection */
};

/* A connection in TIME_WAIT once its control block is freed (Linux's tcp_timewait_sock): what
 * RFC 9293 3.10.7.4 (TIME-WAIT), RFC 1337 and RFC 6191 need to answer the peer, nothing else
 * (tcp_tw.c). On tcp->tw_table by tuple and on the FIFO list from tw_head (oldest, expiring
 * first) to tw_tail. The timestamp offset is recomputed from the tuple when one is sent. */
struct tcp_tw {
    struct tcp_tw *hash_next;
    struct tcp_tw *older, *newer; /* the FIFO list */
    struct unic_addr laddr, raddr;
    uint16_t lport, rport;
    uint32_t snd_nxt;     /* snd_max of the connection: the sequence number of our ACKs */
    uint32_t rcv_nxt;     /* past the peer's FIN */
    uint32_t ts_recent;   /* valid with ts_ok */
    uint32_t max_snd_wnd; /* RFC 5961 5.2: how old an ACK may be */
    uint16_t window;      /* the window field of our ACKs (scaled) */
    bool ts_ok;
    uint64_t expires; /* ns: end of 2*MSL */
};

struct tcp {
    struct inet *inet;
    struct inet_module module;
    struct tcp_params params;
    struct tcp_stats stats;
    struct tcp_conn **table;
    uint32_t table_mask;
    struct tcp_conn *last_lookup; /* hashed connection found last: a bulk flow skips the hash */
    uint8_t hash_key[16], isn_key[16], cookie_key[16];
    struct tcp_conn *all;
    uint32_t n_conns;
    struct tcp_pool pool;         /* send + receive chunks of all connections */
    struct tcp_conn *flush_list;  /* connections owing an ACK when the batch ends */
    struct tcp_conn *mem_waiters; /* senders the pool's budget stopped (tcp_mem_wait) */
    struct tcp_conn *rcv_waiters, *rcv_waiters_tail; /* windows it held back, oldest first */
    struct tcp_listener *listeners;
    struct tcp_tw **tw_table; /* TIME_WAIT entries by tuple (same keyed hash), NULL until one */
    uint32_t tw_mask;
    uint32_t n_tw;
    struct tcp_tw *tw_head, *tw_tail; /* oldest first: every entry lives time_wait_ms */
    struct timer tw_timer;            /* at tw_head's expiry */
    uint64_t cookie_sent_at;          /* ns of the last SYN cookie sent (0: never) */
    uint64_t challenge_epoch;         /* second the challenge count belongs to */
    uint32_t challenge_count;
    bool force_isn;
    uint32_t forced_isn;
    uint16_t forced_port;
};

/* A parsed incoming segment. */
struct tcp_seg {
    struct tcp_hdr h;
    const uint8_t *data;
    uint32_t len; /* payload bytes */
    struct unic_addr src, dst;
    uint8_t ecn; /* the IP header's ECN field (RFC 3168 5) */
};

/* The stack's R2 (tcp_params.data_retries, 0: TCP_DATA_RETRIES). */
static inline uint8_t tcp_data_retries(const struct tcp *tcp)
{
    return tcp->params.data_retries ? tcp->params.data_retries : TCP_DATA_RETRIES;
}

/* What a connection that timed out reports: the last soft ICMP error it had, else -ETIMEDOUT. */
static inline int tcp_timeout_err(const struct tcp_conn *c)
{
    return c->soft_err ? c->soft_err : -ETIMEDOUT;
}

/* Time in units of 2^20 ns (about a millisecond): 32 bits of it last 52 days, and a field of
 * it is half a uint64_t of ns in the control block. Compare differences, never values. */
static inline uint32_t tcp_coarse_time(uint64_t ns)
{
    return (uint32_t)(ns >> 20);
}

static inline uint32_t seg_seqlen(const struct tcp_seg *s)
{
    return s->len + ((s->h.flags & TCP_SYN) ? 1u : 0u) + ((s->h.flags & TCP_FIN) ? 1u : 0u);
}

#define TCP_COUNT(tcp, name) ((tcp)->stats.name++)

/* tcp.c */
struct tcp *tcp_attach(struct inet *inet);
struct tcp_conn *tcp_conn_alloc(struct tcp *tcp, struct unic_addr laddr, uint16_t lport,
                                struct unic_addr raddr, uint16_t rport);
struct tcp_conn *tcp_lookup(struct tcp *tcp, struct unic_addr laddr, uint16_t lport,
                            struct unic_addr raddr, uint16_t rport);
/* The keyed hash of a tuple: both tables take their bucket from it. */
uint32_t tcp_tuple_hash(const struct tcp *tcp, struct unic_addr laddr, uint16_t lport,
                        struct unic_addr raddr, uint16_t rport);
/* A connection or a TIME_WAIT entry holds the tuple (a port is not free for it). */
bool tcp_tuple_in_use(struct tcp *tcp, struct unic_addr laddr, uint16_t lport,
                      struct unic_addr raddr, uint16_t rport);
struct tcp_listener *tcp_find_listener(struct tcp *tcp, uint16_t port);

/* tcp_mem.c (docs/tcp-memory.md) */
void tcp_resolve_params(const struct inet *inet, struct tcp_params *p);
int tcp_conn_alloc_buffers(struct tcp_conn *c);
void tcp_conn_free_buffers(struct tcp_conn *c);
/* The out-of-order ranges and the SACK scoreboard live in one allocation made the first time
 * either is needed (most connections never see loss or reordering): 0 or -ENOMEM. */
int tcp_conn_ranges(struct tcp_conn *c);
void tcp_conn_ranges_trim(struct tcp_conn *c);
/* Receive space the window may offer (per-connection room and the pool's free memory less
 * what other connections were promised), and send space tcp_send() may fill. */
uint32_t tcp_rcv_space(const struct tcp_conn *c);
/* The window a new connection starts with, from how full the pool is. */
uint32_t tcp_initial_wnd(const struct tcp_pool *p);
/* The smallest useful move of the window's right edge (receiver-side SWS avoidance). */
uint32_t tcp_rcv_step(const struct tcp_conn *c);
/* An ACK advertised (wnd): wait for memory if the pool held the window back. */
void tcp_rcv_check_pool(struct tcp_conn *c, uint32_t wnd);
/* The window of a cookie's SYN-ACK, which the connection made from the cookie counts as its
 * promise (the cookie cannot remember another): two chunks, or rcv_buf when less. */
static inline uint32_t tcp_cookie_wnd(const struct tcp *tcp)
{
    return tcp->params.rcv_buf < 2u * TCP_CHUNK_DATA ? tcp->params.rcv_buf : 2u * TCP_CHUNK_DATA;
}
/* A connection holding received bytes, with nothing queued, may borrow one chunk past the
 * pool's promises to answer them (tcp_mem.c). */
bool tcp_snd_may_borrow(const struct tcp_conn *c);
uint32_t tcp_snd_space(const struct tcp_conn *c);
/* rcv_adv or rcv_nxt moved: count the window promised in the pool again. */
void tcp_rcv_promise_sync(struct tcp_conn *c);
/* The service wants to send and only the pool's budget stops it: on_writable comes once the
 * pool has room again (no ACK of its own may ever come to wake it). */
void tcp_mem_wait(struct tcp_conn *c);
/* At the end of a batch of frames: wake the waiting senders if the pool has room. */
void tcp_mem_wake(struct tcp *tcp);
void tcp_set_state(struct tcp_conn *c, enum tcp_state s);
void tcp_conn_closed(struct tcp_conn *c, int reason);
void tcp_conn_put(struct tcp_conn *c);
void tcp_notify_writable(struct tcp_conn *c);
void tcp_defer_ack(struct tcp_conn *c);
/* Put (c) on the flush list (holding a busy reference): tcp_flush sends what need_output or
 * ack_deferred left, after the events of this turn. */
void tcp_flush_later(struct tcp_conn *c);
void tcp_deliver(struct tcp_conn *c);
/* tcp_deliver() when the receive buffer was empty and (len) in-order bytes at (data) were just
 * counted in it (rcv.len == len) without being copied: the service reads them in place. */
void tcp_deliver_segment(struct tcp_conn *c, const uint8_t *data, uint32_t len);
void tcp_notify_established(struct tcp_conn *c);
uint32_t tcp_ts_now(const struct tcp_conn *c);

/* tcp_input.c */
/* The MSS we announce to (raddr): the link MTU (IPv4) or the path MTU (IPv6) less headers. */
uint16_t tcp_our_mss(const struct inet *inet, struct unic_addr raddr);
/* Payload bytes one unfragmented packet to (raddr) carries beside (tcp_hlen) bytes of TCP header
 * (IPv6: the path MTU, which packet-too-big messages lower, RFC 8201). Inline: every segment
 * sent asks. */
static inline uint32_t tcp_path_payload(const struct inet *inet, struct unic_addr raddr,
                                        size_t tcp_hlen)
{
    uint32_t ip = unic_addr_is_ip4(raddr) ? ip4_max_payload(inet->mtu)
                                          : ip6_max_payload(ip6_path_mtu(inet, raddr));
    return ip > tcp_hlen ? ip - (uint32_t)tcp_hlen : 0;
}
void tcp_conn_input(struct tcp_conn *c, const struct tcp_seg *seg);
void tcp_listen_input(struct tcp *tcp, struct tcp_listener *l, const struct tcp_seg *seg);
void tcp_data_input(struct tcp_conn *c, const struct tcp_seg *seg);

/* tcp_ecn.c: RFC 3168. */
void tcp_ecn_syn_flags(struct tcp_conn *c, bool synack, uint8_t *flags);
void tcp_ecn_syn_input(struct tcp_conn *c, const struct tcp_seg *seg);
uint8_t tcp_ecn_tos(const struct tcp_conn *c, bool new_data);
void tcp_ecn_input(struct tcp_conn *c, const struct tcp_seg *seg);
void tcp_ecn_ack_input(struct tcp_conn *c, const struct tcp_seg *seg);
/* The URG bit of an acceptable segment (RFC 9293 3.10.7.4, sixth). */
void tcp_urgent_input(struct tcp_conn *c, const struct tcp_seg *seg);
struct tcp_conn *tcp_conn_from_cookie(struct tcp *tcp, struct tcp_listener *l,
                                      const struct tcp_seg *seg, uint32_t iss, uint16_t mss,
                                      const struct tcp_opts *syn_opts);

/* tcp_output.c */
void tcp_output(struct tcp_conn *c);
void tcp_send_ack(struct tcp_conn *c);
void tcp_send_challenge_ack(struct tcp_conn *c);
/* RFC 5961 7: may one more challenge ACK go this second (counted either way)? */
bool tcp_challenge_allowed(struct tcp *tcp);
void tcp_send_tw_ack(struct tcp *tcp, const struct tcp_tw *tw);
void tcp_send_probe(struct tcp_conn *c);
void tcp_send_rst(struct tcp_conn *c);
void tcp_send_syn(struct tcp_conn *c);
void tcp_retransmit_una(struct tcp_conn *c);
void tcp_send_tail_probe(struct tcp_conn *c);
void tcp_reply_rst(struct tcp *tcp, const struct tcp_seg *seg);
int tcp_send_synack_stateless(struct tcp *tcp, const struct tcp_seg *seg, uint32_t iss,
                              const struct tcp_opts *o, uint16_t window);
uint32_t tcp_rcv_window(const struct tcp_conn *c);
bool tcp_unsent_waits(const struct tcp_conn *c);
uint8_t tcp_pick_wscale(uint32_t rcv_buf);

/* tcp_timer.c */
void tcp_timers_init(struct tcp_conn *c);
void tcp_timers_cancel(struct tcp_conn *c);
void tcp_arm_rtx(struct tcp_conn *c);
void tcp_rearm_rtx(struct tcp_conn *c);
void tcp_arm_delack(struct tcp_conn *c);
void tcp_cancel_delack(struct tcp_conn *c);
void tcp_arm_keepalive(struct tcp_conn *c);
void tcp_arm_time_wait(struct tcp_conn *c);
void tcp_arm_fin_wait_2(struct tcp_conn *c);
void tcp_schedule_event(struct tcp_conn *c);
void tcp_rtt_sample(struct tcp_conn *c, uint64_t rtt_ns);
void tcp_rto_reset(struct tcp_conn *c);

/* tcp_cc.c */
void tcp_cc_init(struct tcp_conn *c);
void tcp_cc_after_idle(struct tcp_conn *c, uint64_t now);
void tcp_cc_on_ack(struct tcp_conn *c, uint32_t acked, uint32_t prior_flight);
void tcp_cc_on_loss(struct tcp_conn *c);
void tcp_cc_on_rto(struct tcp_conn *c);
void tcp_recovery_ack(struct tcp_conn *c, uint32_t acked, bool dup, uint32_t prior_flight);
uint32_t tcp_flight(const struct tcp_conn *c);

/* tcp_sack.c */
bool tcp_sack_update(struct tcp_conn *c, const struct tcp_opts *o);
void tcp_sack_advance(struct tcp_conn *c);
void tcp_sack_clear(struct tcp_conn *c);
bool tcp_sack_is_sacked(const struct tcp_conn *c, uint32_t seq, uint32_t *run_end);
uint32_t tcp_sack_next_hole(const struct tcp_conn *c, uint32_t from, uint32_t *hole_end);
uint32_t tcp_sack_pipe(const struct tcp_conn *c);
bool tcp_ooo_add(struct tcp_conn *c, uint32_t start, uint32_t end);
uint32_t tcp_ooo_take(struct tcp_conn *c);
unsigned tcp_ooo_blocks(const struct tcp_conn *c, struct tcp_sack_block *out, unsigned max);

/* tcp_tw.c: compact TIME_WAIT (docs/tcp-memory.md, Tables) */
void tcp_tw_init(struct tcp *tcp);
void tcp_tw_destroy(struct tcp *tcp);
/* (c), in TIME_WAIT and let go of by everyone, becomes an entry: true, and the caller frees
 * (c); false without memory (c stays as it is, its own timer ends it). */
bool tcp_tw_enter(struct tcp_conn *c);
struct tcp_tw *tcp_tw_lookup(const struct tcp *tcp, uint32_t hash, struct unic_addr laddr,
                             uint16_t lport, struct unic_addr raddr, uint16_t rport);
void tcp_tw_input(struct tcp *tcp, struct tcp_tw *tw, const struct tcp_seg *seg);
/* max_conns reached: the oldest entry makes room (O(1)). false: there is none. */
bool tcp_tw_reclaim(struct tcp *tcp);

/* tcp_isn.c */
/* The bytes that name a connection (addresses then ports) for hashing: 12 for IPv4 (as the
 * addresses' 4-byte values), 36 for IPv6. Returns the length written into (t). */
size_t tcp_tuple(uint8_t t[TCP_TUPLE_MAX], struct unic_addr laddr, uint16_t lport,
                 struct unic_addr raddr, uint16_t rport);
uint32_t tcp_isn(struct tcp *tcp, struct unic_addr laddr, uint16_t lport, struct unic_addr raddr,
                 uint16_t rport);
int tcp_pick_port(struct tcp *tcp, struct unic_addr laddr, struct unic_addr raddr, uint16_t rport,
                  uint16_t *port);
uint32_t tcp_ts_offset(struct tcp *tcp, struct unic_addr laddr, uint16_t lport,
                       struct unic_addr raddr, uint16_t rport);

/* tcp_syncookie.c */
void tcp_syncookie_send(struct tcp *tcp, struct tcp_listener *l, const struct tcp_seg *seg);
struct tcp_conn *tcp_syncookie_accept(struct tcp *tcp, struct tcp_listener *l,
                                      const struct tcp_seg *seg);
/* (seg) is an ACK that completes a handshake we answered with a cookie (not counted). */
bool tcp_syncookie_valid(struct tcp *tcp, const struct tcp_seg *seg);
/* A cookie sent within a cookie's life may still come back. */
bool tcp_syncookie_live(const struct tcp *tcp);

/* tcp_buf.c */
void tcp_pool_init(struct tcp_pool *p, uint64_t limit);
void tcp_pool_destroy(struct tcp_pool *p);
void tcp_pool_set_limit(struct tcp_pool *p, uint64_t limit);
int tcp_ring_alloc(struct tcp_ring *r, struct tcp_pool *pool, uint32_t size);
void tcp_ring_free(struct tcp_ring *r);
uint32_t tcp_ring_reserve(struct tcp_ring *r, uint32_t end);
uint32_t tcp_ring_write_at(struct tcp_ring *r, uint32_t off, const uint8_t *src, uint32_t n);
void tcp_ring_read_at(const struct tcp_ring *r, uint32_t off, uint8_t *dst, uint32_t n);
void tcp_ring_consume(struct tcp_ring *r, uint32_t n);
uint32_t tcp_ring_contig(const struct tcp_ring *r, const uint8_t **p);
/* Make the first (extent) bytes from head one piece (a chunk as long as their chunks together),
 * keeping their order: then tcp_ring_contig() returns all held bytes (unless no memory). */
void tcp_ring_linearize(struct tcp_ring *r, uint32_t extent);

#endif
