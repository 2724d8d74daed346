/*
 * Router discovery and SLAAC (RFC 4861 6.3, RFC 4862 5.5, RFC 8106): see
 * src/include/unic/slaac.h. Addresses are the prefix and the modified EUI-64 interface
 * identifier (so only /64 prefixes form one, RFC 4862 5.5.3 (d) with RFC 4291 2.5.1).
 */
#include "unic/slaac.h"

#include <errno.h>
#include <string.h>

#include "unic/eth.h"
#include "unic/inet_internal.h"
#include "unic/ip6_stack.h"
#include "unic/log.h"
#include "unic/wire/eth.h"
#include "unic/wire/icmp6.h"
#include "unic/wire/ip6.h"
#include "unic/wire/wire.h"

#define SLAAC_INFINITY 0xffffffffu

static void slaac_rs_fire(struct timer *t);
static void slaac_expiry_fire(struct timer *t);

void slaac_init(struct inet *inet)
{
    struct slaac *s = &inet->ip6.slaac;
    memset(s, 0, sizeof(*s));
    timer_init(&s->rs_timer, slaac_rs_fire, inet);
    timer_init(&s->expiry_timer, slaac_expiry_fire, inet);
}

void slaac_destroy(struct inet *inet)
{
    timer_cancel(inet->timers, &inet->ip6.slaac.rs_timer);
    timer_cancel(inet->timers, &inet->ip6.slaac.expiry_timer);
}

/* Seconds of a lifetime field from now, as a deadline (0xffffffff: never). */
static uint64_t slaac_deadline(struct inet *inet, uint32_t s)
{
    return s == SLAAC_INFINITY ? TIMER_NEVER : inet_now(inet) + (uint64_t)s * NSEC_PER_SEC;
}

static void slaac_send_rs(struct inet *inet)
{
    struct netbuf *nb = netbuf_alloc(inet->pool);
    if (!nb)
        return;
    struct unic_addr src = {{0}}, dst = {{0xff, 0x02, [15] = 2}}; /* all routers */
    bool ll = ip6_link_local(inet, &src);
    uint8_t *p = netbuf_put(nb, ND_RS_LEN + (ll ? 8 : 0));
    memset(p, 0, ND_RS_LEN);
    if (ll) /* 6.3.7: no source link-layer option from :: */
        nd_opt_lladdr_emit(p + ND_RS_LEN, 8, ND_OPT_SOURCE_LLADDR, inet->mac);
    struct icmp6_hdr ih = {.type = ICMP6_ROUTER_SOLICIT};
    icmp6_emit(p, nb->len, &ih, nb->len - ICMP6_HDR_LEN, src.bytes, dst.bytes);
    struct ip6_out out = {.src = src, .dst = dst, .proto = IP6_NH_ICMP6, .hop_limit = 255};
    inet->ip6.slaac.stats.tx_rs++;
    ip6_output_from(inet, nb, &out);
}

void slaac_start(struct inet *inet)
{
    struct slaac *s = &inet->ip6.slaac;
    s->rs_sent = 1;
    slaac_send_rs(inet);
    timer_arm_in(inet->timers, &s->rs_timer, SLAAC_RS_INTERVAL_NS);
}

static void slaac_rs_fire(struct timer *t)
{
    struct inet *inet = t->arg;
    struct slaac *s = &inet->ip6.slaac;
    if (s->rs_sent >= SLAAC_MAX_RS)
        return;
    s->rs_sent++;
    slaac_send_rs(inet);
    if (s->rs_sent < SLAAC_MAX_RS)
        timer_arm_in(inet->timers, &s->rs_timer, SLAAC_RS_INTERVAL_NS);
}

static void slaac_rearm(struct inet *inet)
{
    struct slaac *s = &inet->ip6.slaac;
    uint64_t next = TIMER_NEVER;
    for (int i = 0; i < SLAAC_MAX_ROUTERS; i++)
        if (s->routers[i].expires && s->routers[i].expires < next)
            next = s->routers[i].expires;
    for (int i = 0; i < SLAAC_MAX_PREFIXES; i++)
        if (s->prefixes[i].expires && s->prefixes[i].expires < next)
            next = s->prefixes[i].expires;
    for (int i = 0; i < SLAAC_MAX_RDNSS; i++)
        if (s->rdnss[i].expires && s->rdnss[i].expires < next)
            next = s->rdnss[i].expires;
    if (next == TIMER_NEVER)
        timer_cancel(inet->timers, &s->expiry_timer);
    else
        timer_arm(inet->timers, &s->expiry_timer, next);
}

static void slaac_expiry_fire(struct timer *t)
{
    struct inet *inet = t->arg;
    struct slaac *s = &inet->ip6.slaac;
    uint64_t now = inet_now(inet);
    for (int i = 0; i < SLAAC_MAX_ROUTERS; i++)
        if (s->routers[i].expires && s->routers[i].expires <= now) {
            s->routers[i].expires = 0;
            s->stats.expired++;
        }
    for (int i = 0; i < SLAAC_MAX_PREFIXES; i++)
        if (s->prefixes[i].expires && s->prefixes[i].expires <= now) {
            s->prefixes[i].expires = 0;
            s->stats.expired++;
        }
    for (int i = 0; i < SLAAC_MAX_RDNSS; i++)
        if (s->rdnss[i].expires && s->rdnss[i].expires <= now) {
            s->rdnss[i].expires = 0;
            s->stats.expired++;
        }
    slaac_rearm(inet);
}

/* 6.3.4: the default router list (lifetime 0 removes). */
static void slaac_router_update(struct inet *inet, struct unic_addr src, uint16_t lifetime)
{
    struct slaac *s = &inet->ip6.slaac;
    struct slaac_router *r = NULL, *free_r = NULL;
    for (int i = 0; i < SLAAC_MAX_ROUTERS; i++) {
        if (s->routers[i].expires && unic_addr_equal(s->routers[i].addr, src))
            r = &s->routers[i];
        else if (!s->routers[i].expires && !free_r)
            free_r = &s->routers[i];
    }
    if (!lifetime) {
        if (r)
            r->expires = 0;
        return;
    }
    if (!r && !free_r) {
        s->stats.routers_full++;
        return;
    }
    if (!r) {
        r = free_r;
        r->addr = src;
        s->stats.routers++;
    }
    r->expires = slaac_deadline(inet, lifetime);
}

/* 6.3.4: the prefix list (on-link prefixes; valid lifetime 0 removes). */
static void slaac_prefix_update(struct inet *inet, const struct nd_prefix_opt *pi)
{
    struct slaac *s = &inet->ip6.slaac;
    struct slaac_prefix *p = NULL, *free_p = NULL;
    for (int i = 0; i < SLAAC_MAX_PREFIXES; i++) {
        struct slaac_prefix *e = &s->prefixes[i];
        if (e->expires && e->len == pi->prefix_len &&
            ip6_prefix_match(e->prefix, pi->prefix, pi->prefix_len))
            p = e;
        else if (!e->expires && !free_p)
            free_p = e;
    }
    if (!pi->valid) {
        if (p)
            p->expires = 0;
        return;
    }
    if (!p && !free_p) {
        s->stats.prefixes_full++;
        return;
    }
    if (!p) {
        p = free_p;
        memset(p->prefix, 0, 16);
        memcpy(p->prefix, pi->prefix, (pi->prefix_len + 7) / 8);
        p->len = pi->prefix_len;
        s->stats.prefixes++;
    }
    p->expires = slaac_deadline(inet, pi->valid);
}

/* RFC 4862 5.5.3: form an address from an autonomous prefix, or refresh its lifetimes. */
static void slaac_address(struct inet *inet, const struct nd_prefix_opt *pi)
{
    struct slaac *s = &inet->ip6.slaac;
    if (pi->prefix_len != 64 || pi->preferred > pi->valid || !pi->valid)
        return; /* (c) preferred > valid; (d) the EUI-64 identifier needs a /64 */
    struct unic_addr a;
    memcpy(a.bytes, pi->prefix, 8);
    ip6_eui64(inet->mac, a.bytes + 8);
    struct ip6_ifaddr *ia = ip6_addr_find(inet, a);
    uint64_t valid = pi->valid == SLAAC_INFINITY ? TIMER_NEVER : (uint64_t)pi->valid * NSEC_PER_SEC;
    uint64_t preferred =
        pi->preferred == SLAAC_INFINITY ? TIMER_NEVER : (uint64_t)pi->preferred * NSEC_PER_SEC;
    if (ia) {
        /* (e): a short valid lifetime may only cut a remaining one down to two hours. */
        uint64_t now = inet_now(inet), two_h = (uint64_t)SLAAC_TWO_HOURS_S * NSEC_PER_SEC;
        uint64_t remaining = ia->valid_until == TIMER_NEVER ? TIMER_NEVER : ia->valid_until - now;
        if (valid <= two_h && valid < remaining)
            valid = remaining <= two_h ? remaining : two_h;
    } else {
        s->stats.addresses++;
    }
    ip6_addr_add(inet, a, 64, IP6_ORIGIN_SLAAC, valid, preferred);
}

static void slaac_rdnss_update(struct inet *inet, const uint8_t addr[16], uint32_t lifetime)
{
    struct slaac *s = &inet->ip6.slaac;
    struct unic_addr a = unic_addr_ip6(addr);
    struct slaac_rdnss *e = NULL, *free_e = NULL;
    for (int i = 0; i < SLAAC_MAX_RDNSS; i++) {
        if (s->rdnss[i].expires && unic_addr_equal(s->rdnss[i].addr, a))
            e = &s->rdnss[i];
        else if (!s->rdnss[i].expires && !free_e)
            free_e = &s->rdnss[i];
    }
    if (!lifetime) { /* RFC 8106 5.1: lifetime 0 removes */
        if (e)
            e->expires = 0;
        return;
    }
    if (!e && !free_e)
        return; /* 5.3.1: keep the ones we have */
    if (!e) {
        char text[UNIC_ADDR_STRLEN];
        e = free_e;
        e->addr = a;
        s->stats.rdnss++;
        log_info("ip6: DNS server %s (RDNSS)", unic_addr_format(a, text));
    }
    e->expires = slaac_deadline(inet, lifetime);
}

void slaac_input_ra(struct inet *inet, const struct netbuf *nb, struct unic_addr src)
{
    struct slaac *s = &inet->ip6.slaac;
    struct nd_ra ra;
    struct nd_opts o;
    s->stats.rx_ra++;
    if (nd_ra_parse(nb->data, nb->len, &ra) < 0 ||
        nd_opts_parse(nb->data + ND_RA_LEN, nb->len - ND_RA_LEN, &o) < 0) {
        s->stats.rx_ra_bad++;
        return;
    }
    timer_cancel(inet->timers, &s->rs_timer); /* a router answered */
    if (ra.cur_hop_limit)
        inet->ip6.hop_limit = ra.cur_hop_limit;
    nd6_set_times(inet, ra.reachable_time, ra.retrans_timer);
    if (o.has_src_lladdr)
        nd6_learn(inet, src, o.src_lladdr, true);
    if (o.has_mtu && o.mtu >= IP6_MIN_MTU && o.mtu <= inet->mtu)
        inet->ip6.link_mtu = (uint16_t)o.mtu;
    slaac_router_update(inet, src, ra.router_lifetime);
    for (unsigned i = 0; i < o.prefix_count; i++) {
        const struct nd_prefix_opt *pi = &o.prefix[i];
        if (ip6_addr_is_link_local(pi->prefix) || ip6_addr_is_multicast(pi->prefix))
            continue; /* 6.3.4, RFC 4862 5.5.3 (b) */
        if (pi->flags & ND_PREFIX_FLAG_ONLINK)
            slaac_prefix_update(inet, pi);
        if ((pi->flags & ND_PREFIX_FLAG_AUTO) && s->enabled)
            slaac_address(inet, pi);
    }
    for (unsigned i = 0; i < o.rdnss_count; i++)
        slaac_rdnss_update(inet, o.rdnss[i], o.rdnss_lifetime[i]);
    slaac_rearm(inet);
}

/* RFC 4861 6.3.6: a router known to be (probably) reachable, i.e. with a neighbour entry past
 * INCOMPLETE, first; else the live ones in turn, so that an unreachable router is not the
 * only one ever tried. */
bool slaac_router(struct inet *inet, struct unic_addr *out)
{
    struct slaac *s = &inet->ip6.slaac;
    uint64_t now = inet_now(inet);
    int live[SLAAC_MAX_ROUTERS], n = 0;
    for (int i = 0; i < SLAAC_MAX_ROUTERS; i++) {
        if (s->routers[i].expires <= now)
            continue;
        const struct nd6_entry *e = nd6_lookup(inet, s->routers[i].addr);
        if (e && e->state != ND6_INCOMPLETE) {
            *out = s->routers[i].addr;
            return true;
        }
        live[n++] = i;
    }
    if (!n)
        return false;
    *out = s->routers[live[s->next_router++ % (unsigned)n]].addr;
    return true;
}

bool slaac_on_link(struct inet *inet, struct unic_addr a)
{
    uint64_t now = inet_now(inet);
    for (int i = 0; i < SLAAC_MAX_PREFIXES; i++) {
        const struct slaac_prefix *p = &inet->ip6.slaac.prefixes[i];
        if (p->expires > now && ip6_prefix_match(p->prefix, a.bytes, p->len))
            return true;
    }
    return false;
}

unsigned slaac_dns_servers(struct inet *inet, struct unic_addr *out, unsigned max)
{
    uint64_t now = inet_now(inet);
    unsigned n = 0;
    for (int i = 0; i < SLAAC_MAX_RDNSS && n < max; i++)
        if (inet->ip6.slaac.rdnss[i].expires > now)
            out[n++] = inet->ip6.slaac.rdnss[i].addr;
    return n;
}

void slaac_print_stats(struct inet *inet, int all)
{
    static const char *const names[] = {SLAAC_STATS(STATS_NAME)};
    stats_print("slaac", names, &inet->ip6.slaac.stats, STATS_COUNT(names), all);
}
