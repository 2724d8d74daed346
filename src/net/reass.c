/*
 * Reassembly shared by IPv4 and IPv6 (see src/include/unic/reass.h): the slot table, its one
 * timer, fragment placement with overlap detection, completion and the whole datagram.
 */
#include "unic/reass.h"

#include <string.h>

#include "unic/inet_internal.h"

static void reass_timer_fire(struct timer *t);

void reass_init(struct reass *r, struct inet *inet, uint64_t timeout_ns, reass_expire_fn expire)
{
    memset(r, 0, sizeof(*r));
    r->timeout_ns = timeout_ns;
    r->inet = inet;
    r->expire = expire;
    timer_init(&r->timer, reass_timer_fire, r);
}

/* Drops the fragments (d) holds; the slot itself stays as it is. */
static void reass_empty(struct reass *r, struct reass_slot *d)
{
    for (unsigned i = 0; i < d->nfrags; i++)
        netbuf_free(d->frags[i].nb);
    netbuf_free(d->first);
    r->bytes -= d->bytes;
    d->first = NULL;
    d->nfrags = 0;
    d->bytes = 0;
}

static void reass_free_slot(struct reass *r, struct reass_slot *d)
{
    reass_empty(r, d);
    d->in_use = false;
}

void reass_destroy(struct reass *r)
{
    timer_cancel(r->inet->timers, &r->timer);
    for (int i = 0; i < REASS_MAX_SLOTS; i++)
        if (r->slots[i].in_use)
            reass_free_slot(r, &r->slots[i]);
}

/* The one timer follows the earliest expiry among the slots. */
static void reass_rearm(struct reass *r)
{
    uint64_t next = TIMER_NEVER;
    for (int i = 0; i < REASS_MAX_SLOTS; i++)
        if (r->slots[i].in_use && r->slots[i].expires < next)
            next = r->slots[i].expires;
    if (next == TIMER_NEVER)
        timer_cancel(r->inet->timers, &r->timer);
    else if (!timer_armed(&r->timer) || r->timer.deadline != next)
        timer_arm(r->inet->timers, &r->timer, next);
}

static void reass_timer_fire(struct timer *t)
{
    struct reass *r = t->arg;
    for (int i = 0; i < REASS_MAX_SLOTS; i++) {
        struct reass_slot *d = &r->slots[i];
        if (d->in_use && d->expires <= inet_now(r->inet)) {
            r->expire(r->inet, d);
            reass_free_slot(r, d);
        }
    }
    reass_rearm(r);
}

static bool reass_key_equal(const struct reass_key *a, const struct reass_key *b)
{
    return a->id == b->id && a->proto == b->proto && unic_addr_equal(a->src, b->src) &&
           unic_addr_equal(a->dst, b->dst);
}

struct reass_slot *reass_find(struct reass *r, const struct reass_key *k, bool *evicted)
{
    struct reass_slot *free_slot = NULL, *oldest = NULL;
    *evicted = false;
    for (int i = 0; i < REASS_MAX_SLOTS; i++) {
        struct reass_slot *d = &r->slots[i];
        if (!d->in_use) {
            free_slot = free_slot ? free_slot : d;
            continue;
        }
        if (reass_key_equal(&d->key, k))
            return d;
        if (!oldest || d->expires < oldest->expires)
            oldest = d;
    }
    if (!free_slot) {
        *evicted = true;
        reass_free_slot(r, oldest);
        free_slot = oldest;
    }
    memset(free_slot, 0, offsetof(struct reass_slot, frags));
    free_slot->in_use = true;
    free_slot->key = *k;
    free_slot->expires = inet_now(r->inet) + r->timeout_ns;
    reass_rearm(r);
    return free_slot;
}

/* A fragment that cannot belong with what was seen: its end is not the known end, or it is the
 * last and something already lies beyond it, or it runs past the known end. */
static bool reass_consistent(const struct reass_slot *d, uint32_t end, bool more)
{
    if (!more) {
        if (d->total_len && d->total_len != end)
            return false;
        return !d->nfrags ||
               (uint32_t)d->frags[d->nfrags - 1].offset + d->frags[d->nfrags - 1].len <= end;
    }
    return !d->total_len || end <= d->total_len;
}

int reass_place(const struct reass_slot *d, uint32_t off, uint32_t len, bool more)
{
    if (!reass_consistent(d, off + len, more))
        return REASS_INCONSISTENT;
    unsigned i = 0;
    while (i < d->nfrags && d->frags[i].offset < off)
        i++;
    if (i < d->nfrags && d->frags[i].offset == off && d->frags[i].len == len)
        return REASS_DUPLICATE;
    if (i > 0 && (uint32_t)d->frags[i - 1].offset + d->frags[i - 1].len > off)
        return REASS_OVERLAP;
    if (i < d->nfrags && off + len > d->frags[i].offset)
        return REASS_OVERLAP;
    if (d->nfrags >= REASS_MAX_FRAGS)
        return REASS_TOO_MANY;
    return (int)i;
}

bool reass_has_room(const struct reass *r, uint32_t cost, size_t max)
{
    size_t pool = r->inet->pool->count * (size_t)NETBUF_POOL_BUF_SIZE / 4;
    size_t limit = pool < max ? pool : max;
    return r->bytes + (size_t)cost <= limit;
}

void reass_insert(struct reass *r, struct reass_slot *d, int pos, uint32_t off, uint32_t len,
                  bool more, struct netbuf *nb)
{
    if (!more)
        d->total_len = off + len;
    memmove(&d->frags[pos + 1], &d->frags[pos], (d->nfrags - (unsigned)pos) * sizeof(d->frags[0]));
    d->frags[pos] = (struct reass_frag){.offset = (uint16_t)off, .len = (uint16_t)len, .nb = nb};
    d->nfrags++;
    d->bytes += reass_cost(nb);
    r->bytes += reass_cost(nb);
}

bool reass_complete(const struct reass_slot *d)
{
    if (!d->total_len || !d->have_first)
        return false;
    uint32_t end = 0;
    for (unsigned i = 0; i < d->nfrags; i++) {
        if (d->frags[i].offset != end)
            return false;
        end += d->frags[i].len;
    }
    return end == d->total_len;
}

struct netbuf *reass_gather(struct reass *r, struct reass_slot *d, size_t hdr_len)
{
    struct netbuf *whole = netbuf_alloc_size(r->inet->pool, hdr_len + d->total_len);
    if (!whole) {
        reass_release(r, d);
        return NULL;
    }
    uint8_t *p = netbuf_put(whole, hdr_len + d->total_len);
    for (unsigned i = 0; i < d->nfrags; i++) {
        memcpy(p + hdr_len + d->frags[i].offset, d->frags[i].nb->data, d->frags[i].len);
        /* A datagram that came, even in part, as a link-layer broadcast or multicast gets no
         * ICMP error (RFC 1122 3.2.2, RFC 4443 2.4 e.3): the whole keeps the mark. */
        whole->l2_group |= d->frags[i].nb->l2_group;
    }
    return whole;
}

void reass_release(struct reass *r, struct reass_slot *d)
{
    reass_free_slot(r, d);
    reass_rearm(r);
}

void reass_kill(struct reass *r, struct reass_slot *d)
{
    reass_empty(r, d);
    d->dead = true;
}
