/*
 * IPv4 reassembly, bounded (see include/unic/ip4_reass.h).
 * Call order: ip4_input -> ip4_reass_input -> (complete) ip4_reass_assemble -> back to ip4.
 * Fragments are kept sorted by offset; since overlaps are refused, a datagram is complete when
 * the sorted pieces tile [0, total_len) without gaps.
 */
#include "unic/ip4_reass.h"

#include <stddef.h>
#include <string.h>

#include "unic/inet_internal.h"
#include "unic/wire/ip4.h"

static void reass_timer_fire(struct timer *t);

void ip4_reass_init(struct inet *inet)
{
    struct ip4_reass *r = &inet->ip4.reass;
    memset(r, 0, sizeof(*r));
    timer_init(&r->timer, reass_timer_fire, inet);
}

static void reass_free_slot(struct ip4_reass *r, struct ip4_reass_datagram *d)
{
    for (unsigned i = 0; i < d->nfrags; i++)
        netbuf_free(d->frags[i].nb);
    r->bytes -= d->bytes;
    d->in_use = 0;
    d->nfrags = 0;
    d->bytes = 0;
}

void ip4_reass_destroy(struct inet *inet)
{
    struct ip4_reass *r = &inet->ip4.reass;
    timer_cancel(inet->timers, &r->timer);
    for (int i = 0; i < IP4_REASS_MAX_DATAGRAMS; i++)
        if (r->slots[i].in_use)
            reass_free_slot(r, &r->slots[i]);
}

static void reass_rearm(struct inet *inet)
{
    struct ip4_reass *r = &inet->ip4.reass;
    uint64_t next = TIMER_NEVER;
    for (int i = 0; i < IP4_REASS_MAX_DATAGRAMS; i++)
        if (r->slots[i].in_use && r->slots[i].expires < next)
            next = r->slots[i].expires;
    if (next == TIMER_NEVER)
        timer_cancel(inet->timers, &r->timer);
    else if (!timer_armed(&r->timer) || r->timer.deadline != next)
        timer_arm(inet->timers, &r->timer, next);
}

static void reass_timer_fire(struct timer *t)
{
    struct inet *inet = t->arg;
    struct ip4_reass *r = &inet->ip4.reass;
    for (int i = 0; i < IP4_REASS_MAX_DATAGRAMS; i++) {
        struct ip4_reass_datagram *d = &r->slots[i];
        if (d->in_use && d->expires <= inet_now(inet)) {
            r->stats.timeout++;
            reass_free_slot(r, d);
        }
    }
    reass_rearm(inet);
}

/* The datagram (h) belongs to, a new one, or NULL (counted) when no slot can be had. */
static struct ip4_reass_datagram *reass_find(struct inet *inet, const struct ip4_hdr *h)
{
    struct ip4_reass *r = &inet->ip4.reass;
    struct ip4_reass_datagram *free_slot = NULL, *oldest = NULL;
    for (int i = 0; i < IP4_REASS_MAX_DATAGRAMS; i++) {
        struct ip4_reass_datagram *d = &r->slots[i];
        if (!d->in_use) {
            free_slot = free_slot ? free_slot : d;
            continue;
        }
        if (d->src == h->src && d->dst == h->dst && d->id == h->id && d->proto == h->proto)
            return d;
        if (!oldest || d->expires < oldest->expires)
            oldest = d;
    }
    if (!free_slot) {
        /* Evict the oldest, so a flood of never-completed datagrams cannot block new ones. */
        r->stats.too_many_datagrams++;
        reass_free_slot(r, oldest);
        free_slot = oldest;
    }
    memset(free_slot, 0, offsetof(struct ip4_reass_datagram, frags));
    free_slot->in_use = 1;
    free_slot->src = h->src;
    free_slot->dst = h->dst;
    free_slot->id = h->id;
    free_slot->proto = h->proto;
    free_slot->expires = inet_now(inet) + IP4_REASS_TIMEOUT_NS;
    reass_rearm(inet);
    return free_slot;
}

/* Where a piece [off, off+len) goes in (d): its index, or -1 (overlap) / -2 (duplicate). */
static int reass_position(const struct ip4_reass_datagram *d, uint16_t off, uint16_t len)
{
    unsigned i = 0;
    while (i < d->nfrags && d->frags[i].offset < off)
        i++;
    if (i < d->nfrags && d->frags[i].offset == off && d->frags[i].len == len)
        return -2;
    if (i > 0 && d->frags[i - 1].offset + d->frags[i - 1].len > off)
        return -1;
    if (i < d->nfrags && (uint32_t)off + len > d->frags[i].offset)
        return -1;
    return (int)i;
}

static bool reass_complete(const struct ip4_reass_datagram *d)
{
    if (!d->total_len)
        return false;
    uint32_t end = 0;
    for (unsigned i = 0; i < d->nfrags; i++) {
        if (d->frags[i].offset != end)
            return false;
        end += d->frags[i].len;
    }
    return end == d->total_len;
}

static struct netbuf *reass_assemble(struct inet *inet, struct ip4_reass_datagram *d,
                                     struct ip4_hdr *out)
{
    struct ip4_reass *r = &inet->ip4.reass;
    struct netbuf *whole = netbuf_alloc_size(inet->pool, IP4_HDR_LEN + d->total_len);
    if (!whole) {
        r->stats.no_buffer++;
        reass_free_slot(r, d);
        reass_rearm(inet);
        return NULL;
    }
    uint8_t *p = netbuf_put(whole, IP4_HDR_LEN + d->total_len);
    for (unsigned i = 0; i < d->nfrags; i++)
        memcpy(p + IP4_HDR_LEN + d->frags[i].offset, d->frags[i].nb->data, d->frags[i].len);
    /* The first fragment's header gives TOS and TTL; its options are not carried over. */
    struct ip4_hdr h = {.tos = d->first_hdr[1],
                        .total_len = (uint16_t)(IP4_HDR_LEN + d->total_len),
                        .id = d->id,
                        .ttl = d->first_hdr[8],
                        .proto = d->proto,
                        .src = d->src,
                        .dst = d->dst};
    ip4_emit(p, IP4_HDR_LEN, &h);
    ip4_parse(p, whole->len, out);
    r->stats.reassembled++;
    reass_free_slot(r, d);
    reass_rearm(inet);
    return whole;
}

static void reass_drop(struct inet *inet, struct ip4_reass_datagram *d, struct netbuf *nb)
{
    netbuf_free(nb);
    reass_free_slot(&inet->ip4.reass, d);
    reass_rearm(inet);
}

struct netbuf *ip4_reass_input(struct inet *inet, struct netbuf *nb, const struct ip4_hdr *hdr,
                               struct ip4_hdr *out_hdr)
{
    struct ip4_reass *r = &inet->ip4.reass;
    uint32_t len = (uint32_t)hdr->total_len - hdr->hdr_len, off = hdr->frag_offset;
    r->stats.fragments++;
    if (len == 0 || (hdr->mf && (len & 7)) || off + len > 65535 - IP4_HDR_LEN) {
        r->stats.bad_fragment++;
        netbuf_free(nb);
        return NULL;
    }
    if (r->bytes + len > IP4_REASS_MAX_BYTES) {
        r->stats.memory_limit++;
        netbuf_free(nb);
        return NULL;
    }
    struct ip4_reass_datagram *d = reass_find(inet, hdr);
    uint32_t end = off + len;
    if ((!hdr->mf &&
         ((d->total_len && d->total_len != end) ||
          (d->nfrags && d->frags[d->nfrags - 1].offset + d->frags[d->nfrags - 1].len > end))) ||
        (hdr->mf && d->total_len && end > d->total_len)) {
        r->stats.bad_fragment++; /* inconsistent ends: the datagram cannot be trusted */
        reass_drop(inet, d, nb);
        return NULL;
    }
    int pos = reass_position(d, (uint16_t)off, (uint16_t)len);
    if (pos == -2) {
        r->stats.duplicate++;
        netbuf_free(nb);
        return NULL;
    }
    if (pos == -1 || d->nfrags >= IP4_REASS_MAX_FRAGS) {
        if (pos == -1)
            r->stats.overlap++;
        else
            r->stats.too_many_frags++;
        reass_drop(inet, d, nb);
        return NULL;
    }
    if (off == 0) {
        memcpy(d->first_hdr, nb->data, hdr->hdr_len);
        d->first_hdr_len = hdr->hdr_len;
    }
    if (!hdr->mf)
        d->total_len = (uint16_t)end;
    netbuf_pull(nb, hdr->hdr_len);
    memmove(&d->frags[pos + 1], &d->frags[pos], (d->nfrags - (unsigned)pos) * sizeof(d->frags[0]));
    d->frags[pos] =
        (struct ip4_reass_frag){.offset = (uint16_t)off, .len = (uint16_t)len, .nb = nb};
    d->nfrags++;
    d->bytes += len;
    r->bytes += len;
    return reass_complete(d) ? reass_assemble(inet, d, out_hdr) : NULL;
}
