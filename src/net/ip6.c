/*
 * IPv6 (RFC 8200): input validation, the interface addresses, source selection (RFC 6724,
 * simplified), routing (on-link or a default router, RFC 4861 5.2) and output. Call order:
 * see src/include/unic/ip6_stack.h. Every header is validated before any state is touched;
 * each drop reason has its own counter.
 */
#include "unic/ip6_stack.h"

#include <errno.h>
#include <string.h>

#include "unic/inet_internal.h"
#include "unic/log.h"
#include "unic/wire/icmp6.h"
#include "unic/wire/ip6.h"
#include "unic/wire/wire.h"

static void ip6_addr_timer_fire(struct timer *t);

void ip6_init(struct inet *inet)
{
    struct ip6_stack *s = &inet->ip6;
    memset(s, 0, sizeof(*s));
    s->hop_limit = IP6_DEFAULT_HOP_LIMIT;
    s->link_mtu = inet->mtu < IP6_MIN_MTU ? IP6_MIN_MTU : inet->mtu;
    timer_init(&s->addr_timer, ip6_addr_timer_fire, inet);
    ip6_reass_init(inet);
    icmp6_init(inet);
    nd6_init(inet);
    mld_init(inet);
    slaac_init(inet);
}

void ip6_destroy(struct inet *inet)
{
    timer_cancel(inet->timers, &inet->ip6.addr_timer);
    slaac_destroy(inet);
    mld_destroy(inet);
    nd6_destroy(inet);
    ip6_reass_destroy(inet);
}

void ip6_start(struct inet *inet, bool slaac)
{
    struct ip6_stack *s = &inet->ip6;
    if (inet->mtu < IP6_MIN_MTU) {
        log_warn("ip6: link MTU %u is below IPv6's 1280 (RFC 8200 5): IPv6 stays off", inet->mtu);
        return;
    }
    s->enabled = true;
    s->slaac.enabled = slaac;
    struct unic_addr ll = {{0xfe, 0x80}};
    ip6_eui64(inet->mac, ll.bytes + 8);
    ip6_addr_add(inet, ll, 64, IP6_ORIGIN_LINK_LOCAL, TIMER_NEVER, TIMER_NEVER);
}

void ip6_disable(struct inet *inet)
{
    struct ip6_stack *s = &inet->ip6;
    for (int i = 0; i < IP6_MAX_ADDRS; i++)
        if (s->addrs[i].state != IP6_ADDR_FREE && s->addrs[i].state != IP6_ADDR_DUPLICATE)
            ip6_addr_remove(inet, s->addrs[i].addr);
    timer_cancel(inet->timers, &s->slaac.rs_timer);
    s->slaac.enabled = false;
    s->enabled = false;
}

/* ---- addresses ---- */

struct ip6_ifaddr *ip6_addr_find(struct inet *inet, struct unic_addr a)
{
    for (int i = 0; i < IP6_MAX_ADDRS; i++)
        if (inet->ip6.addrs[i].state != IP6_ADDR_FREE &&
            unic_addr_equal(inet->ip6.addrs[i].addr, a))
            return &inet->ip6.addrs[i];
    return NULL;
}

static bool ip6_addr_usable(const struct ip6_ifaddr *ia)
{
    return ia->state == IP6_ADDR_PREFERRED || ia->state == IP6_ADDR_DEPRECATED;
}

static uint64_t ip6_deadline(uint64_t now, uint64_t ns)
{
    return ns == TIMER_NEVER || ns > TIMER_NEVER - now ? TIMER_NEVER : now + ns;
}

int ip6_addr_add(struct inet *inet, struct unic_addr a, uint8_t prefix_len, uint8_t origin,
                 uint64_t valid_ns, uint64_t preferred_ns)
{
    if (unic_addr_is_ip4(a) || unic_addr_is_unspecified(a) || ip6_addr_is_multicast(a.bytes) ||
        prefix_len > 128)
        return -EINVAL;
    uint64_t now = inet_now(inet);
    struct ip6_ifaddr *ia = ip6_addr_find(inet, a);
    if (ia) {
        if (ia->state == IP6_ADDR_DUPLICATE)
            return -EEXIST;
        ia->valid_until = ip6_deadline(now, valid_ns);
        ia->preferred_until = ip6_deadline(now, preferred_ns);
        if (ia->state == IP6_ADDR_DEPRECATED && preferred_ns)
            ia->state = IP6_ADDR_PREFERRED;
        ip6_addr_timer_rearm(inet);
        return 0;
    }
    for (int i = 0; i < IP6_MAX_ADDRS && !ia; i++)
        if (inet->ip6.addrs[i].state == IP6_ADDR_FREE)
            ia = &inet->ip6.addrs[i];
    if (!ia)
        return -ENOSPC;
    memset(ia, 0, sizeof(*ia));
    ia->addr = a;
    ia->prefix_len = prefix_len;
    ia->origin = origin;
    ia->valid_until = ip6_deadline(now, valid_ns);
    ia->preferred_until = ip6_deadline(now, preferred_ns);
    ip6_dad_start(inet, ia);
    return 0;
}

void ip6_addr_remove(struct inet *inet, struct unic_addr a)
{
    struct ip6_ifaddr *ia = ip6_addr_find(inet, a);
    if (!ia)
        return;
    if (ia->state != IP6_ADDR_DUPLICATE) {
        uint8_t g[16];
        ip6_solicited_node(a.bytes, g);
        mld_leave(inet, g);
    }
    memset(ia, 0, sizeof(*ia));
    ip6_addr_timer_rearm(inet);
}

bool ip6_link_local(const struct inet *inet, struct unic_addr *out)
{
    for (int i = 0; i < IP6_MAX_ADDRS; i++) {
        const struct ip6_ifaddr *ia = &inet->ip6.addrs[i];
        if (ip6_addr_usable(ia) && ip6_addr_is_link_local(ia->addr.bytes)) {
            *out = ia->addr;
            return true;
        }
    }
    return false;
}

void ip6_addr_timer_rearm(struct inet *inet)
{
    uint64_t next = TIMER_NEVER;
    for (int i = 0; i < IP6_MAX_ADDRS; i++) {
        const struct ip6_ifaddr *ia = &inet->ip6.addrs[i];
        if (ia->state == IP6_ADDR_TENTATIVE && ia->dad_at < next)
            next = ia->dad_at;
        if (ia->state == IP6_ADDR_PREFERRED && ia->preferred_until < next)
            next = ia->preferred_until;
        if (ia->state != IP6_ADDR_FREE && ia->valid_until < next)
            next = ia->valid_until;
    }
    if (next == TIMER_NEVER)
        timer_cancel(inet->timers, &inet->ip6.addr_timer);
    else
        timer_arm(inet->timers, &inet->ip6.addr_timer, next);
}

static void ip6_addr_timer_fire(struct timer *t)
{
    struct inet *inet = t->arg;
    uint64_t now = inet_now(inet);
    char text[UNIC_ADDR_STRLEN];
    for (int i = 0; i < IP6_MAX_ADDRS; i++) {
        struct ip6_ifaddr *ia = &inet->ip6.addrs[i];
        if (ia->state == IP6_ADDR_FREE)
            continue;
        if (ia->valid_until <= now) {
            inet->ip6.stats.addr_expired++;
            log_info("ip6: %s expired", unic_addr_format(ia->addr, text));
            ip6_addr_remove(inet, ia->addr);
            continue;
        }
        if (ia->state == IP6_ADDR_TENTATIVE && ia->dad_at <= now)
            ip6_dad_step(inet, ia, now);
        if (ia->state == IP6_ADDR_PREFERRED && ia->preferred_until <= now)
            ia->state = IP6_ADDR_DEPRECATED;
    }
    ip6_addr_timer_rearm(inet);
}

/* ---- source selection, routing ---- */

static bool ip6_addr_is_loopback(const uint8_t a[16])
{
    static const uint8_t lo[16] = {[15] = 1};
    return memcmp(a, lo, 16) == 0;
}

/* Scope for RFC 6724 rule 2: link-local (and link-scoped multicast) 2, global 14. */
static int ip6_scope(const uint8_t a[16])
{
    if (ip6_addr_is_multicast(a))
        return a[1] & 0x0f;
    return ip6_addr_is_link_local(a) ? 2 : 14;
}

int ip6_select_src(const struct inet *inet, struct unic_addr dst, struct unic_addr *src)
{
    const struct ip6_ifaddr *best = NULL;
    int dscope = ip6_scope(dst.bytes);
    for (int i = 0; i < IP6_MAX_ADDRS; i++) {
        const struct ip6_ifaddr *ia = &inet->ip6.addrs[i];
        if (!ip6_addr_usable(ia))
            continue;
        if (unic_addr_equal(ia->addr, dst)) { /* rule 1: the same address */
            best = ia;
            break;
        }
        if (!best) {
            best = ia;
            continue;
        }
        int sa = ip6_scope(best->addr.bytes), sb = ip6_scope(ia->addr.bytes);
        if (sa != sb) { /* rule 2: the smallest scope that reaches dst, else the largest */
            if ((sb < sa && sb >= dscope) || (sa < dscope && sb > sa))
                best = ia;
            continue;
        }
        if (best->state != ia->state) { /* rule 3: avoid deprecated addresses */
            if (ia->state == IP6_ADDR_PREFERRED)
                best = ia;
            continue;
        }
        if (ip6_common_prefix(ia->addr.bytes, dst.bytes) > /* rule 8: longest matching prefix */
            ip6_common_prefix(best->addr.bytes, dst.bytes))
            best = ia;
    }
    if (!best)
        return -EADDRNOTAVAIL;
    *src = best->addr;
    return 0;
}

bool ip6_is_local(const struct inet *inet, struct unic_addr a)
{
    if (ip6_addr_is_multicast(a.bytes))
        return mld_is_member(inet, a.bytes);
    for (int i = 0; i < IP6_MAX_ADDRS; i++)
        if (ip6_addr_usable(&inet->ip6.addrs[i]) && unic_addr_equal(inet->ip6.addrs[i].addr, a))
            return true;
    return false;
}

/* Inside the prefix of a static address (--ip6 ADDR/N says N is on-link), or of an on-link
 * prefix from an RA. A SLAAC address does not make its prefix on-link (RFC 5942). */
static bool ip6_on_link(struct inet *inet, struct unic_addr dst)
{
    if (ip6_addr_is_link_local(dst.bytes) || ip6_addr_is_multicast(dst.bytes))
        return true;
    for (int i = 0; i < IP6_MAX_ADDRS; i++) {
        const struct ip6_ifaddr *ia = &inet->ip6.addrs[i];
        if (ia->state != IP6_ADDR_FREE && ia->origin == IP6_ORIGIN_STATIC &&
            ip6_prefix_match(ia->addr.bytes, dst.bytes, ia->prefix_len))
            return true;
    }
    return slaac_on_link(inet, dst);
}

int ip6_next_hop(struct inet *inet, struct unic_addr dst, struct unic_addr *hop)
{
    if (ip6_on_link(inet, dst)) {
        *hop = dst;
        return 0;
    }
    if (!unic_addr_is_unspecified(inet->ip6.gateway)) {
        *hop = inet->ip6.gateway;
        return 0;
    }
    return slaac_router(inet, hop) ? 0 : -EHOSTUNREACH;
}

/* ---- input ---- */

static int ip6_count_parse_error(struct ip6_stats *st, int err)
{
    if (err == WIRE_EVERSION)
        st->rx_bad_version++;
    else if (err == WIRE_EUNSUPPORTED)
        st->rx_jumbo++;
    else
        st->rx_truncated++;
    return err;
}

void ip6_input(struct inet *inet, struct netbuf *nb)
{
    struct ip6_stack *s = &inet->ip6;
    struct ip6_hdr h;
    s->stats.rx++;
    int err = ip6_parse(nb->data, nb->len, &h);
    if (err < 0 || !s->enabled) {
        if (err < 0)
            ip6_count_parse_error(&s->stats, err);
        else
            s->stats.rx_not_for_us++;
        netbuf_free(nb);
        return;
    }
    netbuf_trim(nb, IP6_HDR_LEN + (size_t)h.payload_len); /* drop Ethernet padding */
    /* RFC 4291 2.5.2/2.5.3, 2.7: never a multicast or loopback source, nor loopback dst. */
    if (ip6_addr_is_multicast(h.src) || ip6_addr_is_loopback(h.src) ||
        ip6_addr_is_loopback(h.dst)) {
        s->stats.rx_bad_source++;
        netbuf_free(nb);
        return;
    }
    if (!ip6_is_local(inet, unic_addr_ip6(h.dst))) {
        s->stats.rx_not_for_us++;
        netbuf_free(nb);
        return;
    }
    ip6_ext_input(inet, nb, &h);
}

void ip6_deliver(struct inet *inet, struct netbuf *nb, const struct ip6_hdr *h, uint8_t proto,
                 size_t hdr_len)
{
    struct ip6_stack *s = &inet->ip6;
    struct ip6_rx rx = {
        .src = unic_addr_ip6(h->src),
        .dst = unic_addr_ip6(h->dst),
        .hop_limit = h->hop_limit,
        .traffic_class = h->traffic_class,
        .hdr_len = (uint16_t)hdr_len,
        .dst_multicast = ip6_addr_is_multicast(h->dst),
    };
    ip6_proto_input_fn fn = proto == IP6_NH_UDP   ? inet->udp_input6
                            : proto == IP6_NH_TCP ? inet->tcp_input6
                                                  : NULL;
    if (proto != IP6_NH_ICMP6 && !fn) {
        s->stats.rx_no_proto++;
        icmp6_send_error(inet, ICMP6_DEST_UNREACH, ICMP6_UNREACH_PORT, 0, nb, false);
        netbuf_free(nb);
        return;
    }
    s->stats.rx_delivered++;
    netbuf_pull(nb, hdr_len);
    if (proto == IP6_NH_ICMP6)
        icmp6_input(inet, nb, &rx);
    else
        fn(inet, nb, &rx);
}

void ip6_print_stats(struct inet *inet, int all)
{
    static const char *const names[] = {IP6_STATS(STATS_NAME)};
    stats_print("ip6", names, &inet->ip6.stats, STATS_COUNT(names), all);
}
