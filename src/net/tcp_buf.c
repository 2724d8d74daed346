/*
 * TCP send and receive buffers: byte queues of up to (size) bytes whose memory is a chain of
 * fixed-size chunks taken from the stack's chunk pool on demand and given back as soon as the
 * bytes in them are acknowledged (send) or consumed (receive). An empty ring holds no chunk.
 * See docs/tcp-memory.md.
 *
 * Positions: (start) is the stream position of byte 0 of the first chunk, (head) the offset of
 * the first held byte in it; offsets given to the calls count from that first byte. The chunks
 * cover [start, start + cover); the receive side writes out-of-order data past len, so chunks
 * may exist beyond head + len (hi says how far bytes were written). Chunks hold TCP_CHUNK_DATA
 * bytes, except one that tcp_ring_linearize() made to give the service held bytes in one piece.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_internal.h"

struct tcp_chunk {
    struct tcp_chunk *next;
    uint32_t cap; /* data bytes: TCP_CHUNK_DATA, or more for a linearized one */
    uint8_t data[];
};

/* Chunks kept on the free list instead of going back to the allocator, so that a steady
 * transfer does not call malloc and free per chunk. */
#define POOL_FREE_MAX 256

void tcp_pool_init(struct tcp_pool *p, uint64_t limit)
{
    memset(p, 0, sizeof(*p));
    tcp_pool_set_limit(p, limit);
}

void tcp_pool_set_limit(struct tcp_pool *p, uint64_t limit)
{
    p->limit = limit;
    p->pressure = limit / 4 * 3;
}

void tcp_pool_destroy(struct tcp_pool *p)
{
    while (p->free) {
        struct tcp_chunk *ch = p->free;
        p->free = ch->next;
        free(ch);
    }
    p->n_free = 0;
}

/* A chunk of (cap) data bytes (cap <= 1 GiB: a ring's size), within the pool's limit. */
static struct tcp_chunk *chunk_get(struct tcp_pool *p, uint32_t cap)
{
    if (p->used + cap > p->limit) {
        p->refused++;
        return NULL;
    }
    struct tcp_chunk *ch = cap == TCP_CHUNK_DATA ? p->free : NULL;
    if (ch) {
        p->free = ch->next;
        p->n_free--;
    } else if (!(ch = malloc(sizeof(*ch) + cap))) {
        p->refused++;
        return NULL;
    }
    ch->next = NULL;
    ch->cap = cap;
    p->used += cap;
    if (p->used > p->peak)
        p->peak = p->used;
    return ch;
}

static void chunk_put(struct tcp_pool *p, struct tcp_chunk *ch)
{
    p->used -= ch->cap;
    if (ch->cap == TCP_CHUNK_DATA && p->n_free < POOL_FREE_MAX) {
        ch->next = p->free;
        p->free = ch;
        p->n_free++;
    } else {
        free(ch);
    }
}

/* Make (r) a ring of up to (size) bytes over (pool); it holds no memory until written. */
int tcp_ring_alloc(struct tcp_ring *r, struct tcp_pool *pool, uint32_t size)
{
    memset(r, 0, sizeof(*r));
    r->pool = pool;
    r->size = size;
    return 0;
}

static void free_chunks(struct tcp_ring *r)
{
    while (r->first) {
        struct tcp_chunk *ch = r->first;
        r->first = ch->next;
        chunk_put(r->pool, ch);
    }
    r->last = r->cur = NULL;
    r->cover = 0;
    r->start += r->head; /* positions stay continuous; the next chunk starts at head */
    r->head = 0;
}

void tcp_ring_free(struct tcp_ring *r)
{
    if (r->pool)
        free_chunks(r);
    memset(r, 0, sizeof(*r));
}

/* Chunks covering offsets [0, end) from head, allocated as needed; returns how many bytes from
 * head they cover (less than end when the pool refused). */
uint32_t tcp_ring_reserve(struct tcp_ring *r, uint32_t end)
{
    if (!r->first) { /* bytes counted but never written (read in place) leave head anywhere */
        r->start += r->head;
        r->head = 0;
    }
    uint32_t covered = r->cover - r->head;
    while (covered < end) {
        struct tcp_chunk *ch = chunk_get(r->pool, TCP_CHUNK_DATA);
        if (!ch)
            return covered;
        if (r->last)
            r->last->next = ch;
        else
            r->first = ch;
        r->last = ch;
        r->cover += TCP_CHUNK_DATA;
        covered += TCP_CHUNK_DATA;
    }
    return end;
}

/* The chunk holding stream position (pos) (which must be covered), from the cursor when it is
 * not past pos: sequential reads and writes do not walk the chain from its start. */
static struct tcp_chunk *chunk_at(struct tcp_ring *r, uint32_t pos, uint32_t *chunk_pos)
{
    struct tcp_chunk *ch = r->first;
    uint32_t at = r->start;
    if (r->cur && pos - r->cur_pos < pos - r->start) {
        ch = r->cur;
        at = r->cur_pos;
    }
    while (pos - at >= ch->cap) {
        at += ch->cap;
        ch = ch->next;
    }
    r->cur = ch;
    r->cur_pos = at;
    *chunk_pos = at;
    return ch;
}

/* Copy (n) bytes into the ring at (off) bytes from head (off + n <= size). Does not change len:
 * the receive side writes out-of-order data past len. Returns the bytes copied: fewer than n
 * when the pool has no chunk for the rest. */
uint32_t tcp_ring_write_at(struct tcp_ring *r, uint32_t off, const uint8_t *src, uint32_t n)
{
    uint32_t avail = tcp_ring_reserve(r, off + n);
    if (avail <= off)
        return 0;
    if (n > avail - off)
        n = avail - off;
    uint32_t pos = r->start + r->head + off, done = 0, at;
    struct tcp_chunk *ch = chunk_at(r, pos, &at);
    while (done < n) {
        uint32_t in = (pos + done) - at, k = ch->cap - in;
        if (k > n - done)
            k = n - done;
        memcpy(ch->data + in, src + done, k);
        done += k;
        if (done < n) {
            at += ch->cap;
            ch = ch->next;
        }
    }
    if (off + n > r->hi)
        r->hi = off + n;
    return n;
}

void tcp_ring_read_at(const struct tcp_ring *r, uint32_t off, uint8_t *dst, uint32_t n)
{
    struct tcp_ring *w = (struct tcp_ring *)r; /* only the cursor moves */
    uint32_t pos = r->start + r->head + off, done = 0, at;
    if (n == 0)
        return;
    struct tcp_chunk *ch = chunk_at(w, pos, &at);
    while (done < n) {
        uint32_t in = (pos + done) - at, k = ch->cap - in;
        if (k > n - done)
            k = n - done;
        memcpy(dst + done, ch->data + in, k);
        done += k;
        if (done < n) {
            at += ch->cap;
            ch = ch->next;
        }
    }
}

/* Drop (n) bytes from the front; chunks left behind go back to the pool at once, and all of
 * them when nothing is held or written beyond. */
void tcp_ring_consume(struct tcp_ring *r, uint32_t n)
{
    if (n > r->len)
        n = r->len;
    r->len -= n;
    r->hi = r->hi > n ? r->hi - n : 0;
    if (r->hi < r->len)
        r->hi = r->len;
    r->head += n;
    if (r->hi == 0) {
        free_chunks(r);
        return;
    }
    while (r->first && r->head >= r->first->cap) {
        struct tcp_chunk *ch = r->first;
        if (r->cur == ch)
            r->cur = NULL;
        r->first = ch->next;
        if (!r->first)
            r->last = NULL;
        r->start += ch->cap;
        r->head -= ch->cap;
        r->cover -= ch->cap;
        chunk_put(r->pool, ch);
    }
}

/* The first contiguous run of held bytes. */
uint32_t tcp_ring_contig(const struct tcp_ring *r, const uint8_t **p)
{
    if (!r->first || r->len == 0) {
        *p = NULL;
        return 0;
    }
    *p = r->first->data + r->head;
    uint32_t to_end = r->first->cap - r->head;
    return r->len < to_end ? r->len : to_end;
}

/* Make the first (extent) bytes from head (held bytes, then out-of-order data) one piece, so
 * that tcp_ring_contig() returns every held byte: the chunks holding them are replaced by one
 * chunk as long as they were together (so positions after them do not move). When the pool
 * has no room for it, nothing changes (the caller then offers what is contiguous). */
void tcp_ring_linearize(struct tcp_ring *r, uint32_t extent)
{
    if (!r->first || extent <= r->first->cap - r->head || extent > r->cover - r->head)
        return;
    struct tcp_chunk *end = r->first; /* the last chunk to replace */
    uint32_t span;                    /* bytes of the chunks to replace */
    for (span = end->cap; span - r->head < extent; span += end->cap)
        end = end->next;
    struct tcp_chunk *big = chunk_get(r->pool, span);
    if (!big)
        return;
    uint32_t head = r->head;
    r->head = 0;
    tcp_ring_read_at(r, 0, big->data, span); /* from the first chunk's byte 0 */
    r->head = head;
    big->next = end->next;
    if (r->last == end)
        r->last = big;
    for (struct tcp_chunk *ch = r->first, *next; ch != big->next; ch = next) {
        next = ch->next;
        chunk_put(r->pool, ch);
    }
    r->first = big;
    r->cur = NULL;
}
