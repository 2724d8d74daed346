/*
 * IPv4 (RFC 791, RFC 1122 3.2.1). Call order: see include/unic/ip4.h.
 * Every header is validated (ip4_parse) before any state is touched; each drop reason has
 * its own counter.
 */
#include "unic/ip4.h"

#include <errno.h>
#include <string.h>

#include "unic/arp.h"
#include "unic/icmp.h"
#include "unic/inet_internal.h"
#include "unic/random.h"
#include "unic/wire/icmp.h"
#include "unic/wire/ip4.h"
#include "unic/wire/wire.h"

void ip4_init(struct inet *inet)
{
    memset(&inet->ip4, 0, sizeof(inet->ip4));
    inet->ip4.next_id = (uint16_t)random_u32();
    ip4_reass_init(inet);
}

void ip4_destroy(struct inet *inet)
{
    ip4_reass_destroy(inet);
}

bool ip4_is_broadcast(const struct inet *inet, uint32_t addr)
{
    if (addr == IP4_BROADCAST)
        return true;
    /* A /31 (RFC 3021, point to point) and a /32 have no subnet broadcast. */
    return inet->addr && inet->netmask && inet->netmask < 0xfffffffeu &&
           addr == (inet->addr | ~inet->netmask);
}

bool ip4_is_host(const struct inet *inet, uint32_t addr)
{
    return !ip4_never_sent_to(addr) && (addr >> 28) < 0xe && !ip4_is_broadcast(inet, addr);
}

bool ip4_is_local(const struct inet *inet, uint32_t addr)
{
    return (inet->addr && addr == inet->addr) || ip4_is_broadcast(inet, addr);
}

uint32_t ip4_next_hop(const struct inet *inet, uint32_t dst)
{
    if (ip4_is_broadcast(inet, dst) || ip4_is_multicast(dst)) /* a group is on the link */
        return dst;
    if (!inet->addr)
        return 0;
    if ((dst & inet->netmask) == (inet->addr & inet->netmask))
        return dst;
    return inet->gateway;
}

static void ip4_count_parse_error(struct ip4_stats *st, int err)
{
    switch (err) {
    case WIRE_ETRUNCATED:
        st->rx_truncated++;
        break;
    case WIRE_EVERSION:
        st->rx_bad_version++;
        break;
    case WIRE_ECHECKSUM:
        st->rx_bad_checksum++;
        break;
    case WIRE_EMALFORMED: /* the reserved flag set (RFC 791: must be zero) */
        st->rx_reserved_flag++;
        break;
    default:
        st->rx_bad_length++;
    }
}

static bool ip4_bad_source(const struct inet *inet, uint32_t src)
{
    /* 0.0.0.0 stays: a host that is still configuring (RFC 1122 3.2.1.3 (a)). */
    return ip4_is_broadcast(inet, src) || ip4_is_multicast(src) ||
           (inet->addr && src == inet->addr) || (ip4_never_sent_to(src) && src != 0);
}

/* A loose or strict source route (LSRR 131, SSRR 137) whose pointer has not passed its last
 * address: we would be a hop on its way, not its destination (RFC 791 3.1). Every length is
 * checked; a malformed list ends the walk (options are otherwise ignored, RFC 1122 3.2.1.8). */
static bool ip4_route_unfinished(const uint8_t *o, size_t len)
{
    for (size_t i = 0; i < len;) {
        if (o[i] == 0) /* end of the list */
            break;
        if (o[i] == 1) { /* no operation */
            i++;
            continue;
        }
        if (i + 1 >= len || o[i + 1] < 2 || o[i + 1] > len - i)
            break;
        if ((o[i] == 131 || o[i] == 137) && o[i + 1] >= 3 && i + 2 < len && o[i + 2] <= o[i + 1])
            return true;
        i += o[i + 1];
    }
    return false;
}

/* Hand the datagram (data at its IP header) to its transport; takes ownership. */
static void ip4_deliver(struct inet *inet, struct netbuf *nb, const struct ip4_hdr *h)
{
    ip4_proto_input_fn fn = NULL;
    if (h->proto == IP4_PROTO_UDP)
        fn = inet->udp_input;
    else if (h->proto == IP4_PROTO_TCP)
        fn = inet->tcp_input;
    if (h->proto != IP4_PROTO_ICMP && !fn) {
        inet->ip4.stats.rx_no_proto++;
        bool transport = h->proto == IP4_PROTO_UDP || h->proto == IP4_PROTO_TCP;
        icmp_send_unreachable(inet, transport ? ICMP_UNREACH_PORT : ICMP_UNREACH_PROTOCOL, nb);
        netbuf_free(nb);
        return;
    }
    inet->ip4.stats.rx_delivered++;
    netbuf_pull(nb, h->hdr_len);
    if (h->proto == IP4_PROTO_ICMP)
        icmp_input(inet, nb, h);
    else
        fn(inet, nb, h);
}

void ip4_input(struct inet *inet, struct netbuf *nb)
{
    struct ip4_stats *st = &inet->ip4.stats;
    struct ip4_hdr h;
    st->rx++;
    int err = ip4_parse(nb->data, nb->len, &h);
    if (err < 0) {
        ip4_count_parse_error(st, err);
        netbuf_free(nb);
        return;
    }
    netbuf_trim(nb, h.total_len); /* drop Ethernet padding */
    /* Without an address (DHCP in progress) accept what comes, as RFC 2131 4.1 expects. */
    if (inet->addr && !ip4_is_local(inet, h.dst)) {
        st->rx_not_for_us++;
        netbuf_free(nb);
        return;
    }
    /* RFC 1122 3.3.6 (SHOULD): a link-layer broadcast carries an IP broadcast; one to our
     * unicast address is someone's mistake or a trick (a smurf's reflection). */
    if (inet->addr && nb->l2_group && h.dst == inet->addr) {
        st->rx_l2_broadcast++;
        netbuf_free(nb);
        return;
    }
    if (ip4_bad_source(inet, h.src)) {
        st->rx_bad_source++;
        netbuf_free(nb);
        return;
    }
    /* RFC 1122 3.3.5: a host that does not forward source routes discards the datagram and
     * says so with code 5 (RFC 7126 4.3, 4.4: drop LSRR and SSRR by default). */
    if (h.hdr_len > IP4_HDR_LEN &&
        ip4_route_unfinished(nb->data + IP4_HDR_LEN, h.hdr_len - IP4_HDR_LEN)) {
        st->rx_source_route++;
        icmp_send_unreachable(inet, ICMP_UNREACH_SRCFAIL, nb);
        netbuf_free(nb);
        return;
    }
    if (ip4_is_fragment(&h)) {
        st->rx_fragments++;
        struct ip4_hdr whole;
        nb = ip4_reass_input(inet, nb, &h, &whole);
        if (!nb)
            return;
        st->rx_reassembled++;
        h = whole;
    }
    ip4_deliver(inet, nb, &h);
}

/* Segments the NIC cuts a TCP super-packet (data at its TCP header) into. */
static uint32_t ip4_tso_segments(const struct netbuf *nb)
{
    size_t payload = nb->len - (size_t)((nb->data[12] >> 4) * 4);
    return (uint32_t)((payload + nb->tso_mss - 1) / nb->tso_mss);
}

/* Send one packet (data at its transport header) that fits the MTU, or a TCP super-packet
 * that fits the TSO limit; takes ownership. */
static int ip4_send_one(struct inet *inet, struct netbuf *nb, struct ip4_hdr *h, uint32_t hop)
{
    uint8_t *p = netbuf_push(nb, IP4_HDR_LEN);
    if (!p) {
        inet->ip4.stats.tx_no_headroom++;
        netbuf_free(nb);
        return -ENOBUFS;
    }
    h->total_len = (uint16_t)nb->len;
    ip4_emit(p, IP4_HDR_LEN, h);
    inet->ip4.stats.tx++;
    return arp_output(inet, nb, hop);
}

/* Split (nb) into fragments of at most the MTU (RFC 791 3.2); takes ownership. */
static int ip4_fragment(struct inet *inet, struct netbuf *nb, struct ip4_hdr *h, uint32_t hop)
{
    struct ip4_stats *st = &inet->ip4.stats;
    size_t chunk = (size_t)(inet->mtu - IP4_HDR_LEN) & ~(size_t)7;
    int r = 0;
    st->tx_fragmented++;
    for (size_t off = 0; off < nb->len && r == 0; off += chunk) {
        size_t n = nb->len - off < chunk ? nb->len - off : chunk;
        /* Sized: on a jumbo link a fragment is larger than a pool buffer. */
        struct netbuf *frag = netbuf_alloc_size(inet->pool, n);
        uint8_t *room = frag ? netbuf_put(frag, n) : NULL;
        if (!room) {
            netbuf_free(frag);
            st->tx_no_buffer++;
            r = -ENOBUFS;
            break;
        }
        memcpy(room, nb->data + off, n);
        struct ip4_hdr fh = *h;
        fh.frag_offset = (uint16_t)off;
        fh.mf = off + n < nb->len;
        st->tx_fragments++;
        r = ip4_send_one(inet, frag, &fh, hop);
    }
    netbuf_free(nb);
    return r;
}

int ip4_output(struct inet *inet, struct netbuf *nb, const struct ip4_out *out)
{
    struct ip4_stats *st = &inet->ip4.stats;
    if (ip4_never_sent_to(out->dst)) {
        st->tx_bad_dst++;
        netbuf_free(nb);
        return -ENETUNREACH;
    }
    uint32_t hop = ip4_next_hop(inet, out->dst);
    if (!hop) {
        st->tx_no_route++;
        netbuf_free(nb);
        return -EHOSTUNREACH;
    }
    if (nb->len > 65535 - IP4_HDR_LEN) {
        st->tx_too_big++;
        netbuf_free(nb);
        return -EMSGSIZE;
    }
    struct ip4_hdr h = {
        .tos = out->tos,
        .id = inet->ip4.next_id++,
        .df = out->df,
        .ttl = out->ttl                     ? out->ttl
               : ip4_is_multicast(out->dst) ? 1 /* RFC 1112 6.1: a group's default scope */
                                            : IP4_DEFAULT_TTL,
        .proto = out->proto,
        .src = out->src ? out->src : inet->addr,
        .dst = out->dst,
    };
    if (nb->tso_mss) /* the NIC gives each segment the next ID, as Linux's GSO does */
        inet->ip4.next_id = (uint16_t)(h.id + ip4_tso_segments(nb));
    if (nb->len + IP4_HDR_LEN <= inet->mtu ||
        (nb->tso_mss && nb->len + IP4_HDR_LEN <= inet->tso_max))
        return ip4_send_one(inet, nb, &h, hop);
    if (out->df) {
        st->tx_too_big++;
        netbuf_free(nb);
        return -EMSGSIZE;
    }
    return ip4_fragment(inet, nb, &h, hop);
}
