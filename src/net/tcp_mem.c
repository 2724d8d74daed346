/*
 * TCP memory (docs/tcp-memory.md): the buffers of a connection, the pool's budget, the window
 * promises it counts, admission of new connections, senders waiting for memory, and the
 * defaults sized from the platform's memory.
 */
#include <errno.h>
#include <stdlib.h>

#include "tcp_internal.h"

#define TCP_DEFAULT_BUDGET (64ull << 20) /* when the platform says nothing about memory */
#define TCP_DEFAULT_MAX_CONNS 4096
#define TCP_CONN_MEM 4096 /* memory per connection max_conns assumes (control block + data) */
#define TCP_MAX_CONNS_CAP 1000000
#define TCP_SYN_BACKLOG_MIN 128
#define TCP_SYN_BACKLOG_MAX 2048
/* A new connection needs this much of the pool free beyond the windows already promised. */
#define TCP_ADMIT_BYTES (8u * TCP_CHUNK_DATA)
/* Past the pool's pressure mark (used + promised > 3/4 of it), no window offers more. */
#define TCP_PRESSURE_WND (2u * TCP_CHUNK_DATA)
/* The receive buffer a connection starts with while the pool is nearly free (Linux
 * autotuning's idea): every window is a promise the pool counts, so an idle connection
 * promises little; a peer that fills it doubles it, up to rcv_buf. */
#define TCP_RCV_WND_INIT (8u * TCP_CHUNK_DATA) /* > IW10 (RFC 6928) */

/* max_conns and mem_budget 0: from the memory the platform reported (inet->mem_size): half of
 * it for buffers, one connection per TCP_CONN_MEM of it (a control block of under 1 KiB and
 * room to move some data). */
void tcp_resolve_params(const struct inet *inet, struct tcp_params *p)
{
    uint64_t mem = inet->mem_size;
    if (!p->mem_budget)
        p->mem_budget = mem ? mem / 2 : TCP_DEFAULT_BUDGET;
    if (!p->max_conns) {
        uint64_t n = mem ? mem / TCP_CONN_MEM : TCP_DEFAULT_MAX_CONNS;
        p->max_conns = (uint32_t)(n > TCP_MAX_CONNS_CAP ? TCP_MAX_CONNS_CAP : n ? n : 1);
    }
    /* A burst of connects larger than the backlog is answered with cookies, and a cookie
     * connection is lost when its handshake's last ACK and first data both are: 128 made
     * three quarters of a 10,000-connection burst cookies. A half-open connection is a control
     * block, counted in max_conns. */
    if (p->syn_backlog == TCP_SYN_BACKLOG_AUTO) {
        uint32_t b = p->max_conns / 16;
        p->syn_backlog = b < TCP_SYN_BACKLOG_MIN   ? TCP_SYN_BACKLOG_MIN
                         : b > TCP_SYN_BACKLOG_MAX ? TCP_SYN_BACKLOG_MAX
                                                   : b;
    }
}

/* Pool bytes neither used nor promised to some connection's window; may be negative when
 * chunk rounding took more than the promises counted. */
static int64_t pool_free(const struct tcp_pool *p)
{
    return (int64_t)p->limit - (int64_t)p->used - (int64_t)p->promised;
}

/* The part of the pool windows and admission leave to data being sent: an eighth. */
static uint64_t pool_reserve(const struct tcp_pool *p)
{
    return p->limit / 8;
}

/* Free memory that wakes waiting senders: enough to be worth their on_writable. */
static int64_t wake_bytes(const struct tcp_pool *p)
{
    uint64_t b = p->limit / 16; /* within one chunk .. TCP_ADMIT_BYTES */
    if (b > TCP_ADMIT_BYTES)
        b = TCP_ADMIT_BYTES;
    return (int64_t)(b < TCP_CHUNK_DATA ? TCP_CHUNK_DATA : b);
}

static bool pool_pressure(const struct tcp_pool *p)
{
    return p->used + p->promised > p->pressure;
}

/* The receive window a connection starts with, smaller as the pool fills (levels in the
 * spirit of Linux's tcp_mem): a window is memory set aside until the peer fills it or the
 * connection ends, and most connections of a crowd are idle. The first ones get room for IW10;
 * past a quarter of the pool each gets two chunks (two segments: one is not enough, the peer
 * would wait for our delayed ACK every time), so that a crowd of idle connections leaves the
 * pool to the data that moves. (With 8 chunks each until 3/4 of the
 * pool, 10,000 idle echo connections promised a 96 MiB kvm guest's whole budget and the ones
 * that then echoed crawled: docs/tcp-memory.md.) */
uint32_t tcp_initial_wnd(const struct tcp_pool *p)
{
    uint64_t held = p->used + p->promised;
    if (held < p->limit / 16)
        return TCP_RCV_WND_INIT;
    if (held < p->limit / 8)
        return TCP_RCV_WND_INIT / 2;
    return TCP_RCV_WND_INIT / 4;
}

static uint32_t rcv_space_own(const struct tcp_conn *c);

void tcp_mem_wait(struct tcp_conn *c)
{
    if (c->on_mem_wait || c->stack_done)
        return;
    TCP_COUNT(c->tcp, snd_mem_waits);
    c->on_mem_wait = true;
    c->busy++;
    c->mem_wait_next = c->tcp->mem_waiters;
    c->tcp->mem_waiters = c;
}

/* (c) advertised a window the pool held back: it waits for memory on tcp->rcv_waiters, in
 * order, so that the window is reopened by an update when memory returns, not left to the
 * peer's zero-window probes, which back off to minutes. */
static void rcv_mem_wait(struct tcp_conn *c)
{
    if (c->rcv_mem_wait || c->stack_done)
        return;
    TCP_COUNT(c->tcp, rcv_mem_waits);
    c->rcv_mem_wait = true;
    c->busy++;
    c->rcv_wait_next = NULL;
    if (c->tcp->rcv_waiters_tail)
        c->tcp->rcv_waiters_tail->rcv_wait_next = c;
    else
        c->tcp->rcv_waiters = c;
    c->tcp->rcv_waiters_tail = c;
}

/* Receive windows the pool held back, first come first served, while what is free covers
 * them: each gets an ACK (a window update) at the end of this batch. One that would not open
 * by a useful amount now leaves the list (its own limits, not the pool, hold it; its service's
 * reads or the peer's probes bring the next ACK). */
static void rcv_wake(struct tcp *tcp)
{
    int64_t left = pool_free(&tcp->pool) - (int64_t)pool_reserve(&tcp->pool);
    while (tcp->rcv_waiters && left >= (int64_t)TCP_CHUNK_DATA) {
        struct tcp_conn *c = tcp->rcv_waiters;
        tcp->rcv_waiters = c->rcv_wait_next;
        if (!tcp->rcv_waiters)
            tcp->rcv_waiters_tail = NULL;
        c->rcv_wait_next = NULL;
        c->rcv_mem_wait = false;
        uint32_t wnd = c->stack_done ? 0 : tcp_rcv_window(c);
        uint32_t adv = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
        if (wnd > adv && wnd - adv >= tcp_rcv_step(c)) {
            left -= wnd - adv;
            TCP_COUNT(tcp, rcv_mem_updates);
            c->ack_deferred = true;
            tcp_flush_later(c);
        }
        c->busy--;
        tcp_conn_put(c);
    }
}

/* An ACK advertised (wnd): if the pool, not the connection's own buffer, kept it from opening
 * by a useful amount, wait for memory. */
void tcp_rcv_check_pool(struct tcp_conn *c, uint32_t wnd)
{
    if (!c->rcv.size || c->user_done || c->stack_done)
        return;
    uint32_t own = rcv_space_own(c), max = 0xffffu << c->rcv_wscale;
    if (own > max)
        own = max;
    if (own > wnd && own - wnd >= tcp_rcv_step(c))
        rcv_mem_wait(c);
}

/* Room in the pool again: the waiting senders get on_writable from their event timers, and
 * windows the pool held back are reopened. */
void tcp_mem_wake(struct tcp *tcp)
{
    if (tcp->rcv_waiters)
        rcv_wake(tcp);
    if (!tcp->mem_waiters || pool_free(&tcp->pool) < wake_bytes(&tcp->pool))
        return;
    struct tcp_conn *c = tcp->mem_waiters, *next;
    tcp->mem_waiters = NULL;
    for (; c; c = next) {
        next = c->mem_wait_next;
        c->mem_wait_next = NULL;
        c->on_mem_wait = false;
        if (!c->stack_done)
            tcp_schedule_event(c);
        c->busy--;
        tcp_conn_put(c);
    }
}

/* Buffers of an established connection: two empty rings that take chunks from the pool as
 * data comes. A connection is admitted only while the pool has TCP_ADMIT_BYTES free beyond
 * every window already promised and an eighth of it besides: that eighth is the working memory
 * of the data that moves (answers queued, windows that grow), which a crowd of idle
 * connections' promises would otherwise take to the last chunk, leaving the busy ones to move
 * a borrowed chunk per round trip (a 16 KiB echo took 0.4 s on the unit wire). */
int tcp_conn_alloc_buffers(struct tcp_conn *c)
{
    if (c->snd.size)
        return 0;
    struct tcp *tcp = c->tcp;
    const struct tcp_params *p = &tcp->params;
    const struct tcp_pool *pool = &tcp->pool;
    if (pool->used + pool->promised + TCP_ADMIT_BYTES + pool_reserve(pool) > pool->limit) {
        TCP_COUNT(tcp, conn_no_memory);
        return -ENOMEM;
    }
    tcp_ring_alloc(&c->snd, &tcp->pool, p->snd_buf);
    tcp_ring_alloc(&c->rcv, &tcp->pool, p->rcv_buf);
    tcp_rcv_promise_sync(c); /* rcv_wnd_cap: from the pool when the connection was made */
    return 0;
}

void tcp_conn_free_buffers(struct tcp_conn *c)
{
    c->tcp->pool.promised -= c->rcv_promised;
    c->rcv_promised = 0;
    tcp_ring_free(&c->snd);
    tcp_ring_free(&c->rcv);
    c->n_ooo = 0;
    c->n_sacked = 0;
    tcp_conn_ranges_trim(c);
}

int tcp_conn_ranges(struct tcp_conn *c)
{
    if (c->ooo)
        return 0;
    size_t n = TCP_MAX_OOO_RANGES + TCP_MAX_SCOREBOARD;
    c->ooo = calloc(n, sizeof(*c->ooo));
    if (!c->ooo)
        return -ENOMEM;
    c->sacked = c->ooo + TCP_MAX_OOO_RANGES;
    return 0;
}

/* Both kinds of range are empty again: give their memory back. */
void tcp_conn_ranges_trim(struct tcp_conn *c)
{
    if (!c->ooo || c->n_ooo || c->n_sacked)
        return;
    free(c->ooo);
    c->ooo = c->sacked = NULL;
}

/* The chunks (open) more bytes after those held would need beyond the ones the ring has. */
static uint32_t promise_cost(const struct tcp_ring *r, uint32_t open)
{
    if (!open)
        return 0;
    uint64_t have = r->first ? r->cover : 0, head = r->first ? r->head : 0;
    uint64_t need = head + (uint64_t)r->len + open;
    if (need <= have)
        return 0;
    return (uint32_t)((need - have + TCP_CHUNK_DATA - 1) / TCP_CHUNK_DATA * TCP_CHUNK_DATA);
}

/* The receive window a connection's own limits allow: its buffer in use and what it holds,
 * and the pool's pressure mark, the pool's free memory aside. */
static uint32_t rcv_space_own(const struct tcp_conn *c)
{
    const struct tcp_pool *pool = &c->tcp->pool;
    uint32_t cap = c->rcv_wnd_cap;
    /* A passive open's SYN-ACK goes before its buffers exist: rcv_buf bounds it too. */
    uint32_t size = c->rcv.size ? c->rcv.size : c->tcp->params.rcv_buf;
    if (cap > size)
        cap = size;
    uint32_t space = cap > c->rcv.len ? cap - c->rcv.len : 0;
    if (pool_pressure(pool) && space > TCP_PRESSURE_WND)
        space = TCP_PRESSURE_WND;
    return space;
}

/* What the pool can back after the held bytes: the rest of the ring's own chunks and whole
 * chunks of what is free (this connection's promise counted as free for it), so that the
 * promise of the window it returns is never more than is free. The pool's last eighth is not
 * for windows: it is the senders' (pool_reserve), or a receiver growing its window would
 * take every chunk a sender frees and starve it. */
static uint64_t rcv_backed(const struct tcp_conn *c)
{
    const struct tcp_ring *r = &c->rcv;
    uint64_t room = 0;
    if (r->first && r->cover > (uint64_t)r->head + r->len)
        room = r->cover - r->head - r->len;
    const struct tcp_pool *pool = &c->tcp->pool;
    int64_t avail = pool_free(pool) - (int64_t)pool_reserve(pool) + c->rcv_promised;
    return room + (avail > 0 ? (uint64_t)avail / TCP_CHUNK_DATA * TCP_CHUNK_DATA : 0);
}

uint32_t tcp_rcv_space(const struct tcp_conn *c)
{
    uint32_t space = rcv_space_own(c);
    uint64_t backed = rcv_backed(c);
    return backed < space ? (uint32_t)backed : space;
}

/* The smallest useful move of the window's right edge (receiver-side SWS avoidance, RFC 9293
 * 3.8.6.2.2): one MSS, or half the buffer when that is less. */
uint32_t tcp_rcv_step(const struct tcp_conn *c)
{
    uint32_t size = c->rcv.size ? c->rcv.size : c->tcp->params.rcv_buf;
    return size / 2 < c->rcv_mss ? size / 2 : c->rcv_mss;
}

/* A connection that holds received bytes and has nothing queued may take one chunk past the
 * windows' promises, never past the pool's limit: its answer is what lets the service consume
 * the request and free its chunk, and windows that promise the whole pool would otherwise keep
 * every answer waiting for memory only answers return (10,000 echo connections deadlocked so
 * on kvm at 56..80 MB). Bounded by one chunk per such connection and by the limit; the cost is
 * that a segment which later finds the pool full is dropped before it is acknowledged
 * (rx_no_memory) and sent again by its peer. */
bool tcp_snd_may_borrow(const struct tcp_conn *c)
{
    const struct tcp_pool *pool = &c->tcp->pool;
    return c->rcv.len && !c->snd.first && pool->used + TCP_CHUNK_DATA <= pool->limit;
}

uint32_t tcp_snd_space(const struct tcp_conn *c)
{
    uint32_t space = c->snd.size - c->snd.len;
    int64_t avail = pool_free(&c->tcp->pool);
    if (avail < (int64_t)TCP_CHUNK_DATA && tcp_snd_may_borrow(c))
        avail = TCP_CHUNK_DATA;
    if (avail < (int64_t)space)
        space = avail > 0 ? (uint32_t)avail : 0;
    return space;
}

/* The peer moved half the receive buffer within about two round trips: the buffer, not the
 * path, may be what limits it, so the buffer doubles (unless the pool is under pressure). */
static void rcv_tune(struct tcp_conn *c)
{
    uint64_t now = inet_now(c->inet), rtt = c->srtt_ns ? c->srtt_ns : TCP_DELACK_MAX_NS;
    if (now - c->rcv_tune_at > 2 * rtt) {
        c->rcv_tune_at = now;
        c->rcv_tune_seq = c->rcv_nxt;
        return;
    }
    if (c->rcv_nxt - c->rcv_tune_seq < c->rcv_wnd_cap / 2 || pool_pressure(&c->tcp->pool))
        return;
    c->rcv_wnd_cap *= 2;
    c->rcv_tune_at = now;
    c->rcv_tune_seq = c->rcv_nxt;
}

void tcp_rcv_promise_sync(struct tcp_conn *c)
{
    uint32_t open = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    if (c->rcv.size && c->rcv_wnd_cap < c->rcv.size)
        rcv_tune(c);
    uint32_t cost = c->rcv.size ? promise_cost(&c->rcv, open) : 0;
    c->tcp->pool.promised += (uint64_t)cost - c->rcv_promised;
    c->rcv_promised = cost;
}
