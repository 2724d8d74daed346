/*
 * IPv6 reassembly, bounded (see src/include/unic/ip6_reass.h): the IPv6 side of reass.c, which
 * keeps the slots, places the fragments and builds the whole packet. Here: the key, the
 * offset-0 fragment kept to quote in time exceeded, RFC 5722 (an overlap kills the packet and
 * its late fragments). Call order: ip6_ext_input -> ip6_reass_input -> reass_* -> (complete)
 * ip6_reass_assemble -> back to the header chain.
 */
#include "unic/ip6_reass.h"

#include <string.h>

#include "unic/inet_internal.h"
#include "unic/wire/icmp6.h"
#include "unic/wire/ip6.h"

/* Payload bytes of the first fragment kept to quote in time exceeded (RFC 4443 3.3: as much
 * as fits in the minimum MTU; the error quotes at most that anyway). */
#define IP6_REASS_QUOTE 1232

_Static_assert(IP6_REASS_MAX_PACKETS == REASS_MAX_SLOTS, "one slot table for both families");
_Static_assert(IP6_REASS_MAX_FRAGS == REASS_MAX_FRAGS, "one fragment array for both families");
_Static_assert(IP6_HDR_LEN <= REASS_MAX_FIRST_HDR, "the first header fits");

/* The packet ran out of time: RFC 8200 4.5, time exceeded to the source when the first
 * fragment arrived (it is quoted); reass.c drops everything after. */
static void ip6_reass_expire(struct inet *inet, struct reass_slot *d)
{
    if (d->dead)
        return;
    inet->ip6.reass_stats.timeout++;
    if (d->first)
        icmp6_send_error(inet, ICMP6_TIME_EXCEEDED, ICMP6_TIME_EXCEED_REASS, 0, d->first, false);
}

void ip6_reass_init(struct inet *inet)
{
    memset(&inet->ip6.reass_stats, 0, sizeof(inet->ip6.reass_stats));
    reass_init(&inet->ip6.reass, inet, IP6_REASS_TIMEOUT_NS, ip6_reass_expire);
}

void ip6_reass_destroy(struct inet *inet)
{
    reass_destroy(&inet->ip6.reass);
}

/* The packet (h, fh) belongs to, or a new one (evicting the oldest when all are taken). */
static struct reass_slot *ip6_reass_find(struct inet *inet, const struct ip6_hdr *h,
                                         const struct ip6_frag_hdr *fh)
{
    struct reass_key k = {.src = unic_addr_ip6(h->src), .dst = unic_addr_ip6(h->dst), .id = fh->id};
    bool evicted;
    struct reass_slot *d = reass_find(&inet->ip6.reass, &k, &evicted);
    if (evicted)
        inet->ip6.reass_stats.too_many_packets++;
    return d;
}

static struct netbuf *ip6_reass_assemble(struct inet *inet, struct reass_slot *d)
{
    struct ip6_reass_stats *st = &inet->ip6.reass_stats;
    struct netbuf *whole = reass_gather(&inet->ip6.reass, d, IP6_HDR_LEN);
    if (!whole) {
        st->no_buffer++;
        return NULL;
    }
    uint8_t *p = whole->data;
    memcpy(p, d->first_hdr, IP6_HDR_LEN); /* traffic class, flow label, hop limit */
    p[6] = d->next_header;
    p[4] = (uint8_t)(d->total_len >> 8);
    p[5] = (uint8_t)d->total_len;
    st->reassembled++;
    reass_release(&inet->ip6.reass, d);
    return whole;
}

/* A fragment reass_place refused: counted; a duplicate goes alone, else the whole packet and,
 * RFC 5722, the fragments still on the way (the slot stays, dead, until it expires). */
static void ip6_reass_refuse(struct inet *inet, struct reass_slot *d, int why, struct netbuf *nb)
{
    struct ip6_reass_stats *st = &inet->ip6.reass_stats;
    netbuf_free(nb);
    if (why == REASS_DUPLICATE) {
        st->duplicate++;
        return;
    }
    if (why == REASS_INCONSISTENT)
        st->bad_fragment++;
    else if (why == REASS_OVERLAP)
        st->overlap++;
    else
        st->too_many_frags++;
    reass_kill(&inet->ip6.reass, d);
}

/* Keeps the offset-0 fragment's headers for time exceeded, its next header for the whole. */
static void ip6_reass_keep_first(struct inet *inet, struct reass_slot *d, const struct netbuf *nb,
                                 size_t hdrs, uint32_t len, uint8_t next_header)
{
    size_t quote = hdrs + (len < IP6_REASS_QUOTE ? len : IP6_REASS_QUOTE);
    d->first = netbuf_alloc_size(inet->pool, quote);
    if (d->first)
        memcpy(netbuf_put(d->first, quote), nb->data, quote);
    else
        inet->ip6.reass_stats.no_buffer++;
    d->next_header = next_header;
    memcpy(d->first_hdr, nb->data, IP6_HDR_LEN);
    d->first_hdr_len = IP6_HDR_LEN;
    d->have_first = true;
}

struct netbuf *ip6_reass_input(struct inet *inet, struct netbuf *nb, const struct ip6_hdr *h,
                               size_t unfrag_len, const struct ip6_frag_hdr *fh)
{
    struct ip6_reass_stats *st = &inet->ip6.reass_stats;
    size_t hdrs = unfrag_len + IP6_FRAG_HDR_LEN;
    uint32_t len = (uint32_t)(nb->len - hdrs), off = fh->offset;
    st->fragments++;
    if (!reass_has_room(&inet->ip6.reass, reass_cost(nb), IP6_REASS_MAX_BYTES)) {
        st->memory_limit++;
        netbuf_free(nb);
        return NULL;
    }
    struct reass_slot *d = ip6_reass_find(inet, h, fh);
    if (d->dead) {
        st->dropped_late++;
        netbuf_free(nb);
        return NULL;
    }
    int pos = reass_place(d, off, len, fh->more);
    if (pos < 0) {
        ip6_reass_refuse(inet, d, pos, nb);
        return NULL;
    }
    if (off == 0)
        ip6_reass_keep_first(inet, d, nb, hdrs, len, fh->next_header);
    netbuf_pull(nb, hdrs);
    reass_insert(&inet->ip6.reass, d, pos, off, len, fh->more, nb);
    return reass_complete(d) ? ip6_reass_assemble(inet, d) : NULL;
}

void ip6_reass_print_stats(struct inet *inet, int all)
{
    static const char *const names[] = {IP6_REASS_STATS(STATS_NAME)};
    stats_print("reass6", names, &inet->ip6.reass_stats, STATS_COUNT(names), all);
}
