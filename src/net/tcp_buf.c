/* Fixed-size byte rings for the TCP send and receive buffers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_internal.h"

int tcp_ring_alloc(struct tcp_ring *r, uint32_t size)
{
    r->buf = malloc(size);
    if (!r->buf)
        return -ENOMEM;
    r->size = size;
    r->head = 0;
    r->len = 0;
    return 0;
}

void tcp_ring_free(struct tcp_ring *r)
{
    free(r->buf);
    r->buf = NULL;
    r->size = r->head = r->len = 0;
}

/* Copy (n) bytes into the ring at (off) bytes from head (off + n <= size). Does not change len:
 * the receive side writes out-of-order data past len. Returns n. */
uint32_t tcp_ring_write_at(struct tcp_ring *r, uint32_t off, const uint8_t *src, uint32_t n)
{
    uint32_t pos = (r->head + off) % r->size;
    uint32_t first = r->size - pos < n ? r->size - pos : n;
    memcpy(r->buf + pos, src, first);
    memcpy(r->buf, src + first, n - first);
    return n;
}

void tcp_ring_read_at(const struct tcp_ring *r, uint32_t off, uint8_t *dst, uint32_t n)
{
    uint32_t pos = (r->head + off) % r->size;
    uint32_t first = r->size - pos < n ? r->size - pos : n;
    memcpy(dst, r->buf + pos, first);
    memcpy(dst + first, r->buf, n - first);
}

void tcp_ring_consume(struct tcp_ring *r, uint32_t n)
{
    if (n > r->len)
        n = r->len;
    r->head = (r->head + n) % r->size;
    r->len -= n;
}

/* The first contiguous run of held bytes. */
uint32_t tcp_ring_contig(const struct tcp_ring *r, const uint8_t **p)
{
    *p = r->buf + r->head;
    uint32_t to_end = r->size - r->head;
    return r->len < to_end ? r->len : to_end;
}

static void reverse(uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0, j = n; i + 1 < j; i++, j--) {
        uint8_t t = p[i];
        p[i] = p[j - 1];
        p[j - 1] = t;
    }
}

/* Rotate the first (extent) bytes from head (held bytes and out-of-order data past them) to
 * the start of the buffer, so that tcp_ring_contig() returns all held bytes. A short run up to
 * the end of the buffer goes through a small copy; a long one by three reversals of the whole
 * buffer (no memory taken either way). */
void tcp_ring_linearize(struct tcp_ring *r, uint32_t extent)
{
    uint32_t to_end = r->size - r->head;
    if (extent <= to_end)
        return; /* contiguous already */
    if (to_end <= TCP_RING_LINEARIZE_COPY) {
        uint8_t tail[TCP_RING_LINEARIZE_COPY];
        memcpy(tail, r->buf + r->head, to_end);
        memmove(r->buf + to_end, r->buf, extent - to_end);
        memcpy(r->buf, tail, to_end);
    } else {
        reverse(r->buf, r->head);
        reverse(r->buf + r->head, to_end);
        reverse(r->buf, r->size);
    }
    r->head = 0;
}
