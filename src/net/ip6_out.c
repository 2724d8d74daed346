/*
 * IPv6 output (RFC 8200): the header, fragmentation on send (4.5) when a packet exceeds the
 * path MTU, and the path MTU cache fed by packet too big messages (RFC 8201). Call order:
 * transport -> ip6_output -> ip6_output_from -> (ip6_fragment) -> nd6_output.
 */
#include "unic/ip6_stack.h"

#include <errno.h>
#include <string.h>

#include "unic/inet_internal.h"
#include "unic/log.h"
#include "unic/random.h"
#include "unic/wire/ip6.h"

void ip6_emit_out(uint8_t *p, const struct ip6_out *out, uint8_t hop_limit, size_t payload_len,
                  uint8_t next_header)
{
    struct ip6_hdr h = {
        .traffic_class = out->traffic_class,
        .payload_len = (uint16_t)payload_len,
        .next_header = next_header,
        .hop_limit = hop_limit,
    };
    memcpy(h.src, out->src.bytes, 16);
    memcpy(h.dst, out->dst.bytes, 16);
    ip6_emit(p, IP6_HDR_LEN, &h);
}

static uint8_t ip6_hop_limit(const struct inet *inet, const struct ip6_out *out)
{
    if (out->hop_limit)
        return out->hop_limit;
    return ip6_addr_is_multicast(out->dst.bytes) ? 1 : inet->ip6.hop_limit;
}

int ip6_send_packet(struct inet *inet, struct netbuf *nb, struct unic_addr dst)
{
    struct unic_addr hop;
    if (ip6_next_hop(inet, dst, &hop) < 0) {
        inet->ip6.stats.tx_no_route++;
        netbuf_free(nb);
        return -EHOSTUNREACH;
    }
    inet->ip6.stats.tx++;
    return nd6_output(inet, nb, hop);
}

int ip6_output_from(struct inet *inet, struct netbuf *nb, const struct ip6_out *out)
{
    struct ip6_stats *st = &inet->ip6.stats;
    struct unic_addr hop;
    if (!inet->ip6.enabled || ip6_next_hop(inet, out->dst, &hop) < 0) {
        st->tx_no_route++;
        netbuf_free(nb);
        return -EHOSTUNREACH;
    }
    if (nb->len > 65535) {
        st->tx_too_big++;
        netbuf_free(nb);
        return -EMSGSIZE;
    }
    uint16_t mtu = ip6_path_mtu(inet, out->dst);
    if (nb->len + IP6_HDR_LEN > mtu && !(nb->tso_mss && nb->len + IP6_HDR_LEN <= inet->tso_max)) {
        if (out->dont_frag) {
            st->tx_too_big++;
            netbuf_free(nb);
            return -EMSGSIZE;
        }
        return ip6_fragment(inet, nb, out, hop, mtu);
    }
    size_t payload = nb->len;
    uint8_t *p = netbuf_push(nb, IP6_HDR_LEN);
    if (!p) {
        st->tx_no_headroom++;
        netbuf_free(nb);
        return -ENOBUFS;
    }
    ip6_emit_out(p, out, ip6_hop_limit(inet, out), payload, out->proto);
    st->tx++;
    return nd6_output(inet, nb, hop);
}

int ip6_output(struct inet *inet, struct netbuf *nb, const struct ip6_out *out)
{
    if (!unic_addr_is_unspecified(out->src))
        return ip6_output_from(inet, nb, out);
    struct ip6_out o = *out;
    if (ip6_select_src(inet, out->dst, &o.src) < 0) {
        inet->ip6.stats.tx_no_source++;
        netbuf_free(nb);
        return -EADDRNOTAVAIL;
    }
    return ip6_output_from(inet, nb, &o);
}

int ip6_fragment(struct inet *inet, struct netbuf *nb, const struct ip6_out *out,
                 struct unic_addr hop, uint16_t mtu)
{
    struct ip6_stats *st = &inet->ip6.stats;
    /* RFC 7739: identifications that cannot be predicted. */
    struct ip6_frag_hdr fh = {.next_header = out->proto, .id = random_u32()};
    size_t chunk = (size_t)(mtu - IP6_HDR_LEN - IP6_FRAG_HDR_LEN) & ~(size_t)7;
    uint8_t hl = ip6_hop_limit(inet, out);
    int r = 0;
    st->tx_fragmented++;
    for (size_t off = 0; off < nb->len && r == 0; off += chunk) {
        size_t n = nb->len - off < chunk ? nb->len - off : chunk;
        struct netbuf *frag = netbuf_alloc_size(inet->pool, n);
        if (!frag) {
            st->tx_no_buffer++;
            r = -ENOBUFS;
            break;
        }
        memcpy(netbuf_put(frag, n), nb->data + off, n);
        fh.offset = (uint16_t)off;
        fh.more = off + n < nb->len;
        uint8_t *p = netbuf_push(frag, IP6_HDR_LEN + IP6_FRAG_HDR_LEN);
        ip6_emit_out(p, out, hl, n + IP6_FRAG_HDR_LEN, IP6_NH_FRAGMENT);
        ip6_frag_emit(p + IP6_HDR_LEN, IP6_FRAG_HDR_LEN, &fh);
        st->tx_fragments++;
        st->tx++;
        r = nd6_output(inet, frag, hop);
    }
    netbuf_free(nb);
    return r;
}

/* ---- path MTU (RFC 8201) ---- */

static struct ip6_pmtu_entry *ip6_pmtu_find(struct inet *inet, struct unic_addr dst)
{
    uint64_t now = inet_now(inet);
    for (int i = 0; i < IP6_PMTU_SIZE; i++) {
        struct ip6_pmtu_entry *e = &inet->ip6.pmtu[i];
        if (e->expires && e->expires <= now)
            e->expires = 0; /* RFC 8201 4: try a larger MTU again after a while */
        if (e->expires && unic_addr_equal(e->dst, dst))
            return e;
    }
    return NULL;
}

uint16_t ip6_path_mtu(const struct inet *inet, struct unic_addr dst)
{
    uint16_t mtu = inet->ip6.link_mtu;
    const struct ip6_pmtu_entry *e = ip6_pmtu_find((struct inet *)inet, dst);
    if (e && e->mtu < mtu)
        mtu = e->mtu;
    return mtu < IP6_MIN_MTU ? IP6_MIN_MTU : mtu;
}

void ip6_pmtu_update(struct inet *inet, struct unic_addr dst, uint32_t mtu)
{
    struct ip6_stack *s = &inet->ip6;
    /* RFC 8201 4: never below 1280 (a smaller report is discarded), never above the link. */
    if (mtu < IP6_MIN_MTU || mtu >= ip6_path_mtu(inet, dst)) {
        s->stats.pmtu_ignored++;
        return;
    }
    struct ip6_pmtu_entry *e = ip6_pmtu_find(inet, dst);
    for (int i = 0; i < IP6_PMTU_SIZE && !e; i++)
        if (!s->pmtu[i].expires)
            e = &s->pmtu[i];
    if (!e) { /* full: replace the one expiring first */
        e = &s->pmtu[0];
        for (int i = 1; i < IP6_PMTU_SIZE; i++)
            if (s->pmtu[i].expires < e->expires)
                e = &s->pmtu[i];
    }
    e->dst = dst;
    e->mtu = (uint16_t)mtu;
    e->expires = inet_now(inet) + IP6_PMTU_EXPIRE_NS;
    if (!e->expires)
        e->expires = 1;
    s->stats.pmtu_updates++;
    char text[UNIC_ADDR_STRLEN];
    log_debug("ip6: path MTU to %s is %u", unic_addr_format(dst, text), (unsigned)mtu);
}
