/*
 * IPv6 reassembly, bounded (see src/include/unic/ip6_reass.h). Fragments are kept sorted by
 * offset; since overlaps are refused, a packet is complete when the pieces tile
 * [0, total_len) without gaps. Call order: ip6_ext_input -> ip6_reass_input -> (complete)
 * reass_assemble -> back to the header chain.
 */
#include "unic/ip6_reass.h"

#include <stddef.h>
#include <string.h>

#include "unic/inet_internal.h"
#include "unic/wire/icmp6.h"
#include "unic/wire/ip6.h"

/* Payload bytes of the first fragment kept to quote in time exceeded (RFC 4443 3.3: as much
 * as fits in the minimum MTU; the error quotes at most that anyway). */
#define IP6_REASS_QUOTE 1232

static void reass_timer_fire(struct timer *t);

void ip6_reass_init(struct inet *inet)
{
    struct ip6_reass *r = &inet->ip6.reass;
    memset(r, 0, sizeof(*r));
    timer_init(&r->timer, reass_timer_fire, inet);
}

static void reass_free_slot(struct ip6_reass *r, struct ip6_reass_packet *d)
{
    for (unsigned i = 0; i < d->nfrags; i++)
        netbuf_free(d->frags[i].nb);
    netbuf_free(d->first);
    r->bytes -= d->bytes;
    d->first = NULL;
    d->nfrags = 0;
    d->bytes = 0;
    d->in_use = false;
}

void ip6_reass_destroy(struct inet *inet)
{
    struct ip6_reass *r = &inet->ip6.reass;
    timer_cancel(inet->timers, &r->timer);
    for (int i = 0; i < IP6_REASS_MAX_PACKETS; i++)
        if (r->slots[i].in_use)
            reass_free_slot(r, &r->slots[i]);
}

static void reass_rearm(struct inet *inet)
{
    struct ip6_reass *r = &inet->ip6.reass;
    uint64_t next = TIMER_NEVER;
    for (int i = 0; i < IP6_REASS_MAX_PACKETS; i++)
        if (r->slots[i].in_use && r->slots[i].expires < next)
            next = r->slots[i].expires;
    if (next == TIMER_NEVER)
        timer_cancel(inet->timers, &r->timer);
    else if (!timer_armed(&r->timer) || r->timer.deadline != next)
        timer_arm(inet->timers, &r->timer, next);
}

/* The packet ran out of time: RFC 8200 4.5, time exceeded to the source when the first
 * fragment arrived (it is quoted), then everything is dropped. */
static void reass_expire(struct inet *inet, struct ip6_reass_packet *d)
{
    struct ip6_reass *r = &inet->ip6.reass;
    if (!d->dead) {
        r->stats.timeout++;
        if (d->first)
            icmp6_send_error(inet, ICMP6_TIME_EXCEEDED, ICMP6_TIME_EXCEED_REASS, 0, d->first,
                             false);
    }
    reass_free_slot(r, d);
}

static void reass_timer_fire(struct timer *t)
{
    struct inet *inet = t->arg;
    struct ip6_reass *r = &inet->ip6.reass;
    for (int i = 0; i < IP6_REASS_MAX_PACKETS; i++) {
        struct ip6_reass_packet *d = &r->slots[i];
        if (d->in_use && d->expires <= inet_now(inet))
            reass_expire(inet, d);
    }
    reass_rearm(inet);
}

/* The packet (h, fh) belongs to, or a new one (evicting the oldest when all are taken). */
static struct ip6_reass_packet *reass_find(struct inet *inet, const struct ip6_hdr *h,
                                           const struct ip6_frag_hdr *fh)
{
    struct ip6_reass *r = &inet->ip6.reass;
    struct ip6_reass_packet *free_slot = NULL, *oldest = NULL;
    struct unic_addr src = unic_addr_ip6(h->src), dst = unic_addr_ip6(h->dst);
    for (int i = 0; i < IP6_REASS_MAX_PACKETS; i++) {
        struct ip6_reass_packet *d = &r->slots[i];
        if (!d->in_use) {
            free_slot = free_slot ? free_slot : d;
            continue;
        }
        if (d->id == fh->id && unic_addr_equal(d->src, src) && unic_addr_equal(d->dst, dst))
            return d;
        if (!oldest || d->expires < oldest->expires)
            oldest = d;
    }
    if (!free_slot) {
        r->stats.too_many_packets++;
        reass_free_slot(r, oldest);
        free_slot = oldest;
    }
    memset(free_slot, 0, offsetof(struct ip6_reass_packet, frags));
    free_slot->in_use = true;
    free_slot->src = src;
    free_slot->dst = dst;
    free_slot->id = fh->id;
    free_slot->expires = inet_now(inet) + IP6_REASS_TIMEOUT_NS;
    reass_rearm(inet);
    return free_slot;
}

/* Where a piece [off, off+len) goes: its index, or -1 (overlap) / -2 (exact duplicate). */
static int reass_position(const struct ip6_reass_packet *d, uint32_t off, uint32_t len)
{
    unsigned i = 0;
    while (i < d->nfrags && d->frags[i].offset < off)
        i++;
    if (i < d->nfrags && d->frags[i].offset == off && d->frags[i].len == len)
        return -2;
    if (i > 0 && (uint32_t)d->frags[i - 1].offset + d->frags[i - 1].len > off)
        return -1;
    if (i < d->nfrags && off + len > d->frags[i].offset)
        return -1;
    return (int)i;
}

static bool reass_complete(const struct ip6_reass_packet *d)
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

static struct netbuf *reass_assemble(struct inet *inet, struct ip6_reass_packet *d)
{
    struct ip6_reass *r = &inet->ip6.reass;
    struct netbuf *whole = netbuf_alloc_size(inet->pool, IP6_HDR_LEN + d->total_len);
    if (!whole) {
        r->stats.no_buffer++;
        reass_free_slot(r, d);
        reass_rearm(inet);
        return NULL;
    }
    uint8_t *p = netbuf_put(whole, IP6_HDR_LEN + d->total_len);
    memcpy(p, d->first_hdr, IP6_HDR_LEN); /* traffic class, flow label, hop limit */
    p[6] = d->next_header;
    p[4] = (uint8_t)(d->total_len >> 8);
    p[5] = (uint8_t)d->total_len;
    for (unsigned i = 0; i < d->nfrags; i++)
        memcpy(p + IP6_HDR_LEN + d->frags[i].offset, d->frags[i].nb->data, d->frags[i].len);
    r->stats.reassembled++;
    reass_free_slot(r, d);
    reass_rearm(inet);
    return whole;
}

/* RFC 5722: the whole packet goes, and the slot stays (dead) so that its fragments still on
 * the way are dropped too, until it expires. */
static void reass_kill(struct inet *inet, struct ip6_reass_packet *d, struct netbuf *nb)
{
    struct ip6_reass *r = &inet->ip6.reass;
    netbuf_free(nb);
    for (unsigned i = 0; i < d->nfrags; i++)
        netbuf_free(d->frags[i].nb);
    netbuf_free(d->first);
    r->bytes -= d->bytes;
    d->first = NULL;
    d->nfrags = 0;
    d->bytes = 0;
    d->dead = true;
}

/* A fragment that cannot belong with what was seen: false ends the packet. */
static bool reass_consistent(const struct ip6_reass_packet *d, uint32_t end, bool more)
{
    if (!more) {
        if (d->total_len && d->total_len != end)
            return false;
        return !d->nfrags ||
               (uint32_t)d->frags[d->nfrags - 1].offset + d->frags[d->nfrags - 1].len <= end;
    }
    return !d->total_len || end <= d->total_len;
}

struct netbuf *ip6_reass_input(struct inet *inet, struct netbuf *nb, const struct ip6_hdr *h,
                               size_t unfrag_len, const struct ip6_frag_hdr *fh)
{
    struct ip6_reass *r = &inet->ip6.reass;
    size_t hdrs = unfrag_len + IP6_FRAG_HDR_LEN;
    uint32_t len = (uint32_t)(nb->len - hdrs), off = fh->offset, end = off + len;
    r->stats.fragments++;
    if (r->bytes + len > IP6_REASS_MAX_BYTES) {
        r->stats.memory_limit++;
        netbuf_free(nb);
        return NULL;
    }
    struct ip6_reass_packet *d = reass_find(inet, h, fh);
    if (d->dead) {
        r->stats.dropped_late++;
        netbuf_free(nb);
        return NULL;
    }
    if (!reass_consistent(d, end, fh->more)) {
        r->stats.bad_fragment++;
        reass_kill(inet, d, nb);
        return NULL;
    }
    int pos = reass_position(d, off, len);
    if (pos == -2) {
        r->stats.duplicate++;
        netbuf_free(nb);
        return NULL;
    }
    if (pos == -1 || d->nfrags >= IP6_REASS_MAX_FRAGS) {
        if (pos == -1)
            r->stats.overlap++;
        else
            r->stats.too_many_frags++;
        reass_kill(inet, d, nb);
        return NULL;
    }
    if (off == 0) { /* keep its headers for time exceeded, its next header for the whole */
        size_t quote = hdrs + (len < IP6_REASS_QUOTE ? len : IP6_REASS_QUOTE);
        d->first = netbuf_alloc_size(inet->pool, quote);
        if (d->first)
            memcpy(netbuf_put(d->first, quote), nb->data, quote);
        else
            r->stats.no_buffer++;
        d->next_header = fh->next_header;
        memcpy(d->first_hdr, nb->data, IP6_HDR_LEN);
        d->have_first = true;
    }
    if (!fh->more)
        d->total_len = end;
    netbuf_pull(nb, hdrs);
    memmove(&d->frags[pos + 1], &d->frags[pos], (d->nfrags - (unsigned)pos) * sizeof(d->frags[0]));
    d->frags[pos] =
        (struct ip6_reass_frag){.offset = (uint16_t)off, .len = (uint16_t)len, .nb = nb};
    d->nfrags++;
    d->bytes += len;
    r->bytes += len;
    return reass_complete(d) ? reass_assemble(inet, d) : NULL;
}

void ip6_reass_print_stats(struct inet *inet, int all)
{
    static const char *const names[] = {IP6_REASS_STATS(STATS_NAME)};
    stats_print("reass6", names, &inet->ip6.reass.stats, STATS_COUNT(names), all);
}
