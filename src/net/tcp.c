/*
 * TCP: the connection table, demultiplexing and the life of a connection.
 * Call order: see tcp_internal.h. The public calls are in tcp_api.c.
 *
 * A connection is freed by tcp_conn_put() once three things hold: the protocol is done with it
 * (stack_done: CLOSED), the service is done with it (user_done: on_close delivered, tcp_abort
 * called, or it was never handed over), and no stack code is working on it (busy == 0, so a
 * callback may call tcp_abort() on its own connection). One in TIME_WAIT is let go of by the
 * service on entering it (on_close); once nothing else holds it, a compact entry takes its place
 * (tcp_tw.c) and the control block is freed the same way.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_internal.h"
#include "unic/ip4.h"
#include "unic/log.h"
#include "unic/random.h"
#include "unic/wire/bytes.h"
#include "unic/wire/checksum.h"
#include "unic/wire/icmp6.h"
#include "unic/wire/wire.h"

#define TCP_TABLE_MIN_BUCKETS 1024
#define TCP_TABLE_MAX_BUCKETS (1u << 22)

static const char *const tcp_stat_names[] = {TCP_STATS(STATS_NAME)};

static void tcp_input(struct inet *inet, struct netbuf *nb, const struct ip4_hdr *ip);
static void tcp_input6(struct inet *inet, struct netbuf *nb, const struct ip6_rx *rx);
static void tcp_error(struct inet *inet, const struct ip_error *err);

void tcp_default_params(struct tcp_params *p)
{
    memset(p, 0, sizeof(*p));
    p->snd_buf = 256 * 1024;
    p->rcv_buf = 256 * 1024;
    p->max_conns = 0;                      /* from memory: tcp_resolve_params */
    p->mem_budget = 0;                     /* from memory */
    p->syn_backlog = TCP_SYN_BACKLOG_AUTO; /* from max_conns */
    p->time_wait_ms = 60 * 1000;
    p->challenge_ack_per_s = 1000;
    p->cubic = true;
    p->idle_restart = true;
    p->ecn = TCP_ECN_PASSIVE;
    p->syn_cookies = true;
    p->sack = p->timestamps = p->window_scale = true;
}

/* ------------------------------------------------------------------------ stats and teardown */

static void refresh_gauges(struct tcp *tcp)
{
    uint64_t open = 0, ranges = 0, tw = tcp->n_tw; /* + control blocks in TIME_WAIT */
    for (struct tcp_conn *c = tcp->all; c; c = c->all_next) {
        ranges += c->ooo != NULL;
        if (c->state == TCP_TIME_WAIT)
            tw++;
        else if (c->state != TCP_CLOSED)
            open++;
    }
    tcp->stats.conn_open = open;
    tcp->stats.conn_time_wait = tw;
    tcp->stats.conn_ranges = ranges;
    tcp->stats.buf_used = tcp->pool.used;
    tcp->stats.buf_promised = tcp->pool.promised;
    tcp->stats.buf_peak = tcp->pool.peak;
    tcp->stats.conn_bytes = sizeof(struct tcp_conn); /* what an idle connection keeps */
    tcp->stats.time_wait_entries = tcp->n_tw;
    tcp->stats.time_wait_bytes = sizeof(struct tcp_tw); /* what TIME_WAIT keeps */
}

static void tcp_print_stats(struct inet *inet, int all)
{
    refresh_gauges(inet->tcp);
    stats_print("tcp", tcp_stat_names, &inet->tcp->stats, STATS_COUNT(tcp_stat_names), all);
}

int64_t tcp_stat(struct inet *inet, const char *name)
{
    if (!inet->tcp)
        return -1;
    refresh_gauges(inet->tcp);
    return stats_lookup(tcp_stat_names, &inet->tcp->stats, STATS_COUNT(tcp_stat_names), name);
}

unsigned tcp_conn_count(const struct inet *inet)
{
    return inet->tcp ? inet->tcp->n_conns + inet->tcp->n_tw : 0;
}

uint32_t tcp_tuple_hash(const struct tcp *tcp, struct unic_addr laddr, uint16_t lport,
                        struct unic_addr raddr, uint16_t rport)
{
    uint8_t t[TCP_TUPLE_MAX];
    size_t n = tcp_tuple(t, laddr, lport, raddr, rport);
    return (uint32_t)siphash24(tcp->hash_key, t, n);
}

static uint32_t bucket_of(const struct tcp *tcp, struct unic_addr laddr, uint16_t lport,
                          struct unic_addr raddr, uint16_t rport)
{
    return tcp_tuple_hash(tcp, laddr, lport, raddr, rport) & tcp->table_mask;
}

static bool same_tuple(const struct tcp_conn *c, struct unic_addr laddr, uint16_t lport,
                       struct unic_addr raddr, uint16_t rport)
{
    return c->lport == lport && c->rport == rport && unic_addr_equal(c->raddr, raddr) &&
           unic_addr_equal(c->laddr, laddr);
}

static void unhash(struct tcp_conn *c)
{
    struct tcp *tcp = c->tcp;
    if (tcp->last_lookup == c)
        tcp->last_lookup = NULL;
    struct tcp_conn **pp = &tcp->table[bucket_of(tcp, c->laddr, c->lport, c->raddr, c->rport)];
    while (*pp && *pp != c)
        pp = &(*pp)->hash_next;
    if (*pp)
        *pp = c->hash_next;
    c->hash_next = NULL;
}

static void conn_free(struct tcp_conn *c)
{
    struct tcp *tcp = c->tcp;
    if (tcp->last_lookup == c)
        tcp->last_lookup = NULL;
    if (c->all_prev)
        c->all_prev->all_next = c->all_next;
    else
        tcp->all = c->all_next;
    if (c->all_next)
        c->all_next->all_prev = c->all_prev;
    tcp->n_conns--;
    tcp_timers_cancel(c);
    tcp_conn_free_buffers(c);
    TCP_COUNT(tcp, conn_freed);
    free(c->ooo);
    free(c);
}

/* ACKs owed for in-order data go out once per batch of received frames (inet_module.flush), so
 * a burst of segments costs one ACK instead of one per two segments (what GRO does for Linux).
 * Out-of-order data, holes filled, FINs and window updates are still acknowledged at once. */
void tcp_defer_ack(struct tcp_conn *c)
{
    c->ack_deferred = true;
    tcp_flush_later(c);
}

void tcp_flush_later(struct tcp_conn *c)
{
    if (c->on_flush_list)
        return;
    c->on_flush_list = true;
    c->busy++;
    c->flush_next = c->tcp->flush_list;
    c->tcp->flush_list = c;
}

static void tcp_flush(struct inet *inet)
{
    struct tcp *tcp = inet->tcp;
    tcp_mem_wake(tcp);
    struct tcp_conn *c = tcp->flush_list, *next;
    tcp->flush_list = NULL;
    for (; c; c = next) {
        next = c->flush_next;
        c->flush_next = NULL;
        c->on_flush_list = false;
        if (c->ack_deferred)
            c->ack_now = true;
        /* need_output: a tcp_send() or tcp_close() from another connection's callback found
         * this one busy (its reference from the list) and left the sending to us. */
        if ((c->ack_deferred || c->need_output) && !c->stack_done)
            tcp_output(c);
        c->ack_deferred = false;
        c->busy--;
        tcp_conn_put(c);
    }
}

static void tcp_destroy(struct inet *inet)
{
    struct tcp *tcp = inet->tcp;
    if (!tcp)
        return;
    while (tcp->all) {
        struct tcp_conn *c = tcp->all;
        unhash(c);
        conn_free(c);
    }
    tcp_tw_destroy(tcp);
    while (tcp->listeners) {
        struct tcp_listener *l = tcp->listeners;
        tcp->listeners = l->next;
        free(l);
    }
    free(tcp->table);
    tcp_pool_destroy(&tcp->pool);
    free(tcp);
    inet->tcp = NULL;
    inet->tcp_input = NULL;
    inet->tcp_input6 = NULL;
    inet->tcp_error = NULL;
}

struct tcp *tcp_attach(struct inet *inet)
{
    if (inet->tcp)
        return inet->tcp;
    struct tcp *tcp = calloc(1, sizeof(*tcp));
    if (!tcp)
        return NULL;
    tcp->table = calloc(TCP_TABLE_MIN_BUCKETS, sizeof(*tcp->table));
    if (!tcp->table) {
        free(tcp);
        return NULL;
    }
    tcp->table_mask = TCP_TABLE_MIN_BUCKETS - 1;
    tcp->inet = inet;
    tcp_default_params(&tcp->params);
    tcp_resolve_params(inet, &tcp->params);
    tcp_pool_init(&tcp->pool, tcp->params.mem_budget);
    tcp_tw_init(tcp);
    random_bytes(tcp->hash_key, sizeof(tcp->hash_key));
    random_bytes(tcp->isn_key, sizeof(tcp->isn_key));
    random_bytes(tcp->cookie_key, sizeof(tcp->cookie_key));
    tcp->module.name = "tcp";
    tcp->module.print_stats = tcp_print_stats;
    tcp->module.stat = tcp_stat;
    tcp->module.destroy = tcp_destroy;
    tcp->module.flush = tcp_flush;
    inet->tcp = tcp;
    inet->tcp_input = tcp_input;
    inet->tcp_input6 = tcp_input6;
    inet->tcp_error = tcp_error;
    inet_add_module(inet, &tcp->module);
    return tcp;
}

/* ---------------------------------------------------------------------- connection table */

static struct tcp_conn *lookup_hashed(struct tcp *tcp, uint32_t hash, struct unic_addr laddr,
                                      uint16_t lport, struct unic_addr raddr, uint16_t rport)
{
    struct tcp_conn *c;
    for (c = tcp->table[hash & tcp->table_mask]; c; c = c->hash_next)
        if (same_tuple(c, laddr, lport, raddr, rport))
            break;
    if (c)
        tcp->last_lookup = c;
    return c;
}

struct tcp_conn *tcp_lookup(struct tcp *tcp, struct unic_addr laddr, uint16_t lport,
                            struct unic_addr raddr, uint16_t rport)
{
    struct tcp_conn *c = tcp->last_lookup;
    if (c && same_tuple(c, laddr, lport, raddr, rport))
        return c;
    return lookup_hashed(tcp, tcp_tuple_hash(tcp, laddr, lport, raddr, rport), laddr, lport, raddr,
                         rport);
}

bool tcp_tuple_in_use(struct tcp *tcp, struct unic_addr laddr, uint16_t lport,
                      struct unic_addr raddr, uint16_t rport)
{
    return tcp_lookup(tcp, laddr, lport, raddr, rport) ||
           tcp_tw_lookup(tcp, tcp_tuple_hash(tcp, laddr, lport, raddr, rport), laddr, lport, raddr,
                         rport);
}

struct tcp_listener *tcp_find_listener(struct tcp *tcp, uint16_t port)
{
    for (struct tcp_listener *l = tcp->listeners; l; l = l->next)
        if (l->port == port)
            return l;
    return NULL;
}

/* More connections than buckets: twice the buckets, so that a lookup stays O(1) on average up
 * to max_conns (rehashing is O(n), once per doubling). Without memory the chains just grow. */
static void table_grow(struct tcp *tcp)
{
    uint32_t n = (tcp->table_mask + 1) * 2;
    if (n > TCP_TABLE_MAX_BUCKETS)
        return;
    struct tcp_conn **t = calloc(n, sizeof(*t));
    if (!t)
        return;
    struct tcp_conn **old = tcp->table;
    uint32_t old_n = tcp->table_mask + 1;
    tcp->table = t;
    tcp->table_mask = n - 1;
    for (uint32_t i = 0; i < old_n; i++) {
        for (struct tcp_conn *c = old[i], *next; c; c = next) {
            next = c->hash_next;
            uint32_t b = bucket_of(tcp, c->laddr, c->lport, c->raddr, c->rport);
            c->hash_next = t[b];
            t[b] = c;
        }
    }
    free(old);
    TCP_COUNT(tcp, table_resizes);
}

/* max_conns counts TIME_WAIT entries too: when it is reached, the oldest entry makes room (the
 * head of their FIFO list, O(1)). */
struct tcp_conn *tcp_conn_alloc(struct tcp *tcp, struct unic_addr laddr, uint16_t lport,
                                struct unic_addr raddr, uint16_t rport)
{
    if ((uint64_t)tcp->n_conns + tcp->n_tw >= tcp->params.max_conns && !tcp_tw_reclaim(tcp)) {
        TCP_COUNT(tcp, conn_limit);
        return NULL;
    }
    struct tcp_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->tcp = tcp;
    c->inet = tcp->inet;
    c->laddr = laddr, c->lport = lport, c->raddr = raddr, c->rport = rport;
    c->user_done = true; /* until the service is handed the connection */
    c->rto_ns = TCP_RTO_INITIAL_NS;
    c->rcv_mss = tcp_our_mss(tcp->inet, raddr);
    c->mss = TCP_DEFAULT_MSS;
    c->ts_offset = tcp_ts_offset(tcp, laddr, lport, raddr, rport);
    c->rcv_wscale = tcp->params.window_scale ? tcp_pick_wscale(tcp->params.rcv_buf) : 0;
    c->rcv_wnd_cap = tcp_initial_wnd(&tcp->pool); /* fixed by the first window it offers */
    c->r2 = tcp_data_retries(tcp);
    tcp_timers_init(c);
    uint32_t b = bucket_of(tcp, laddr, lport, raddr, rport);
    c->hash_next = tcp->table[b];
    tcp->table[b] = c;
    c->all_next = tcp->all;
    if (tcp->all)
        tcp->all->all_prev = c;
    tcp->all = c;
    tcp->n_conns++;
    if (tcp->n_conns > tcp->table_mask + 1)
        table_grow(tcp);
    return c;
}

/* ------------------------------------------------------------------------ life of a conn */

/* Once nobody holds (c): freed when CLOSED, and in TIME_WAIT replaced by a compact entry (the
 * service was told on_close on entering TIME_WAIT; busy covers the owed ACK, which went out
 * from tcp_conn_input or the flush list before this). */
void tcp_conn_put(struct tcp_conn *c)
{
    if (c->busy || !c->user_done)
        return;
    if (!c->stack_done && c->state == TCP_TIME_WAIT && tcp_tw_enter(c)) {
        c->stack_done = true;
        unhash(c);
    }
    if (c->stack_done)
        conn_free(c);
}

/* The service's last call for this handle. */
static void notify_close(struct tcp_conn *c, int reason)
{
    if (c->user_done)
        return;
    c->user_done = true;
    c->busy++;
    if (c->on_connected)
        c->on_connected(c, reason); /* never got connected */
    else if (c->cb.on_close)
        c->cb.on_close(c, reason);
    c->busy--;
}

void tcp_conn_closed(struct tcp_conn *c, int reason)
{
    if (c->stack_done)
        return;
    if (c->listener) {
        c->listener->half_open--;
        c->listener = NULL;
    }
    c->state = TCP_CLOSED;
    c->stack_done = true;
    unhash(c);
    tcp_timers_cancel(c);
    tcp_conn_free_buffers(c);
    notify_close(c, reason);
    tcp_conn_put(c);
}

void tcp_set_state(struct tcp_conn *c, enum tcp_state s)
{
    c->state = s;
    if (s != TCP_TIME_WAIT)
        return;
    /* Only the sequence numbers matter now: give the buffers back at once (and the control
     * block at the last tcp_conn_put: tcp_tw_enter). */
    timer_cancel(c->inet->timers, &c->rtx_timer);
    tcp_cancel_delack(c);
    tcp_conn_free_buffers(c);
    tcp_arm_time_wait(c);
    notify_close(c, 0); /* both FINs are through: finished, as far as the service goes */
}

void tcp_notify_established(struct tcp_conn *c)
{
    struct tcp *tcp = c->tcp;
    c->busy++;
    if (c->listener) {
        struct tcp_listener *l = c->listener;
        l->half_open--;
        c->listener = NULL;
        c->user_done = false;
        TCP_COUNT(tcp, conn_accepted);
        l->on_accept(c, l->user);
    } else if (c->on_connected) {
        tcp_connected_fn fn = c->on_connected;
        c->on_connected = NULL;
        TCP_COUNT(tcp, conn_opened);
        fn(c, 0);
    } else { /* its listener went away during the handshake */
        tcp_send_rst(c);
        tcp_conn_closed(c, 0);
    }
    c->busy--;
}

void tcp_notify_writable(struct tcp_conn *c)
{
    if (!c->want_writable || c->user_done || c->fin_queued || !c->snd.size)
        return;
    /* Wait for a useful amount of room, so the service is not woken for every ACK; one that
     * holds a request and has nothing queued takes what it may borrow (tcp_snd_space). */
    uint32_t space = tcp_snd_space(c);
    if (space < c->snd.size / 4 && space < 4u * c->mss && !(space && tcp_snd_may_borrow(c))) {
        if (space < c->snd.size - c->snd.len)
            tcp_mem_wait(c); /* the pool, not this connection's queue, holds it back */
        return;
    }
    c->want_writable = false;
    if (c->cb.on_writable) {
        c->busy++;
        c->cb.on_writable(c);
        c->busy--;
    }
}

/* on_data may be called: a listening service that has not paused delivery. */
static bool can_offer(const struct tcp_conn *c)
{
    return c->rcv.size && !c->rcv_paused && !c->user_done && c->cb.on_data;
}

/* Offer the first (n) held bytes, at (p), to on_data and drop what it took; what it left is
 * remembered as seen (rcv_seen), so it is offered again only with more bytes or when asked. */
static void offer(struct tcp_conn *c, const uint8_t *p, uint32_t n)
{
    size_t used = c->cb.on_data(c, p, n);
    if (c->user_done || !c->rcv.size) { /* tcp_abort() inside on_data */
        c->rcv_seen = 0;
        return;
    }
    if (used > n)
        used = n;
    tcp_ring_consume(&c->rcv, (uint32_t)used);
    c->rcv_seen = n - (uint32_t)used;
}

/* Bytes from the ring's head that hold data: in-order bytes, then out-of-order ranges. */
static uint32_t rcv_extent(const struct tcp_conn *c)
{
    return c->n_ooo ? c->rcv.len + (c->ooo[c->n_ooo - 1].end - c->rcv_nxt) : c->rcv.len;
}

/* Offer held bytes while there are some the service has not seen (or (reoffer): seen ones
 * again). Unconsumed bytes come again at the front of the next offer; when they end where the
 * buffer wraps, the ring is made contiguous so that the service gets them together with what
 * follows. Each turn consumes bytes or offers all held bytes, so the loop ends. */
static void offer_held(struct tcp_conn *c, bool reoffer)
{
    while (c->rcv.len && can_offer(c) && (c->rcv.len > c->rcv_seen || reoffer)) {
        const uint8_t *p;
        uint32_t n = tcp_ring_contig(&c->rcv, &p);
        if (n < c->rcv.len && c->rcv_seen) {
            tcp_ring_linearize(&c->rcv, rcv_extent(c));
            n = tcp_ring_contig(&c->rcv, &p);
        }
        if (n <= c->rcv_seen && !reoffer)
            break; /* nothing unseen within reach (the ring could not be made contiguous) */
        reoffer = false;
        offer(c, p, n);
    }
}

/* Offer buffered in-order data to the service; then EOF once everything was offered. */
void tcp_deliver(struct tcp_conn *c)
{
    tcp_deliver_segment(c, NULL, 0);
}

void tcp_deliver_segment(struct tcp_conn *c, const uint8_t *data, uint32_t len)
{
    c->busy++;
    /* A tcp_recv_resume() from inside a callback of this delivery is served by the event
     * timer, not by this loop, which a reader that resumes every time would never leave. */
    bool reoffer = c->rcv_reoffer;
    c->rcv_reoffer = false;
    if (len) { /* the buffer was empty: offer the segment in place, keep what is left */
        if (can_offer(c))
            offer(c, data, len);
        if (c->rcv.size && c->rcv.len)
            tcp_ring_write_at(&c->rcv, 0, data + len - c->rcv.len, c->rcv.len);
    }
    offer_held(c, reoffer);
    if (c->rcv.size && !c->user_done && !c->cb.on_data) {
        tcp_ring_consume(&c->rcv, c->rcv.len); /* nobody listens: discard */
        c->rcv_seen = 0;
    }
    /* EOF once the service saw every byte and asked for none again (rcv_reoffer: a resume from
     * a callback of this delivery, served by the event timer first). */
    if (c->fin_received && !c->eof_delivered && !c->user_done && !c->rcv_paused &&
        !c->rcv_reoffer && c->rcv_seen >= c->rcv.len) {
        c->eof_delivered = true;
        if (c->cb.on_eof)
            c->cb.on_eof(c);
    }
    /* Window opened by at least two segments or half the buffer: tell the peer. */
    if (c->rcv.size && !c->user_done) {
        uint32_t wnd = tcp_rcv_window(c), adv = c->rcv_adv - c->rcv_nxt;
        if (wnd > adv && (wnd - adv >= 2u * c->rcv_mss || wnd - adv >= c->rcv.size / 2))
            c->ack_now = true;
    }
    c->busy--;
}

uint32_t tcp_ts_now(const struct tcp_conn *c)
{
    return (uint32_t)(inet_now(c->inet) / NSEC_PER_MSEC) + c->ts_offset;
}

/* -------------------------------------------------------------------------------- input */

/* Parse the (len)-byte segment at nb->data whose pseudo-header sums to (pseudo). */
static inline int parse_segment(struct tcp *tcp, struct netbuf *nb, size_t len, uint32_t pseudo,
                                struct tcp_seg *seg)
{
    int err = tcp_parse(nb->data, len, &seg->h);
    if (err == WIRE_ETRUNCATED)
        TCP_COUNT(tcp, rx_truncated);
    else if (err == WIRE_ELENGTH)
        TCP_COUNT(tcp, rx_bad_offset);
    else if (err)
        TCP_COUNT(tcp, rx_bad_option);
    if (err)
        return err;
    if (!nb->csum_ok && !tcp_checksum_ok_sum(nb->data, len, pseudo)) {
        TCP_COUNT(tcp, rx_bad_checksum);
        return WIRE_ECHECKSUM;
    }
    seg->data = nb->data + seg->h.hdr_len;
    seg->len = (uint32_t)(len - seg->h.hdr_len);
    return 0;
}

/* Demultiplex a parsed segment: its connection, else a listener, else a RST. */
static inline void tcp_dispatch(struct tcp *tcp, const struct tcp_seg *seg)
{
    struct tcp_conn *c = tcp->last_lookup;
    if (c && same_tuple(c, seg->dst, seg->h.dport, seg->src, seg->h.sport)) {
        tcp_conn_input(c, seg);
        return;
    }
    uint32_t hash = tcp_tuple_hash(tcp, seg->dst, seg->h.dport, seg->src, seg->h.sport);
    c = lookup_hashed(tcp, hash, seg->dst, seg->h.dport, seg->src, seg->h.sport);
    if (c) {
        tcp_conn_input(c, seg);
        return;
    }
    struct tcp_tw *tw = tcp_tw_lookup(tcp, hash, seg->dst, seg->h.dport, seg->src, seg->h.sport);
    if (tw) {
        tcp_tw_input(tcp, tw, seg);
        return;
    }
    struct tcp_listener *l = tcp_find_listener(tcp, seg->h.dport);
    if (l) {
        tcp_listen_input(tcp, l, seg);
    } else {
        TCP_COUNT(tcp, rx_no_conn);
        tcp_reply_rst(tcp, seg);
    }
}

static bool bad_address(struct inet *inet, const struct ip4_hdr *ip)
{
    uint32_t src = ip->src;
    return ip4_is_broadcast(inet, ip->dst) || src == 0 || ip4_is_broadcast(inet, src) ||
           ip4_is_multicast(src) || ip4_is_multicast(ip->dst);
}

static void tcp_input(struct inet *inet, struct netbuf *nb, const struct ip4_hdr *ip)
{
    struct tcp *tcp = inet->tcp;
    struct tcp_seg seg;
    TCP_COUNT(tcp, rx);
    size_t len = nb->len;
    if (ip->total_len >= ip->hdr_len && (size_t)(ip->total_len - ip->hdr_len) < len)
        len = (size_t)(ip->total_len - ip->hdr_len);
    if (bad_address(inet, ip)) {
        TCP_COUNT(tcp, rx_bad_addr);
    } else if (len <= 0xffff &&
               parse_segment(tcp, nb, len,
                             csum_pseudo_ip4(ip->src, ip->dst, IP4_PROTO_TCP, (uint16_t)len),
                             &seg) == 0) {
        seg.src = unic_addr_ip4(ip->src);
        seg.dst = unic_addr_ip4(ip->dst);
        seg.ecn = ip->tos & 3;
        tcp_dispatch(tcp, &seg);
    }
    netbuf_free(nb);
}

/* Multicast either way, an unspecified source, or an IPv4-mapped address (which would alias an
 * IPv4 connection: RFC 4291 2.5.5.2 addresses never appear in IPv6 headers). */
static bool bad_address6(const struct ip6_rx *rx)
{
    return rx->dst_multicast || rx->dst.bytes[0] == 0xff || rx->src.bytes[0] == 0xff ||
           unic_addr_is_unspecified(rx->src) || unic_addr_is_ip4(rx->src) ||
           unic_addr_is_ip4(rx->dst);
}

static void tcp_input6(struct inet *inet, struct netbuf *nb, const struct ip6_rx *rx)
{
    struct tcp *tcp = inet->tcp;
    struct tcp_seg seg;
    TCP_COUNT(tcp, rx);
    if (bad_address6(rx)) {
        TCP_COUNT(tcp, rx_bad_addr);
    } else if (parse_segment(
                   tcp, nb, nb->len,
                   csum_pseudo_ip6(rx->src.bytes, rx->dst.bytes, IP4_PROTO_TCP, (uint32_t)nb->len),
                   &seg) == 0) {
        seg.src = rx->src;
        seg.dst = rx->dst;
        seg.ecn = rx->traffic_class & 3;
        tcp_dispatch(tcp, &seg);
    }
    netbuf_free(nb);
}

/* An ICMP or ICMPv6 error about a segment of ours (RFC 9293 MUST-54, RFC 5461). The quoted
 * sequence number must be in flight (RFC 5927 4.1), else the error is forged or stale. A hard
 * error (port or protocol unreachable) ends a connect (SYN_SENT) at once; any other error, and
 * a hard one once synchronized, is soft: remembered, and reported instead of -ETIMEDOUT if the
 * connection times out (RFC 1122 4.2.3.9). Packet too big has already lowered the path MTU and
 * the segment it quotes is lost: the first unacknowledged one goes again at once, cut to the
 * new size, without waiting for the retransmission timer (RFC 8201 5.2). */
static void tcp_error(struct inet *inet, const struct ip_error *err)
{
    struct tcp *tcp = inet->tcp;
    struct tcp_conn *c = NULL;
    uint32_t seq = 0;
    if (err->l4_len >= 8) {
        seq = rd32(err->l4 + 4);
        c = tcp_lookup(tcp, err->src, rd16(err->l4), err->dst, rd16(err->l4 + 2));
    }
    if (!c || seq_lt(seq, c->snd_una) || seq_ge(seq, c->snd_max)) {
        TCP_COUNT(tcp, rx_icmp_ignored);
        return;
    }
    if (err->hard && c->state == TCP_SYN_SENT) {
        TCP_COUNT(tcp, rx_icmp_hard);
        tcp_conn_closed(c, err->err);
        return;
    }
    if (!err->too_big) {
        c->soft_err = err->err;
        TCP_COUNT(tcp, rx_icmp_soft);
        return;
    }
    TCP_COUNT(tcp, rx_icmp_too_big);
    if (c->busy || c->state < TCP_ESTABLISHED)
        return; /* the next output or the timer sends it at the new size */
    c->busy++;
    tcp_retransmit_una(c);
    c->busy--;
    tcp_conn_put(c);
}
