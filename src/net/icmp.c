/*
 * ICMP (RFC 792): echo replies built in place in the request's buffer, and rate-limited
 * destination unreachable messages for other modules (RFC 1812 4.3.2.8).
 * Call order: ip4_input -> icmp_input -> ip4_output; udp/ip4 -> icmp_send_unreachable.
 */
#include "unic/icmp.h"

#include <errno.h>
#include <string.h>

#include "unic/inet_internal.h"
#include "unic/ip4.h"
#include "unic/wire/bytes.h"
#include "unic/wire/icmp.h"
#include "unic/wire/wire.h"

/* RFC 1812 4.3.2.3: quote as much of the original as fits in a 576-byte datagram. */
#define ICMP_QUOTE_MAX (576 - IP4_HDR_LEN - ICMP_HDR_LEN)

void icmp_init(struct inet *inet)
{
    memset(&inet->icmp, 0, sizeof(inet->icmp));
    inet->icmp.tokens = ICMP_RATE_BURST;
    inet->icmp.tokens_at = inet_now(inet);
}

static void icmp_echo_reply(struct inet *inet, struct netbuf *nb, const struct ip4_hdr *ip)
{
    struct icmp *ic = &inet->icmp;
    if (ip4_is_broadcast(inet, ip->dst)) {
        netbuf_free(nb); /* no smurf amplification: RFC 1122 3.2.2.6 allows silence */
        return;
    }
    /* The reply differs from the request only in its type: patch the checksum (RFC 1624). */
    nb->data[0] = ICMP_ECHO_REPLY;
    uint32_t sum = (uint16_t)~rd16(nb->data + 2);
    sum += (uint16_t) ~(ICMP_ECHO_REQUEST << 8) + (ICMP_ECHO_REPLY << 8);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    wr16(nb->data + 2, (uint16_t)~sum);
    struct ip4_out out = {.src = ip->dst, .dst = ip->src, .proto = IP4_PROTO_ICMP, .tos = ip->tos};
    if (ip4_output(inet, nb, &out) == 0) /* 0.0.0.0 (a host configuring) cannot be answered */
        ic->stats.tx_echo_replies++;
}

/* What an error means to a socket, as RFC 1122 4.2.3.9 sorts them: protocol and port
 * unreachable are hard (they end a connection being opened); the rest are soft. Fragmentation
 * needed is soft too: our datagrams do not set DF (no path MTU discovery over IPv4). */
static void icmp_classify(const struct icmp_hdr *h, struct ip_error *e)
{
    if (h->type == ICMP_DEST_UNREACH) {
        e->hard = h->code == ICMP_UNREACH_PROTOCOL || h->code == ICMP_UNREACH_PORT;
        e->err = h->code == ICMP_UNREACH_PORT       ? -ECONNREFUSED
                 : h->code == ICMP_UNREACH_PROTOCOL ? -ENOPROTOOPT
                 : h->code == ICMP_UNREACH_NET      ? -ENETUNREACH
                 : h->code == ICMP_UNREACH_NEEDFRAG ? -EMSGSIZE
                                                    : -EHOSTUNREACH;
    } else if (h->type == ICMP_PARAM_PROBLEM) {
        e->err = -EPROTO;
    } else { /* time exceeded */
        e->err = -EHOSTUNREACH;
    }
}

/* RFC 1122 3.2.2 (MUST): an error about a datagram we sent goes to its transport (TCP: RFC
 * 9293 MUST-54). The quote is the datagram's IP header and at least 8 bytes after it (its
 * length field counts the whole datagram, so it is not checked against the quote); the
 * datagram must be from our address, and a first fragment or whole (the ports are there). */
static void icmp_error_to_transport(struct inet *inet, const struct netbuf *nb,
                                    const struct icmp_hdr *h)
{
    const uint8_t *q = nb->data + ICMP_HDR_LEN;
    size_t qlen = nb->len - ICMP_HDR_LEN, hl = qlen ? (size_t)(q[0] & 0x0f) * 4 : 0;
    if (qlen < IP4_HDR_LEN || (q[0] >> 4) != 4 || hl < IP4_HDR_LEN || qlen < hl + 8)
        return;
    uint32_t src = rd32(q + 12), dst = rd32(q + 16);
    if (!inet->addr || src != inet->addr || (rd16(q + 6) & IP4_FRAG_OFFSET_MASK) != 0)
        return;
    ip_error_fn fn = q[9] == IP4_PROTO_UDP   ? inet->udp_error
                     : q[9] == IP4_PROTO_TCP ? inet->tcp_error
                                             : NULL;
    if (!fn)
        return;
    struct ip_error err = {.type = h->type,
                           .code = h->code,
                           .param = h->rest,
                           .src = unic_addr_ip4(src),
                           .dst = unic_addr_ip4(dst),
                           .l4 = q + hl,
                           .l4_len = qlen - hl};
    icmp_classify(h, &err);
    inet->icmp.stats.errors_to_transport++;
    fn(inet, &err);
}

void icmp_input(struct inet *inet, struct netbuf *nb, const struct ip4_hdr *ip)
{
    struct icmp_stats *st = &inet->icmp.stats;
    struct icmp_hdr h;
    st->rx++;
    int err = icmp_parse(nb->data, nb->len, &h);
    if (err < 0) {
        if (err == WIRE_ECHECKSUM)
            st->rx_bad_checksum++;
        else
            st->rx_truncated++;
        netbuf_free(nb);
        return;
    }
    switch (h.type) {
    case ICMP_ECHO_REQUEST:
        st->rx_echo_requests++;
        icmp_echo_reply(inet, nb, ip);
        return;
    case ICMP_ECHO_REPLY:
        st->rx_echo_replies++;
        if (inet->icmp.on_echo_reply)
            inet->icmp.on_echo_reply(inet, ip->src, (uint16_t)(h.rest >> 16), (uint16_t)h.rest,
                                     nb->len - ICMP_HDR_LEN, inet->icmp.echo_arg);
        break;
    case ICMP_DEST_UNREACH:
        st->rx_unreachable++;
        icmp_error_to_transport(inet, nb, &h);
        break;
    case ICMP_TIME_EXCEEDED:
    case ICMP_PARAM_PROBLEM:
        st->rx_other++;
        icmp_error_to_transport(inet, nb, &h);
        break;
    default:
        st->rx_other++;
    }
    netbuf_free(nb);
}

static bool icmp_take_token(struct inet *inet)
{
    struct icmp *ic = &inet->icmp;
    uint64_t now = inet_now(inet);
    uint64_t earned = (now - ic->tokens_at) * ICMP_RATE_PER_SEC / NSEC_PER_SEC;
    if (earned) {
        ic->tokens = (uint32_t)(ic->tokens + earned > ICMP_RATE_BURST ? ICMP_RATE_BURST
                                                                      : ic->tokens + earned);
        ic->tokens_at = now;
    }
    if (!ic->tokens)
        return false;
    ic->tokens--;
    return true;
}

/* RFC 1122 3.2.2 (MUST NOT): no error about an ICMP error, a datagram to an IP or link-layer
 * broadcast or multicast, a non-first fragment, or one whose source is no single host. */
static bool icmp_may_answer(struct inet *inet, const struct netbuf *orig, const struct ip4_hdr *h,
                            const uint8_t *l4, size_t l4_len)
{
    if (h->frag_offset != 0 || ip4_is_broadcast(inet, h->dst) || ip4_is_multicast(h->dst) ||
        orig->l2_group)
        return false;
    if (!ip4_is_host(inet, h->src)) /* RFC 1122 3.2.2: the source must be one host */
        return false;
    if (h->proto == IP4_PROTO_ICMP) {
        if (l4_len < 1)
            return false;
        uint8_t type = l4[0];
        return type == ICMP_ECHO_REQUEST || type == ICMP_ECHO_REPLY || type == 13 || type == 15;
    }
    return true;
}

static void icmp_send_error(struct inet *inet, uint8_t type, uint8_t code,
                            const struct netbuf *orig)
{
    struct icmp_stats *st = &inet->icmp.stats;
    struct ip4_hdr h;
    if (ip4_parse(orig->data, orig->len, &h) < 0)
        return;
    if (!icmp_may_answer(inet, orig, &h, orig->data + h.hdr_len, orig->len - h.hdr_len)) {
        st->not_answered++;
        return;
    }
    if (!icmp_take_token(inet)) {
        st->rate_limited++;
        return;
    }
    size_t quote = orig->len < ICMP_QUOTE_MAX ? orig->len : ICMP_QUOTE_MAX;
    struct netbuf *nb = netbuf_alloc(inet->pool);
    if (!nb) {
        st->no_buffer++;
        return;
    }
    uint8_t *p = netbuf_put(nb, ICMP_HDR_LEN + quote);
    memcpy(p + ICMP_HDR_LEN, orig->data, quote);
    struct icmp_hdr ih = {.type = type, .code = code};
    icmp_emit(p, ICMP_HDR_LEN + quote, &ih, quote);
    if (type == ICMP_DEST_UNREACH)
        st->tx_unreachable++;
    else
        st->tx_time_exceeded++;
    struct ip4_out out = {.src = h.dst, .dst = h.src, .proto = IP4_PROTO_ICMP};
    ip4_output(inet, nb, &out);
}

void icmp_send_unreachable(struct inet *inet, uint8_t code, const struct netbuf *orig)
{
    icmp_send_error(inet, ICMP_DEST_UNREACH, code, orig);
}

void icmp_send_time_exceeded(struct inet *inet, uint8_t code, const struct netbuf *orig)
{
    icmp_send_error(inet, ICMP_TIME_EXCEEDED, code, orig);
}

int icmp_send_echo(struct inet *inet, uint32_t dst, uint16_t id, uint16_t seq, const void *payload,
                   size_t len)
{
    if (len > 65535 - IP4_HDR_LEN - ICMP_HDR_LEN) { /* checked before the sum can wrap */
        inet->icmp.stats.tx_too_big++;
        return -EMSGSIZE;
    }
    struct netbuf *nb = netbuf_alloc_size(inet->pool, ICMP_HDR_LEN + len);
    if (!nb) {
        inet->icmp.stats.no_buffer++;
        return -ENOBUFS;
    }
    uint8_t *p = netbuf_put(nb, ICMP_HDR_LEN + len);
    for (size_t i = 0; i < len; i++)
        p[ICMP_HDR_LEN + i] = payload ? ((const uint8_t *)payload)[i] : (uint8_t)i;
    struct icmp_hdr h = {.type = ICMP_ECHO_REQUEST, .rest = (uint32_t)id << 16 | seq};
    icmp_emit(p, ICMP_HDR_LEN + len, &h, len);
    struct ip4_out out = {.dst = dst, .proto = IP4_PROTO_ICMP};
    return ip4_output(inet, nb, &out);
}
