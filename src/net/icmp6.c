/*
 * ICMPv6 (RFC 4443). Echo replies are built in the request's buffer; errors are rate limited
 * (2.4 (f), a token bucket) and never sent about an error, a redirect, a packet to a multicast
 * address (bar the two exceptions of 2.4 (e.3)) or from a source that does not name one node
 * (2.4 (e.5)). Neighbour discovery messages are checked (hop limit 255, code 0: RFC 4861
 * 6.1, 7.1) before their modules see them. Call order: see src/include/unic/icmp6.h.
 */
#include "unic/icmp6.h"

#include <errno.h>
#include <string.h>

#include "unic/inet_internal.h"
#include "unic/ip6_stack.h"
#include "unic/wire/bytes.h"
#include "unic/wire/icmp6.h"
#include "unic/wire/ip6.h"
#include "unic/wire/wire.h"

/* RFC 4443 2.4 (c): as much of the invoking packet as fits in the minimum MTU. */
#define ICMP6_QUOTE_MAX (IP6_MIN_MTU - IP6_HDR_LEN - ICMP6_HDR_LEN)

void icmp6_init(struct inet *inet)
{
    struct icmp6 *ic = &inet->ip6.icmp6;
    memset(ic, 0, sizeof(*ic));
    ic->tokens = ICMP6_RATE_BURST;
    ic->tokens_at = inet_now(inet);
}

static void icmp6_echo_reply(struct inet *inet, struct netbuf *nb, const struct ip6_rx *rx)
{
    struct ip6_out out = {
        .dst = rx->src, .proto = IP6_NH_ICMP6, .traffic_class = rx->traffic_class};
    /* 4.2: to a multicast request, answer from one of our unicast addresses. */
    if (!rx->dst_multicast)
        out.src = rx->dst;
    else if (ip6_select_src(inet, rx->src, &out.src) < 0) {
        netbuf_free(nb);
        return;
    }
    struct icmp6_hdr h = {.type = ICMP6_ECHO_REPLY, .rest = rd32(nb->data + 4)};
    icmp6_emit(nb->data, nb->len, &h, nb->len - ICMP6_HDR_LEN, out.src.bytes, out.dst.bytes);
    inet->ip6.icmp6.stats.tx_echo_replies++;
    ip6_output(inet, nb, &out);
}

/* The quoted packet of an error (after the 8-byte header): its destination, for PMTU. */
static void icmp6_too_big(struct inet *inet, const struct netbuf *nb, uint32_t mtu)
{
    struct ip6_hdr q;
    if (nb->len < ICMP6_HDR_LEN + IP6_HDR_LEN ||
        ip6_parse_quoted(nb->data + ICMP6_HDR_LEN, nb->len - ICMP6_HDR_LEN, &q) < 0)
        return;
    /* Only about packets we sent: the quoted source is ours. */
    if (!ip6_is_local(inet, unic_addr_ip6(q.src)))
        return;
    ip6_pmtu_update(inet, unic_addr_ip6(q.dst), mtu);
}

/* What an error means to a socket (Linux's icmpv6_err_convert, in RFC 1122's hard and soft
 * terms): port unreachable and an unrecognized next header end a connection being opened; the
 * rest are soft. */
static void icmp6_classify(const struct icmp6_hdr *h, struct ip_error *e)
{
    switch (h->type) {
    case ICMP6_DEST_UNREACH:
        e->hard = h->code == ICMP6_UNREACH_PORT;
        e->err = h->code == ICMP6_UNREACH_PORT                    ? -ECONNREFUSED
                 : h->code == ICMP6_UNREACH_NOROUTE               ? -ENETUNREACH
                 : h->code == 1 /* administratively prohibited */ ? -EACCES
                                                                  : -EHOSTUNREACH;
        break;
    case ICMP6_PACKET_TOO_BIG:
        e->too_big = true;
        e->err = -EMSGSIZE;
        break;
    case ICMP6_PARAM_PROBLEM:
        e->hard = h->code == 1; /* unrecognized next header: the protocol is unreachable */
        e->err = h->code == 1 ? -ENOPROTOOPT : -EPROTO;
        break;
    default: /* time exceeded */
        e->err = -EHOSTUNREACH;
    }
}

/* RFC 4443 2.4 (d): an error about a packet we sent goes to its transport. The quoted packet
 * (after the 8-byte header) must come from one of our addresses; its extension headers are
 * walked to the transport header (a non-first fragment carries none: dropped). */
static void icmp6_error_to_transport(struct inet *inet, const struct netbuf *nb,
                                     const struct icmp6_hdr *h)
{
    const uint8_t *q = nb->data + ICMP6_HDR_LEN;
    size_t qlen = nb->len - ICMP6_HDR_LEN, off = IP6_HDR_LEN;
    struct ip6_hdr ih;
    if (ip6_parse_quoted(q, qlen, &ih) < 0 || !ip6_is_local(inet, unic_addr_ip6(ih.src)))
        return;
    uint8_t nh = ih.next_header;
    for (int n = 0; n < 8; n++) {
        size_t len;
        if (nh == IP6_NH_FRAGMENT) {
            struct ip6_frag_hdr fh;
            if (ip6_frag_parse(q + off, qlen - off, &fh) < 0 || fh.offset != 0)
                return;
            nh = fh.next_header;
            off += IP6_FRAG_HDR_LEN;
        } else if (nh == IP6_NH_HOPOPTS || nh == IP6_NH_DSTOPTS || nh == IP6_NH_ROUTING) {
            if (ip6_ext_parse(q + off, qlen - off, &nh, &len) < 0)
                return;
            off += len;
        } else {
            break;
        }
    }
    ip_error_fn fn = nh == IP6_NH_UDP ? inet->udp_error : nh == IP6_NH_TCP ? inet->tcp_error : NULL;
    if (!fn || off > qlen || qlen - off < 8)
        return;
    struct ip_error err = {
        .type = h->type,
        .code = h->code,
        .param = h->rest,
        .src = unic_addr_ip6(ih.src),
        .dst = unic_addr_ip6(ih.dst),
        .l4 = q + off,
        .l4_len = qlen - off,
    };
    icmp6_classify(h, &err);
    inet->ip6.icmp6.stats.errors_to_transport++;
    fn(inet, &err);
}

/* RFC 4861 6.1.1, 6.1.2, 7.1.1, 7.1.2: hop limit 255 (sent on this link), code 0. */
static bool icmp6_nd_valid(const struct ip6_rx *rx, const struct icmp6_hdr *h)
{
    return rx->hop_limit == 255 && h->code == 0;
}

static void icmp6_nd_input(struct inet *inet, struct netbuf *nb, const struct ip6_rx *rx,
                           const struct icmp6_hdr *h)
{
    struct icmp6_stats *st = &inet->ip6.icmp6.stats;
    if (!icmp6_nd_valid(rx, h)) {
        st->rx_bad_nd++;
        return;
    }
    switch (h->type) {
    case ICMP6_NEIGHBOR_SOLICIT:
        st->rx_ns++;
        nd6_input_ns(inet, nb, rx->src, rx->dst);
        break;
    case ICMP6_NEIGHBOR_ADVERT:
        st->rx_na++;
        nd6_input_na(inet, nb, rx->src, rx->dst);
        break;
    case ICMP6_ROUTER_SOLICIT:
        st->rx_rs++; /* a host does not answer (RFC 4861 6.2.6) */
        break;
    case ICMP6_ROUTER_ADVERT:
        st->rx_ra++;
        if (ip6_addr_is_link_local(rx->src.bytes)) /* 6.1.2 */
            slaac_input_ra(inet, nb, rx->src);
        else
            st->rx_bad_nd++;
        break;
    default:
        st->rx_redirect++;
        ip6_redirect_input(inet, nb, rx->src);
    }
}

void icmp6_input(struct inet *inet, struct netbuf *nb, const struct ip6_rx *rx)
{
    struct icmp6_stats *st = &inet->ip6.icmp6.stats;
    struct icmp6_hdr h;
    st->rx++;
    int err = icmp6_parse(nb->data, nb->len, rx->src.bytes, rx->dst.bytes, &h);
    if (err < 0) {
        if (err == WIRE_ECHECKSUM)
            st->rx_bad_checksum++;
        else
            st->rx_truncated++;
        netbuf_free(nb);
        return;
    }
    /* Only neighbour discovery and MLD may come from :: (DAD, reports before an address). */
    bool from_unspec = unic_addr_is_unspecified(rx->src);
    switch (h.type) {
    case ICMP6_ECHO_REQUEST:
        st->rx_echo_requests++;
        if (from_unspec)
            break;
        icmp6_echo_reply(inet, nb, rx);
        return;
    case ICMP6_ECHO_REPLY:
        st->rx_echo_replies++;
        if (inet->ip6.icmp6.on_echo_reply)
            inet->ip6.icmp6.on_echo_reply(inet, rx->src, (uint16_t)(h.rest >> 16), (uint16_t)h.rest,
                                          nb->len - ICMP6_HDR_LEN, inet->ip6.icmp6.echo_arg);
        break;
    case ICMP6_PACKET_TOO_BIG:
        st->rx_too_big++;
        icmp6_too_big(inet, nb, h.rest);
        icmp6_error_to_transport(inet, nb, &h);
        break;
    case ICMP6_DEST_UNREACH:
    case ICMP6_TIME_EXCEEDED:
    case ICMP6_PARAM_PROBLEM:
        if (h.type == ICMP6_DEST_UNREACH)
            st->rx_unreachable++;
        else if (h.type == ICMP6_TIME_EXCEEDED)
            st->rx_time_exceeded++;
        else
            st->rx_param_problem++;
        icmp6_error_to_transport(inet, nb, &h);
        break;
    case ICMP6_NEIGHBOR_SOLICIT:
    case ICMP6_NEIGHBOR_ADVERT:
    case ICMP6_ROUTER_SOLICIT:
    case ICMP6_ROUTER_ADVERT:
    case ICMP6_REDIRECT:
        icmp6_nd_input(inet, nb, rx, &h);
        break;
    case ICMP6_MLD_QUERY:
        st->rx_mld++;
        if (rx->hop_limit == 1) /* RFC 3810 5.1.14: only from this link */
            mld_input_query(inet, nb, rx->src);
        else
            st->rx_bad_nd++;
        break;
    case ICMP6_MLD1_REPORT:
    case ICMP6_MLD1_DONE:
    case ICMP6_MLD2_REPORT:
        st->rx_mld++; /* other listeners' reports: a host has nothing to do (RFC 3810 6) */
        break;
    default:
        st->rx_other++; /* 2.4 (b): unknown informational messages are dropped */
    }
    netbuf_free(nb);
}

static bool icmp6_take_token(struct inet *inet)
{
    struct icmp6 *ic = &inet->ip6.icmp6;
    uint64_t now = inet_now(inet);
    uint64_t earned = (now - ic->tokens_at) * ICMP6_RATE_PER_SEC / NSEC_PER_SEC;
    if (earned) {
        ic->tokens = (uint32_t)(ic->tokens + earned > ICMP6_RATE_BURST ? ICMP6_RATE_BURST
                                                                       : ic->tokens + earned);
        ic->tokens_at = now;
    }
    if (!ic->tokens)
        return false;
    ic->tokens--;
    return true;
}

/* RFC 4443 2.4 (e): never about an ICMPv6 error or a redirect, a packet to a multicast
 * address (unless allowed), or from an unspecified, multicast or non-local... source. */
static bool icmp6_may_answer(struct inet *inet, const struct netbuf *orig, const struct ip6_hdr *h,
                             bool allow_multicast)
{
    /* e.3..e.5: to a multicast address, or as a link-layer multicast or broadcast (packet too
     * big and unrecognized options, allow_multicast, are the exceptions). */
    if ((ip6_addr_is_multicast(h->dst) || orig->l2_group) && !allow_multicast)
        return false;
    struct unic_addr src = unic_addr_ip6(h->src);
    if (unic_addr_is_unspecified(src) || ip6_addr_is_multicast(h->src))
        return false;
    if (ip6_addr_find(inet, src)) /* our own packet (unresolved next hop): no error to us */
        return false;
    /* An ICMPv6 error or redirect right after the header (the common case; an error behind
     * extension headers is caught by the same test on the type byte found there). */
    size_t off = IP6_HDR_LEN;
    uint8_t nh = h->next_header;
    for (int n = 0; n < 8 && (nh == IP6_NH_HOPOPTS || nh == IP6_NH_DSTOPTS || nh == IP6_NH_ROUTING);
         n++) {
        size_t len;
        if (ip6_ext_parse(orig->data + off, orig->len - off, &nh, &len) < 0)
            return true;
        off += len;
    }
    if (nh == IP6_NH_ICMP6 && off < orig->len) {
        uint8_t type = orig->data[off];
        return !icmp6_is_error(type) && type != ICMP6_REDIRECT;
    }
    return true;
}

void icmp6_send_error(struct inet *inet, uint8_t type, uint8_t code, uint32_t param,
                      const struct netbuf *orig, bool allow_multicast)
{
    struct icmp6_stats *st = &inet->ip6.icmp6.stats;
    struct ip6_hdr h;
    if (ip6_parse_quoted(orig->data, orig->len, &h) < 0)
        return;
    if (!icmp6_may_answer(inet, orig, &h, allow_multicast)) {
        st->not_answered++;
        return;
    }
    if (!icmp6_take_token(inet)) {
        st->rate_limited++;
        return;
    }
    struct ip6_out out = {.dst = unic_addr_ip6(h.src), .proto = IP6_NH_ICMP6};
    /* From the address the packet was sent to, when it is one of ours (not multicast). */
    if (ip6_is_local(inet, unic_addr_ip6(h.dst)) && !ip6_addr_is_multicast(h.dst))
        out.src = unic_addr_ip6(h.dst);
    else if (ip6_select_src(inet, out.dst, &out.src) < 0)
        return;
    size_t quote = orig->len < ICMP6_QUOTE_MAX ? orig->len : ICMP6_QUOTE_MAX;
    struct netbuf *nb = netbuf_alloc(inet->pool);
    if (!nb) {
        st->no_buffer++;
        return;
    }
    uint8_t *p = netbuf_put(nb, ICMP6_HDR_LEN + quote);
    memcpy(p + ICMP6_HDR_LEN, orig->data, quote);
    struct icmp6_hdr ih = {.type = type, .code = code, .rest = param};
    icmp6_emit(p, ICMP6_HDR_LEN + quote, &ih, quote, out.src.bytes, out.dst.bytes);
    st->tx_errors++;
    if (type == ICMP6_DEST_UNREACH)
        st->tx_unreachable++;
    else if (type == ICMP6_PARAM_PROBLEM)
        st->tx_param_problem++;
    else if (type == ICMP6_TIME_EXCEEDED)
        st->tx_time_exceeded++;
    else if (type == ICMP6_PACKET_TOO_BIG)
        st->tx_too_big++;
    ip6_output(inet, nb, &out);
}

void ip6_send_unreachable(struct inet *inet, uint8_t code, struct netbuf *nb,
                          const struct ip6_rx *rx)
{
    if (netbuf_headroom(nb) < rx->hdr_len)
        return;
    netbuf_push(nb, rx->hdr_len);
    icmp6_send_error(inet, ICMP6_DEST_UNREACH, code, 0, nb, false);
    netbuf_pull(nb, rx->hdr_len);
}

int icmp6_send_echo(struct inet *inet, struct unic_addr dst, uint16_t id, uint16_t seq, size_t len)
{
    if (len > 65535 - ICMP6_HDR_LEN)
        return -EMSGSIZE;
    struct ip6_out out = {.dst = dst, .proto = IP6_NH_ICMP6};
    if (ip6_select_src(inet, dst, &out.src) < 0)
        return -EADDRNOTAVAIL;
    struct netbuf *nb = netbuf_alloc_size(inet->pool, ICMP6_HDR_LEN + len);
    if (!nb) {
        inet->ip6.icmp6.stats.no_buffer++;
        return -ENOBUFS;
    }
    uint8_t *p = netbuf_put(nb, ICMP6_HDR_LEN + len);
    for (size_t i = 0; i < len; i++)
        p[ICMP6_HDR_LEN + i] = (uint8_t)i;
    struct icmp6_hdr h = {.type = ICMP6_ECHO_REQUEST, .rest = (uint32_t)id << 16 | seq};
    icmp6_emit(p, ICMP6_HDR_LEN + len, &h, len, out.src.bytes, out.dst.bytes);
    inet->ip6.icmp6.stats.tx_echo_requests++;
    return ip6_output(inet, nb, &out);
}

void icmp6_print_stats(struct inet *inet, int all)
{
    static const char *const names[] = {ICMP6_STATS(STATS_NAME)};
    stats_print("icmp6", names, &inet->ip6.icmp6.stats, STATS_COUNT(names), all);
}
