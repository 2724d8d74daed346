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
/* The receive buffer a connection starts with (Linux autotuning's idea): every window is a
 * promise the pool counts, so an idle connection promises little; a peer that fills it doubles
 * it, up to rcv_buf. */
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

static bool pool_pressure(const struct tcp_pool *p)
{
    return p->used + p->promised > p->pressure;
}

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

/* Room in the pool again: the waiting senders get on_writable from their event timers. */
void tcp_mem_wake(struct tcp *tcp)
{
    if (!tcp->mem_waiters || pool_free(&tcp->pool) < (int64_t)TCP_ADMIT_BYTES)
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
 * every window already promised, so that the ones already open keep working. */
int tcp_conn_alloc_buffers(struct tcp_conn *c)
{
    if (c->snd.size)
        return 0;
    struct tcp *tcp = c->tcp;
    const struct tcp_params *p = &tcp->params;
    if (tcp->pool.used + tcp->pool.promised + TCP_ADMIT_BYTES > tcp->pool.limit) {
        TCP_COUNT(tcp, conn_no_memory);
        return -ENOMEM;
    }
    tcp_ring_alloc(&c->snd, &tcp->pool, p->snd_buf);
    tcp_ring_alloc(&c->rcv, &tcp->pool, p->rcv_buf);
    c->rcv_wnd_cap = pool_pressure(&tcp->pool) ? TCP_PRESSURE_WND : TCP_RCV_WND_INIT;
    tcp_rcv_promise_sync(c);
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

uint32_t tcp_rcv_space(const struct tcp_conn *c)
{
    const struct tcp_pool *pool = &c->tcp->pool;
    uint32_t cap = c->rcv_wnd_cap ? c->rcv_wnd_cap : TCP_RCV_WND_INIT;
    /* A passive open's SYN-ACK goes before its buffers exist: rcv_buf bounds it too. */
    uint32_t size = c->rcv.size ? c->rcv.size : c->tcp->params.rcv_buf;
    if (cap > size)
        cap = size;
    uint32_t space = cap > c->rcv.len ? cap - c->rcv.len : 0;
    int64_t avail = pool_free(pool) + c->rcv_promised - TCP_CHUNK_DATA;
    if (avail < (int64_t)space)
        space = avail > 0 ? (uint32_t)avail : 0;
    if (pool_pressure(pool) && space > TCP_PRESSURE_WND)
        space = TCP_PRESSURE_WND;
    return space;
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
