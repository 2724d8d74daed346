/*
 * Bounded packet buffer pool (see include/unic/netbuf.h for the layout and ownership rules).
 * The fixed buffers are carved from one allocation made at init; large buffers (reassembled
 * datagrams, big ICMP replies) are malloc'd one by one within a byte budget.
 */
#include "unic/netbuf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int netbuf_pool_init(struct netbuf_pool *pool, size_t count, size_t large_budget)
{
    memset(pool, 0, sizeof(*pool));
    if (count > SIZE_MAX / NETBUF_POOL_BUF_SIZE)
        return -ENOMEM;
    pool->descs = calloc(count, sizeof(struct netbuf));
    pool->storage = malloc(count * NETBUF_POOL_BUF_SIZE);
    if (!pool->descs || !pool->storage) {
        free(pool->descs);
        free(pool->storage);
        return -ENOMEM;
    }
    pool->count = count;
    pool->large_budget = large_budget;
    for (size_t i = count; i-- > 0;) {
        struct netbuf *nb = &pool->descs[i];
        nb->buf = pool->storage + i * NETBUF_POOL_BUF_SIZE;
        nb->cap = NETBUF_POOL_BUF_SIZE;
        nb->pool = pool;
        nb->next = pool->free_list;
        pool->free_list = nb;
    }
    return 0;
}

void netbuf_pool_destroy(struct netbuf_pool *pool)
{
    free(pool->descs);
    free(pool->storage);
    memset(pool, 0, sizeof(*pool));
}

static void netbuf_prepare(struct netbuf *nb)
{
    nb->data = nb->buf + NETBUF_HEADROOM;
    nb->len = 0;
    nb->next = NULL;
    nb->nic = 0;
    nb->tso_mss = 0;
    nb->csum_ok = false;
    nb->l2_group = false;
}

struct netbuf *netbuf_alloc(struct netbuf_pool *pool)
{
    struct netbuf *nb = pool->free_list;
    if (!nb) {
        pool->stats.exhausted++;
        return NULL;
    }
    pool->free_list = nb->next;
    pool->in_use++;
    pool->stats.allocs++;
    netbuf_prepare(nb);
    return nb;
}

struct netbuf *netbuf_alloc_size(struct netbuf_pool *pool, size_t size)
{
    if (size <= NETBUF_POOL_BUF_SIZE - NETBUF_HEADROOM)
        return netbuf_alloc(pool);
    /* Compared before adding, so a size near SIZE_MAX cannot wrap into a small buffer. */
    if (size > NETBUF_MAX_SIZE - NETBUF_HEADROOM ||
        NETBUF_HEADROOM + size > pool->large_budget - pool->large_bytes) {
        pool->stats.large_refused++;
        return NULL;
    }
    size_t cap = NETBUF_HEADROOM + size;
    /* Descriptor and storage in one allocation, so one free() releases both. */
    struct netbuf *nb = malloc(sizeof(*nb) + cap);
    if (!nb) {
        pool->stats.large_refused++;
        return NULL;
    }
    nb->buf = (uint8_t *)(nb + 1);
    nb->cap = cap;
    nb->pool = pool;
    nb->large = true;
    pool->large_bytes += cap;
    pool->stats.large_allocs++;
    netbuf_prepare(nb);
    return nb;
}

void netbuf_free(struct netbuf *nb)
{
    if (!nb)
        return;
    struct netbuf_pool *pool = nb->pool;
    pool->stats.frees++;
    if (nb->large) {
        pool->large_bytes -= nb->cap;
        free(nb);
        return;
    }
    pool->in_use--;
    nb->next = pool->free_list;
    pool->free_list = nb;
}

uint8_t *netbuf_push(struct netbuf *nb, size_t n)
{
    if (netbuf_headroom(nb) < n)
        return NULL;
    nb->data -= n;
    nb->len += n;
    return nb->data;
}

uint8_t *netbuf_pull(struct netbuf *nb, size_t n)
{
    if (nb->len < n)
        return NULL;
    nb->data += n;
    nb->len -= n;
    return nb->data;
}

uint8_t *netbuf_put(struct netbuf *nb, size_t n)
{
    if (netbuf_tailroom(nb) < n)
        return NULL;
    uint8_t *tail = nb->data + nb->len;
    nb->len += n;
    return tail;
}

void netbuf_trim(struct netbuf *nb, size_t len)
{
    if (nb->len > len)
        nb->len = len;
}
