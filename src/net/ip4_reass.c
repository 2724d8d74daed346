/*
 * IPv4 reassembly, bounded (see src/include/unic/ip4_reass.h): the IPv4 side of reass.c, which
 * keeps the slots, places the fragments and builds the whole datagram.
 * Call order: ip4_input -> ip4_reass_input -> reass_* -> (complete) ip4_reass_assemble -> ip4.
 */
#include "unic/ip4_reass.h"

#include <string.h>

#include "unic/icmp.h"
#include "unic/inet_internal.h"
#include "unic/wire/ip4.h"

_Static_assert(IP4_REASS_MAX_DATAGRAMS == REASS_MAX_SLOTS, "one slot table for both families");
_Static_assert(IP4_REASS_MAX_FRAGS == REASS_MAX_FRAGS, "one fragment array for both families");

/* RFC 1122 3.3.2 (MUST): a datagram not complete in time is dropped, and when fragment zero
 * came, time exceeded (code 1) goes to its source quoting that fragment, as received: its
 * header is still in the buffer before the payload (ip4_reass_input pulled it), and the
 * fragment is freed after this anyway. icmp.c applies RFC 1122 3.2.2's rules. */
static void ip4_reass_expire(struct inet *inet, struct reass_slot *d)
{
    inet->ip4.reass_stats.timeout++;
    struct netbuf *zero = d->nfrags && d->frags[0].offset == 0 ? d->frags[0].nb : NULL;
    if (d->have_first && zero && netbuf_push(zero, d->first_hdr_len))
        icmp_send_time_exceeded(inet, 1, zero);
}

void ip4_reass_init(struct inet *inet)
{
    memset(&inet->ip4.reass_stats, 0, sizeof(inet->ip4.reass_stats));
    reass_init(&inet->ip4.reass, inet, IP4_REASS_TIMEOUT_NS, ip4_reass_expire);
}

void ip4_reass_destroy(struct inet *inet)
{
    reass_destroy(&inet->ip4.reass);
}

/* The datagram (h) belongs to, a new one (the oldest evicted, counted, when all are taken). */
static struct reass_slot *ip4_reass_find(struct inet *inet, const struct ip4_hdr *h)
{
    struct reass_key k = {
        .src = unic_addr_ip4(h->src), .dst = unic_addr_ip4(h->dst), .id = h->id, .proto = h->proto};
    bool evicted;
    struct reass_slot *d = reass_find(&inet->ip4.reass, &k, &evicted);
    if (evicted)
        inet->ip4.reass_stats.too_many_datagrams++;
    return d;
}

static struct netbuf *ip4_reass_assemble(struct inet *inet, struct reass_slot *d,
                                         struct ip4_hdr *out)
{
    struct ip4_reass_stats *st = &inet->ip4.reass_stats;
    struct netbuf *whole = reass_gather(&inet->ip4.reass, d, IP4_HDR_LEN);
    if (!whole) {
        st->no_buffer++;
        return NULL;
    }
    /* The first fragment's header gives TOS and TTL; its options are not carried over. */
    struct ip4_hdr h = {.tos = d->first_hdr[1],
                        .total_len = (uint16_t)(IP4_HDR_LEN + d->total_len),
                        .id = (uint16_t)d->key.id,
                        .ttl = d->first_hdr[8],
                        .proto = d->key.proto,
                        .src = unic_addr_to_ip4(d->key.src),
                        .dst = unic_addr_to_ip4(d->key.dst)};
    ip4_emit(whole->data, IP4_HDR_LEN, &h);
    ip4_parse(whole->data, whole->len, out);
    st->reassembled++;
    reass_release(&inet->ip4.reass, d);
    return whole;
}

/* A fragment reass_place refused: counted; a duplicate goes alone, else the whole datagram. */
static void ip4_reass_refuse(struct inet *inet, struct reass_slot *d, int why, struct netbuf *nb)
{
    struct ip4_reass_stats *st = &inet->ip4.reass_stats;
    netbuf_free(nb);
    if (why == REASS_DUPLICATE) {
        st->duplicate++;
        return;
    }
    if (why == REASS_INCONSISTENT)
        st->bad_fragment++; /* inconsistent ends: the datagram cannot be trusted */
    else if (why == REASS_OVERLAP)
        st->overlap++;
    else
        st->too_many_frags++;
    reass_release(&inet->ip4.reass, d);
}

struct netbuf *ip4_reass_input(struct inet *inet, struct netbuf *nb, const struct ip4_hdr *hdr,
                               struct ip4_hdr *out_hdr)
{
    struct ip4_reass_stats *st = &inet->ip4.reass_stats;
    uint32_t len = (uint32_t)hdr->total_len - hdr->hdr_len, off = hdr->frag_offset;
    st->fragments++;
    if (len == 0 || (hdr->mf && (len & 7)) || off + len > 65535 - IP4_HDR_LEN) {
        st->bad_fragment++;
        netbuf_free(nb);
        return NULL;
    }
    if (!reass_has_room(&inet->ip4.reass, reass_cost(nb), IP4_REASS_MAX_BYTES)) {
        st->memory_limit++;
        netbuf_free(nb);
        return NULL;
    }
    struct reass_slot *d = ip4_reass_find(inet, hdr);
    int pos = reass_place(d, off, len, hdr->mf);
    if (pos < 0) {
        ip4_reass_refuse(inet, d, pos, nb);
        return NULL;
    }
    if (off == 0) {
        memcpy(d->first_hdr, nb->data, hdr->hdr_len);
        d->first_hdr_len = hdr->hdr_len;
        d->have_first = true;
    }
    netbuf_pull(nb, hdr->hdr_len);
    reass_insert(&inet->ip4.reass, d, pos, off, len, hdr->mf, nb);
    return reass_complete(d) ? ip4_reass_assemble(inet, d, out_hdr) : NULL;
}
