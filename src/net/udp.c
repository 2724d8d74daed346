/*
 * UDP (RFC 768): a port table of bound sockets, receive dispatch, send.
 *
 * Call order: ip4_input -> inet->udp_input = udp_input -> sock->on_recv (payload in place)
 *             | icmp_send_unreachable (closed port);
 *             ip6_input -> inet->udp_input6 = udp_input6 -> the same sockets (one port space for
 *             both families);
 *             udp_sendto / udp_send_buf -> udp_output -> ip4_output | ip6_output.
 *
 * struct udp is allocated by the first udp_bind() (which also sets inet->udp_input), so a service
 * that never binds links none of this. Sockets listen on every local address, including the
 * broadcasts ip4 accepts (DHCP needs 255.255.255.255 on port 68).
 */
#include "unic/udp.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "unic/inet_internal.h"
#include "unic/ip4.h"
#include "unic/ip6.h"
#include "unic/random.h"
#include "unic/stats.h"
#include "unic/wire/bytes.h"
#include "unic/wire/checksum.h"
#include "unic/wire/icmp.h"
#include "unic/wire/udp.h"
#include "unic/wire/wire.h"

#define UDP_BUCKETS 256 /* power of two */
#define UDP_MAX_SOCKS 4096
#define UDP_EPHEMERAL_MIN 49152u
#define UDP_EPHEMERAL_COUNT (65536u - UDP_EPHEMERAL_MIN)

/* One counter per drop reason. (clang-format does not settle on a layout for these.) */
/* clang-format off */
#define UDP_STATS(X)                                                                               \
    X(rx) X(rx_delivered) X(rx_truncated) X(rx_bad_length) X(rx_bad_checksum)                      \
    X(rx_zero_checksum) X(rx_no_port) X(tx) X(tx_too_big) X(tx_no_buffer) X(tx_no_headroom)        \
    X(tx_bad_dest) X(tx_errors) X(bind_in_use) X(bind_no_memory) X(rx_unread) X(rx_icmp_errors) \
    X(rx_icmp_unclaimed) X(tx_bad_source)
/* clang-format on */
struct udp_stats {
    UDP_STATS(STATS_FIELD)
};
static const char *const udp_stat_names[] = {UDP_STATS(STATS_NAME)};

struct udp_sock {
    struct inet *inet;
    struct udp_sock *next; /* in its bucket */
    udp_recv_fn on_recv;
    udp_error_fn on_error;
    void *user;
    uint16_t port;
    uint8_t ttl, tos; /* udp_set_ttl, udp_set_dscp; 0: the defaults */
};

struct udp {
    struct udp_sock *buckets[UDP_BUCKETS];
    unsigned count;
    struct udp_stats stats;
    struct inet_module module;
};

static unsigned udp_bucket(uint16_t port)
{
    return (unsigned)(port ^ (port >> 8)) & (UDP_BUCKETS - 1);
}

static struct udp_sock *udp_lookup(const struct udp *u, uint16_t port)
{
    for (struct udp_sock *s = u->buckets[udp_bucket(port)]; s; s = s->next)
        if (s->port == port)
            return s;
    return NULL;
}

/* RFC 6056 algorithm 1: a random start, then the next free port. The table holds at most
 * UDP_MAX_SOCKS < UDP_EPHEMERAL_COUNT sockets, so a free port always exists. */
static uint16_t udp_pick_ephemeral(const struct udp *u)
{
    uint32_t offset = random_uniform(UDP_EPHEMERAL_COUNT);
    for (uint32_t i = 0; i < UDP_EPHEMERAL_COUNT; i++) {
        uint16_t port = (uint16_t)(UDP_EPHEMERAL_MIN + (offset + i) % UDP_EPHEMERAL_COUNT);
        if (!udp_lookup(u, port))
            return port;
    }
    return 0;
}

static void udp_print_stats(struct inet *inet, int all)
{
    stats_print("udp", udp_stat_names, &inet->udp->stats, STATS_COUNT(udp_stat_names), all);
}

/* The inet_module.stat hook: udp_stat takes a const stack, the hook does not. */
static int64_t udp_module_stat(struct inet *inet, const char *name)
{
    return udp_stat(inet, name);
}

static void udp_destroy(struct inet *inet)
{
    struct udp *u = inet->udp;
    for (unsigned i = 0; i < UDP_BUCKETS; i++) {
        struct udp_sock *s = u->buckets[i];
        while (s) {
            struct udp_sock *next = s->next;
            free(s);
            s = next;
        }
    }
    inet->udp = NULL;
    inet->udp_input = NULL;
    inet->udp_input6 = NULL;
    inet->udp_error = NULL;
    free(u);
}

static void udp_count_parse_error(struct udp_stats *st, int err)
{
    if (err == WIRE_ECHECKSUM)
        st->rx_bad_checksum++;
    else if (err == WIRE_ELENGTH)
        st->rx_bad_length++;
    else
        st->rx_truncated++;
}

/* Port unreachable quotes the offending datagram from its IP header, which the proto input
 * contract leaves just before nb->data. icmp skips broadcasts and rate limits. */
static void udp_port_unreachable(struct inet *inet, struct netbuf *nb, const struct ip4_hdr *ip)
{
    if (netbuf_push(nb, ip->hdr_len))
        icmp_send_unreachable(inet, ICMP_UNREACH_PORT, nb);
}

/* Hand a verified datagram to its socket; false when no socket has the port (nb kept). */
static bool udp_deliver(struct inet *inet, struct netbuf *nb, const struct udp_hdr *h,
                        struct unic_addr src, struct unic_addr dst)
{
    struct udp_stats *st = &inet->udp->stats;
    struct udp_sock *s = udp_lookup(inet->udp, h->dport);
    if (!s)
        return false;
    if (!s->on_recv) { /* a send-only socket */
        st->rx_unread++;
        return true;
    }
    st->rx_delivered++;
    struct udp_meta meta = {.src = src, .dst = dst, .sport = h->sport, .dport = h->dport};
    /* The callback may close (s); nothing below touches it. */
    s->on_recv(s, &meta, nb->data + UDP_HDR_LEN, (size_t)(h->len - UDP_HDR_LEN));
    return true;
}

/* The same over IPv6 (RFC 4443 3.1, code 4); ip6 never answers a multicast destination. */
static void udp_port_unreachable6(struct inet *inet, struct netbuf *nb, const struct ip6_rx *rx)
{
    ip6_send_unreachable(inet, IP6_UNREACH_PORT, nb, rx);
}

static void udp_input(struct inet *inet, struct netbuf *nb, const struct ip4_hdr *ip)
{
    struct udp_stats *st = &inet->udp->stats;
    struct udp_hdr h;
    st->rx++;
    int r = nb->csum_ok ? udp_parse_unchecked(nb->data, nb->len, &h)
                        : udp_parse(nb->data, nb->len, ip->src, ip->dst, &h);
    if (r < 0) {
        udp_count_parse_error(st, r);
    } else {
        if (h.checksum == 0)
            st->rx_zero_checksum++;
        if (!udp_deliver(inet, nb, &h, unic_addr_ip4(ip->src), unic_addr_ip4(ip->dst))) {
            st->rx_no_port++;
            udp_port_unreachable(inet, nb, ip);
        }
    }
    netbuf_free(nb);
}

static void udp_input6(struct inet *inet, struct netbuf *nb, const struct ip6_rx *rx)
{
    struct udp_stats *st = &inet->udp->stats;
    struct udp_hdr h;
    st->rx++;
    uint32_t pseudo = csum_pseudo_ip6(rx->src.bytes, rx->dst.bytes, IP4_PROTO_UDP, 0);
    int r = nb->csum_ok ? udp_parse_unchecked(nb->data, nb->len, &h)
                        : udp_parse_sum(nb->data, nb->len, pseudo, &h);
    if (r == 0 && h.checksum == 0)
        r = WIRE_ECHECKSUM; /* RFC 8200 8.1: mandatory over IPv6 */
    if (r < 0) {
        udp_count_parse_error(st, r);
    } else if (!udp_deliver(inet, nb, &h, rx->src, rx->dst)) {
        st->rx_no_port++;
        udp_port_unreachable6(inet, nb, rx);
    }
    netbuf_free(nb);
}

/* RFC 1122 4.1.3.3 (MUST): an ICMP(v6) error about a datagram we sent goes to the socket of
 * its source port, if it still exists and asked for them (udp_set_on_error); else counted. */
static void udp_error(struct inet *inet, const struct ip_error *err)
{
    struct udp *u = inet->udp;
    u->stats.rx_icmp_errors++;
    struct udp_sock *s = udp_lookup(u, rd16(err->l4));
    if (!s || !s->on_error) {
        u->stats.rx_icmp_unclaimed++;
        return;
    }
    s->on_error(s, err->dst, rd16(err->l4 + 2), err->err);
}

static struct udp *udp_attach(struct inet *inet)
{
    if (inet->udp)
        return inet->udp;
    struct udp *u = calloc(1, sizeof(*u));
    if (!u)
        return NULL;
    u->module.name = "udp";
    u->module.print_stats = udp_print_stats;
    u->module.stat = udp_module_stat;
    u->module.destroy = udp_destroy;
    inet->udp = u;
    inet->udp_input = udp_input;
    inet->udp_input6 = udp_input6;
    inet->udp_error = udp_error;
    inet_add_module(inet, &u->module);
    return u;
}

struct udp_sock *udp_bind(struct inet *inet, uint16_t port, udp_recv_fn on_recv, void *user,
                          int *err)
{
    struct udp *u = udp_attach(inet);
    struct udp_sock *s = NULL;
    int e = -ENOMEM;
    if (u && port && udp_lookup(u, port)) {
        u->stats.bind_in_use++;
        e = -EADDRINUSE;
    } else if (u && u->count < UDP_MAX_SOCKS && (s = calloc(1, sizeof(*s)))) {
        s->inet = inet;
        s->on_recv = on_recv;
        s->user = user;
        s->port = port ? port : udp_pick_ephemeral(u);
        unsigned b = udp_bucket(s->port);
        s->next = u->buckets[b];
        u->buckets[b] = s;
        u->count++;
        e = 0;
    } else if (u) {
        u->stats.bind_no_memory++;
    }
    if (err)
        *err = e;
    return s;
}

void udp_close(struct udp_sock *sock)
{
    if (!sock)
        return;
    struct udp *u = sock->inet->udp;
    struct udp_sock **pp = &u->buckets[udp_bucket(sock->port)];
    while (*pp && *pp != sock)
        pp = &(*pp)->next;
    if (*pp) {
        *pp = sock->next;
        u->count--;
    }
    free(sock);
}

/* The IPv6 source for a packet from (src) to (dst), for the pseudo header: (src), or the one ip6
 * selects when it is unspecified. 0 or -errno. */
static int udp_source6(struct inet *inet, struct unic_addr src, struct unic_addr dst,
                       struct unic_addr *out)
{
    if (unic_addr_is_ip4(src) && rd32(src.bytes + 12))
        return -EINVAL; /* an IPv4 source for an IPv6 destination */
    if (!unic_addr_is_unspecified(src)) {
        *out = src;
        return 0;
    }
    return ip6_select_src(inet, dst, out);
}

static int udp_output6(const struct udp_sock *sock, struct udp_hdr *h, struct unic_addr src,
                       struct unic_addr dst, struct netbuf *nb)
{
    struct inet *inet = sock->inet;
    struct udp_stats *st = &inet->udp->stats;
    size_t plen = nb->len;
    uint8_t *p;
    int err = udp_source6(inet, src, dst, &src);
    if (err < 0 || unic_addr_is_unspecified(dst)) {
        st->tx_bad_dest++;
        netbuf_free(nb);
        return err < 0 ? err : -EINVAL;
    }
    if (!(p = netbuf_push(nb, UDP_HDR_LEN))) {
        st->tx_no_headroom++;
        netbuf_free(nb);
        return -ENOBUFS;
    }
    udp_emit_sum(p, nb->len, h, csum_pseudo_ip6(src.bytes, dst.bytes, IP4_PROTO_UDP, 0), plen);
    st->tx++;
    int r = ip6_output(inet, nb,
                       &(struct ip6_out){.src = src,
                                         .dst = dst,
                                         .proto = IP4_PROTO_UDP,
                                         .hop_limit = sock->ttl,
                                         .traffic_class = sock->tos});
    if (r < 0)
        st->tx_errors++;
    return r;
}

/* The caller's source made one of ours (RFC 1122 4.1.3.6, MUST; 3.2.1.3): unspecified stays
 * (the stack's choice, 0.0.0.0 before IPv4 is configured), a broadcast or multicast one (the
 * meta->dst of a datagram that came to a group, which udp.h says to answer from) becomes
 * unspecified, so the reply goes from our unicast address. -EADDRNOTAVAIL for another host's.
 * A source of the other family is left to udp_output's own check (-EINVAL). */
static int udp_check_source(struct inet *inet, struct unic_addr *src, struct unic_addr dst)
{
    if (unic_addr_is_unspecified(*src) || unic_addr_is_ip4(*src) != unic_addr_is_ip4(dst))
        return 0;
    if (unic_addr_is_ip4(*src)) {
        uint32_t s4 = unic_addr_to_ip4(*src);
        if (ip4_is_broadcast(inet, s4) || ip4_is_multicast(s4))
            *src = unic_addr_ip4(0);
        else if (!inet->addr || s4 != inet->addr)
            return -EADDRNOTAVAIL;
        return 0;
    }
    if (ip6_addr_is_multicast(src->bytes))
        *src = unic_addr_ip4(0);
    else if (!ip6_is_local(inet, *src))
        return -EADDRNOTAVAIL;
    return 0;
}

/* Prepend the header to the payload at nb->data and hand it to IP. Takes ownership. */
static int udp_output(struct udp_sock *sock, struct unic_addr src_addr, struct unic_addr dst_addr,
                      uint16_t dport, struct netbuf *nb)
{
    struct inet *inet = sock->inet;
    struct udp_stats *st = &inet->udp->stats;
    struct udp_hdr h = {.sport = sock->port, .dport = dport};
    size_t plen = nb->len;
    bool v4 = unic_addr_is_ip4(dst_addr);
    int err = udp_check_source(inet, &src_addr, dst_addr);
    uint32_t s4 = rd32(src_addr.bytes + 12), d4 = rd32(dst_addr.bytes + 12); /* when v4 */
    uint8_t *p = NULL;
    if (err)
        st->tx_bad_source++;
    else if (plen > UDP_MAX_PAYLOAD)
        st->tx_too_big++, err = -EMSGSIZE;
    else if (dport == 0 || (v4 && d4 == 0))
        st->tx_bad_dest++, err = -EINVAL;
    else if (v4 && !unic_addr_is_ip4(src_addr))
        st->tx_bad_dest++, err = -EINVAL; /* an IPv6 source for an IPv4 destination */
    else if (!v4)
        return udp_output6(sock, &h, src_addr, dst_addr, nb); /* counts its own */
    else if (!(p = netbuf_push(nb, UDP_HDR_LEN)))
        st->tx_no_headroom++, err = -ENOBUFS;
    if (err) {
        netbuf_free(nb);
        return err;
    }
    /* The pseudo header has the address ip4 will put in (0: the interface's); ip4 gets the
     * caller's source, 0 staying "the interface's" (DHCP sends from 0). */
    udp_emit_sum(p, nb->len, &h, csum_pseudo_ip4(s4 ? s4 : inet->addr, d4, IP4_PROTO_UDP, 0), plen);
    st->tx++;
    int r = ip4_output(
        inet, nb,
        &(struct ip4_out){
            .src = s4, .dst = d4, .proto = IP4_PROTO_UDP, .ttl = sock->ttl, .tos = sock->tos});
    if (r < 0)
        st->tx_errors++;
    return r;
}

struct netbuf *udp_alloc(struct udp_sock *sock, size_t size)
{
    struct inet *inet = sock->inet;
    if (size > UDP_MAX_PAYLOAD) { /* no datagram could carry it: refused before any sum */
        inet->udp->stats.tx_too_big++;
        return NULL;
    }
    struct netbuf *nb = netbuf_alloc_size(inet->pool, size);
    if (!nb)
        inet->udp->stats.tx_no_buffer++;
    return nb;
}

int udp_send_buf(struct udp_sock *sock, struct unic_addr dst, uint16_t dport, struct netbuf *nb)
{
    return udp_output(sock, unic_addr_ip4(0), dst, dport, nb);
}

int udp_send_buf_from(struct udp_sock *sock, struct unic_addr src, struct unic_addr dst,
                      uint16_t dport, struct netbuf *nb)
{
    return udp_output(sock, src, dst, dport, nb);
}

int udp_sendto_from(struct udp_sock *sock, struct unic_addr src, struct unic_addr dst,
                    uint16_t dport, const void *data, size_t len)
{
    if (len > UDP_MAX_PAYLOAD) {
        sock->inet->udp->stats.tx_too_big++;
        return -EMSGSIZE;
    }
    struct netbuf *nb = udp_alloc(sock, len);
    if (!nb)
        return -ENOBUFS;
    if (len)
        memcpy(netbuf_put(nb, len), data, len);
    return udp_output(sock, src, dst, dport, nb);
}

int udp_sendto(struct udp_sock *sock, struct unic_addr dst, uint16_t dport, const void *data,
               size_t len)
{
    return udp_sendto_from(sock, unic_addr_ip4(0), dst, dport, data, len);
}

void udp_set_ttl(struct udp_sock *sock, uint8_t ttl)
{
    sock->ttl = ttl;
}

void udp_set_dscp(struct udp_sock *sock, uint8_t dscp)
{
    sock->tos = (uint8_t)((dscp & 0x3f) << 2);
}

void udp_set_on_error(struct udp_sock *sock, udp_error_fn on_error)
{
    sock->on_error = on_error;
}

void *udp_sock_user(const struct udp_sock *sock)
{
    return sock->user;
}

uint16_t udp_sock_port(const struct udp_sock *sock)
{
    return sock->port;
}

struct inet *udp_sock_inet(const struct udp_sock *sock)
{
    return sock->inet;
}

unsigned udp_sock_count(const struct inet *inet)
{
    return inet->udp ? inet->udp->count : 0;
}

int64_t udp_stat(const struct inet *inet, const char *name)
{
    struct udp_stats none = {0};
    const struct udp_stats *st = inet->udp ? &inet->udp->stats : &none;
    return stats_lookup(udp_stat_names, st, STATS_COUNT(udp_stat_names), name);
}
