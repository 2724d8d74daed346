/*
 * TIME_WAIT without the control block (Linux's tcp_timewait_sock; docs/tcp-memory.md, Tables).
 *
 * Once a connection in TIME_WAIT is let go of by everyone (the service had on_close on
 * entering it, the owed ACK went out: tcp_conn_put), its struct tcp_conn is freed and a
 * struct tcp_tw keeps what TIME_WAIT still answers with: the tuple, the sequence numbers, the
 * last timestamp and the window. Entries live in their own hash table (the connection table's
 * keyed hash, their own size) and on one FIFO list: every entry lives time_wait_ms, so the
 * list is in order of expiry, one timer at its head ends them, and the oldest is at hand when
 * max_conns needs room. A retransmitted FIN restarts 2*MSL and moves its entry to the tail.
 *
 * tcp_tw_input is RFC 9293 3.10.7.4 for TIME-WAIT as tcp_input.c does it for a control block:
 * PAWS, the sequence check (the window is zero), RST ignored (RFC 1337), SYN (a newer one opens
 * a new incarnation, RFC 6191; else a challenge ACK, RFC 5961 4), the ACK checks of RFC 5961
 * 5.2. The one difference: PAWS takes ts_recent as fresh (RFC 7323 5.5's 24 days of idleness
 * cannot pass in TIME_WAIT unless time_wait_ms is set that long).
 */
#include <stdlib.h>

#include "tcp_internal.h"

#define TW_TABLE_MIN_BUCKETS 256
#define TW_TABLE_MAX_BUCKETS (1u << 22)

static void on_tw_timer(struct timer *t);

void tcp_tw_init(struct tcp *tcp)
{
    timer_init(&tcp->tw_timer, on_tw_timer, tcp);
}

static uint32_t tw_hash(const struct tcp *tcp, const struct tcp_tw *tw)
{
    return tcp_tuple_hash(tcp, tw->laddr, tw->lport, tw->raddr, tw->rport);
}

/* ------------------------------------------------------------------------------ the list */

/* The timer follows the head: the earliest expiry. */
static void arm(struct tcp *tcp)
{
    struct timer_queue *tq = tcp->inet->timers;
    if (!tcp->tw_head)
        timer_cancel(tq, &tcp->tw_timer);
    else if (!timer_armed(&tcp->tw_timer) || tcp->tw_timer.deadline != tcp->tw_head->expires)
        timer_arm(tq, &tcp->tw_timer, tcp->tw_head->expires);
}

static void list_remove(struct tcp *tcp, struct tcp_tw *tw)
{
    if (tw->older)
        tw->older->newer = tw->newer;
    else
        tcp->tw_head = tw->newer;
    if (tw->newer)
        tw->newer->older = tw->older;
    else
        tcp->tw_tail = tw->older;
    tw->older = tw->newer = NULL;
}

/* In order of expiry: at the tail, unless an entry there expires later (time_wait_ms was
 * lowered, or a control block became an entry late): then just before the later ones. */
static void list_insert(struct tcp *tcp, struct tcp_tw *tw)
{
    struct tcp_tw *after = tcp->tw_tail;
    while (after && after->expires > tw->expires)
        after = after->older;
    tw->older = after;
    tw->newer = after ? after->newer : tcp->tw_head;
    if (tw->newer)
        tw->newer->older = tw;
    else
        tcp->tw_tail = tw;
    if (after)
        after->newer = tw;
    else
        tcp->tw_head = tw;
}

/* ------------------------------------------------------------------------------ the table */

/* More entries than buckets: twice the buckets (as the connection table grows). Without memory
 * the chains just grow. */
static void table_grow(struct tcp *tcp)
{
    uint32_t old_n = tcp->tw_table ? tcp->tw_mask + 1 : 0;
    uint32_t n = old_n ? old_n * 2 : TW_TABLE_MIN_BUCKETS;
    if (n > TW_TABLE_MAX_BUCKETS)
        return;
    struct tcp_tw **t = calloc(n, sizeof(*t));
    if (!t)
        return;
    for (uint32_t i = 0; i < old_n; i++) {
        for (struct tcp_tw *tw = tcp->tw_table[i], *next; tw; tw = next) {
            next = tw->hash_next;
            uint32_t b = tw_hash(tcp, tw) & (n - 1);
            tw->hash_next = t[b];
            t[b] = tw;
        }
    }
    free(tcp->tw_table);
    tcp->tw_table = t;
    tcp->tw_mask = n - 1;
}

struct tcp_tw *tcp_tw_lookup(const struct tcp *tcp, uint32_t hash, struct unic_addr laddr,
                             uint16_t lport, struct unic_addr raddr, uint16_t rport)
{
    if (!tcp->n_tw)
        return NULL;
    for (struct tcp_tw *tw = tcp->tw_table[hash & tcp->tw_mask]; tw; tw = tw->hash_next)
        if (tw->lport == lport && tw->rport == rport && unic_addr_equal(tw->raddr, raddr) &&
            unic_addr_equal(tw->laddr, laddr))
            return tw;
    return NULL;
}

static void tw_free(struct tcp *tcp, struct tcp_tw *tw)
{
    struct tcp_tw **pp = &tcp->tw_table[tw_hash(tcp, tw) & tcp->tw_mask];
    while (*pp != tw)
        pp = &(*pp)->hash_next;
    *pp = tw->hash_next;
    list_remove(tcp, tw);
    tcp->n_tw--;
    free(tw);
}

void tcp_tw_destroy(struct tcp *tcp)
{
    while (tcp->tw_head)
        tw_free(tcp, tcp->tw_head);
    timer_cancel(tcp->inet->timers, &tcp->tw_timer);
    free(tcp->tw_table);
    tcp->tw_table = NULL;
}

bool tcp_tw_enter(struct tcp_conn *c)
{
    struct tcp *tcp = c->tcp;
    if (!tcp->tw_table || tcp->n_tw >= tcp->tw_mask + 1)
        table_grow(tcp);
    struct tcp_tw *tw = tcp->tw_table ? calloc(1, sizeof(*tw)) : NULL;
    if (!tw) {
        TCP_COUNT(tcp, time_wait_no_memory);
        return false;
    }
    tw->laddr = c->laddr, tw->raddr = c->raddr;
    tw->lport = c->lport, tw->rport = c->rport;
    tw->snd_nxt = c->snd_max; /* what tcp_send_ack() sends (ack_seq) */
    tw->rcv_nxt = c->rcv_nxt;
    tw->ts_ok = c->ts_ok;
    tw->ts_recent = c->ts_recent;
    tw->max_snd_wnd = c->max_snd_wnd;
    uint32_t wnd = tcp_rcv_window(c) >> c->rcv_wscale;
    tw->window = (uint16_t)(wnd > 0xffff ? 0xffff : wnd);
    /* 2*MSL runs from entering TIME_WAIT (or the last FIN since), not from now. */
    tw->expires = timer_armed(&c->keep_timer)
                      ? c->keep_timer.deadline
                      : inet_now(tcp->inet) + (uint64_t)tcp->params.time_wait_ms * NSEC_PER_MSEC;
    uint32_t b = tw_hash(tcp, tw) & tcp->tw_mask;
    tw->hash_next = tcp->tw_table[b];
    tcp->tw_table[b] = tw;
    tcp->n_tw++;
    list_insert(tcp, tw);
    arm(tcp);
    return true;
}

bool tcp_tw_reclaim(struct tcp *tcp)
{
    if (!tcp->tw_head)
        return false;
    TCP_COUNT(tcp, time_wait_reclaimed);
    tw_free(tcp, tcp->tw_head);
    arm(tcp);
    return true;
}

static void on_tw_timer(struct timer *t)
{
    struct tcp *tcp = t->arg;
    uint64_t now = inet_now(tcp->inet);
    while (tcp->tw_head && tcp->tw_head->expires <= now)
        tw_free(tcp, tcp->tw_head);
    arm(tcp);
}

/* ------------------------------------------------------------------------------ input */

/* The peer did not get our last ACK and sent its FIN again: 2*MSL starts over. */
static void restart(struct tcp *tcp, struct tcp_tw *tw)
{
    tw->expires = inet_now(tcp->inet) + (uint64_t)tcp->params.time_wait_ms * NSEC_PER_MSEC;
    list_remove(tcp, tw);
    list_insert(tcp, tw);
    arm(tcp);
}

/* A SYN that is clearly newer (RFC 6191: by timestamp, else by sequence) to a port that
 * listens starts a new incarnation above everything the old one sent (RFC 9293 3.4.1).
 * true: the segment went to the listener and (tw) is gone. */
static bool reuse(struct tcp *tcp, struct tcp_tw *tw, const struct tcp_seg *seg)
{
    if ((seg->h.flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN)
        return false;
    bool newer = (tw->ts_ok && seg->h.opts.has_ts) ? seq_gt(seg->h.opts.ts_val, tw->ts_recent)
                                                   : seq_gt(seg->h.seq, tw->rcv_nxt);
    struct tcp_listener *l = tcp_find_listener(tcp, tw->lport);
    if (!newer || !l)
        return false;
    TCP_COUNT(tcp, rx_time_wait_reuse);
    uint32_t isn = tcp_isn(tcp, tw->laddr, tw->lport, tw->raddr, tw->rport);
    tcp->forced_isn = seq_gt(isn, tw->snd_nxt + 0x20000) ? isn : tw->snd_nxt + 0x20000;
    tcp->force_isn = true;
    tw_free(tcp, tw);
    arm(tcp);
    tcp_listen_input(tcp, l, seg);
    tcp->force_isn = false; /* unused if the SYN was answered with a cookie */
    return true;
}

/* RFC 7323 5.3, as paws_reject in tcp_input.c: only what could be taken as data. */
static bool paws_reject(const struct tcp_tw *tw, const struct tcp_seg *seg)
{
    if (!tw->ts_ok || !seg->h.opts.has_ts || (seg->h.flags & TCP_RST))
        return false;
    if (seg->len == 0 && !(seg->h.flags & (TCP_SYN | TCP_FIN)))
        return false;
    return seq_lt(seg->h.opts.ts_val, tw->ts_recent);
}

/* A segment at rcv_nxt with ACK (RFC 5961 5.2): nothing to do but keep the timestamp, unless
 * the ACK is out of range (a challenge ACK). */
static void ack_input(struct tcp *tcp, struct tcp_tw *tw, const struct tcp_seg *seg)
{
    if (tw->ts_ok && seg->h.opts.has_ts && seq_ge(seg->h.opts.ts_val, tw->ts_recent))
        tw->ts_recent = seg->h.opts.ts_val;
    bool bad = true;
    if (seq_gt(seg->h.ack, tw->snd_nxt))
        TCP_COUNT(tcp, rx_ack_too_new);
    else if (seq_lt(seg->h.ack, tw->snd_nxt - tw->max_snd_wnd))
        TCP_COUNT(tcp, rx_old_ack);
    else
        bad = false;
    if (bad) {
        if (tcp_challenge_allowed(tcp))
            tcp_send_tw_ack(tcp, tw);
    } else if (seg->len || (seg->h.flags & TCP_FIN)) {
        TCP_COUNT(tcp, rx_data_after_fin);
    }
}

void tcp_tw_input(struct tcp *tcp, struct tcp_tw *tw, const struct tcp_seg *seg)
{
    uint8_t f = seg->h.flags;
    if (reuse(tcp, tw, seg))
        return;
    if (paws_reject(tw, seg)) {
        TCP_COUNT(tcp, rx_paws_rejected);
    } else if (seg->h.seq != tw->rcv_nxt) { /* the window is zero */
        TCP_COUNT(tcp, rx_out_of_window);
        if (f & TCP_RST)
            return;
        if (f & TCP_FIN)
            restart(tcp, tw); /* our last ACK was lost */
    } else if (f & TCP_RST) { /* RFC 1337: no TIME_WAIT assassination */
        TCP_COUNT(tcp, rx_rst_dropped);
        return;
    } else if (f & TCP_SYN) { /* RFC 5961 4.2 */
        TCP_COUNT(tcp, rx_syn_challenged);
        if (tcp_challenge_allowed(tcp))
            tcp_send_tw_ack(tcp, tw);
        return;
    } else if (!(f & TCP_ACK)) {
        TCP_COUNT(tcp, rx_bad_flags);
        return;
    } else {
        ack_input(tcp, tw, seg);
        return;
    }
    tcp_send_tw_ack(tcp, tw);
}
