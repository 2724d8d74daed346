/*
 * Neighbour discovery (RFC 4861): the neighbour cache and its NUD states (7.3), address
 * resolution (7.2) and NS/NA. See src/include/unic/nd6.h for the call order and bounds.
 */
#include "unic/nd6.h"

#include <errno.h>
#include <string.h>

#include "unic/eth.h"
#include "unic/inet_internal.h"
#include "unic/ip6_stack.h"
#include "unic/random.h"
#include "unic/wire/bytes.h"
#include "unic/wire/eth.h"
#include "unic/wire/icmp6.h"
#include "unic/wire/ip6.h"
#include "unic/wire/wire.h"

static void nd6_timer_fire(struct timer *t);

/* RFC 4861 6.3.2: ReachableTime uniformly in [0.5, 1.5) times the base. */
static void nd6_randomise_reachable(struct nd6 *nd)
{
    uint64_t base = nd->base_reachable_ns;
    nd->reachable_time_ns = base / 2 + (uint64_t)random_uniform(1000) * base / 1000;
}

void nd6_init(struct inet *inet)
{
    struct nd6 *nd = &inet->ip6.nd;
    memset(nd, 0, sizeof(*nd));
    nd->base_reachable_ns = ND6_REACHABLE_TIME_NS;
    nd->retrans_ns = ND6_RETRANS_TIMER_NS;
    nd6_randomise_reachable(nd);
    timer_init(&nd->timer, nd6_timer_fire, inet);
}

void nd6_set_times(struct inet *inet, uint32_t reachable_ms, uint32_t retrans_ms)
{
    struct nd6 *nd = &inet->ip6.nd;
    if (reachable_ms && reachable_ms <= 3600000 &&
        (uint64_t)reachable_ms * NSEC_PER_MSEC != nd->base_reachable_ns) {
        nd->base_reachable_ns = (uint64_t)reachable_ms * NSEC_PER_MSEC;
        nd6_randomise_reachable(nd);
    }
    if (retrans_ms && retrans_ms <= 60000)
        nd->retrans_ns = (uint64_t)retrans_ms * NSEC_PER_MSEC;
}

static void nd6_drop_queue(struct nd6 *nd, struct nd6_entry *e, bool count)
{
    struct netbuf *nb = e->queue_head;
    while (nb) {
        struct netbuf *next = nb->next;
        if (count)
            nd->stats.queue_dropped++;
        netbuf_free(nb);
        nb = next;
    }
    nd->queued_total -= e->queued;
    e->queue_head = e->queue_tail = NULL;
    e->queued = 0;
}

static void nd6_free(struct nd6 *nd, struct nd6_entry *e)
{
    nd6_drop_queue(nd, e, true);
    memset(e, 0, sizeof(*e));
}

void nd6_destroy(struct inet *inet)
{
    struct nd6 *nd = &inet->ip6.nd;
    timer_cancel(inet->timers, &nd->timer);
    for (int i = 0; i < ND6_CACHE_SIZE; i++)
        nd6_drop_queue(nd, &nd->entries[i], false);
}

static struct nd6_entry *nd6_find(struct nd6 *nd, struct unic_addr ip)
{
    for (int i = 0; i < ND6_CACHE_SIZE; i++)
        if (nd->entries[i].state != ND6_FREE && unic_addr_equal(nd->entries[i].ip, ip))
            return &nd->entries[i];
    return NULL;
}

const struct nd6_entry *nd6_lookup(const struct inet *inet, struct unic_addr ip)
{
    return nd6_find((struct nd6 *)&inet->ip6.nd, ip);
}

/* A free entry, or the least recently used resolved one, or else the oldest incomplete one
 * (its queue dropped): solicitations nobody answers (a flood from spoofed neighbours) must not
 * leave a real neighbour without an entry. */
static struct nd6_entry *nd6_alloc(struct nd6 *nd, struct unic_addr ip)
{
    struct nd6_entry *victim = NULL, *incomplete = NULL;
    for (int i = 0; i < ND6_CACHE_SIZE; i++) {
        struct nd6_entry *e = &nd->entries[i];
        if (e->state == ND6_FREE) {
            e->ip = ip;
            return e;
        }
        struct nd6_entry **best = e->state == ND6_INCOMPLETE ? &incomplete : &victim;
        if (!*best || e->used < (*best)->used)
            *best = e;
    }
    if (victim)
        nd->stats.evicted++;
    else if ((victim = incomplete))
        nd->stats.evicted_incomplete++;
    else
        return NULL;
    nd6_free(nd, victim);
    victim->ip = ip;
    return victim;
}

static void nd6_rearm(struct inet *inet)
{
    struct nd6 *nd = &inet->ip6.nd;
    uint64_t next = TIMER_NEVER;
    for (int i = 0; i < ND6_CACHE_SIZE; i++) {
        const struct nd6_entry *e = &nd->entries[i];
        bool timed = e->state == ND6_INCOMPLETE || e->state == ND6_DELAY || e->state == ND6_PROBE;
        if (timed && e->deadline < next)
            next = e->deadline;
    }
    if (next == TIMER_NEVER)
        timer_cancel(inet->timers, &nd->timer);
    else
        timer_arm(inet->timers, &nd->timer, next);
}

/* Prepend the IPv6 header (hop limit 255, RFC 4861) to the ICMPv6 message in (nb), checksum
 * it, and send it to (mac), or (dst)'s multicast MAC when (mac) is NULL. */
static int nd6_send(struct inet *inet, struct netbuf *nb, struct unic_addr src,
                    struct unic_addr dst, const struct icmp6_hdr *ih, const uint8_t *mac)
{
    icmp6_emit(nb->data, nb->len, ih, nb->len - ICMP6_HDR_LEN, src.bytes, dst.bytes);
    struct ip6_out out = {.src = src, .dst = dst, .proto = IP6_NH_ICMP6};
    size_t len = nb->len;
    ip6_emit_out(netbuf_push(nb, IP6_HDR_LEN), &out, 255, len, IP6_NH_ICMP6);
    uint8_t group_mac[6];
    if (!mac) {
        ip6_multicast_mac(dst.bytes, group_mac);
        mac = group_mac;
    }
    inet->ip6.stats.tx++;
    return eth_output(inet, nb, mac, ETH_TYPE_IP6);
}

/* NS to (dst) (multicast, or unicast at (mac) when probing). */
static int nd6_solicit(struct inet *inet, struct unic_addr src, struct unic_addr dst,
                       struct unic_addr target, const uint8_t *mac)
{
    struct nd6 *nd = &inet->ip6.nd;
    struct netbuf *nb = netbuf_alloc(inet->pool);
    if (!nb) {
        nd->stats.no_buffer++;
        return -ENOBUFS;
    }
    bool with_slla = !unic_addr_is_unspecified(src); /* never from :: (7.1.1) */
    uint8_t *p = netbuf_put(nb, ND_NS_LEN + (with_slla ? 8 : 0));
    memcpy(p + 8, target.bytes, 16);
    if (with_slla)
        nd_opt_lladdr_emit(p + ND_NS_LEN, 8, ND_OPT_SOURCE_LLADDR, inet->mac);
    struct icmp6_hdr ih = {.type = ICMP6_NEIGHBOR_SOLICIT};
    nd->stats.tx_ns++;
    return nd6_send(inet, nb, src, dst, &ih, mac);
}

int nd6_send_ns(struct inet *inet, struct unic_addr src, struct unic_addr dst,
                struct unic_addr target)
{
    return nd6_solicit(inet, src, dst, target, NULL);
}

/* Multicast NS for (e) from a source suited to it (7.2.2). */
static void nd6_resolve(struct inet *inet, struct nd6_entry *e, const struct netbuf *trigger)
{
    struct unic_addr src, group;
    bool have = false;
    if (trigger && trigger->len >= IP6_HDR_LEN) {
        src = unic_addr_ip6(trigger->data + 8);
        have = ip6_is_local(inet, src);
    }
    if (!have && ip6_select_src(inet, e->ip, &src) < 0)
        return;
    ip6_solicited_node(e->ip.bytes, group.bytes);
    nd6_solicit(inet, src, group, e->ip, NULL);
}

static void nd6_probe(struct inet *inet, struct nd6_entry *e)
{
    struct unic_addr src;
    if (ip6_select_src(inet, e->ip, &src) == 0)
        nd6_solicit(inet, src, e->ip, e->ip, e->mac);
}

/* Resolution failed (7.2.2): address unreachable for each queued packet, then forget it. */
static void nd6_unresolved(struct inet *inet, struct nd6_entry *e)
{
    struct nd6 *nd = &inet->ip6.nd;
    nd->stats.unresolved++;
    for (struct netbuf *nb = e->queue_head; nb; nb = nb->next)
        icmp6_send_error(inet, ICMP6_DEST_UNREACH, ICMP6_UNREACH_ADDR, 0, nb, false);
    nd6_free(nd, e);
}

static void nd6_timer_fire(struct timer *t)
{
    struct inet *inet = t->arg;
    struct nd6 *nd = &inet->ip6.nd;
    uint64_t now = inet_now(inet);
    for (int i = 0; i < ND6_CACHE_SIZE; i++) {
        struct nd6_entry *e = &nd->entries[i];
        if (e->deadline > now)
            continue;
        if (e->state == ND6_INCOMPLETE) {
            if (e->probes >= ND6_MAX_MULTICAST_SOLICIT) {
                nd6_unresolved(inet, e);
                continue;
            }
            e->probes++;
            e->deadline = now + nd->retrans_ns;
            nd6_resolve(inet, e, e->queue_head);
        } else if (e->state == ND6_DELAY || e->state == ND6_PROBE) {
            if (e->state == ND6_PROBE && e->probes >= ND6_MAX_UNICAST_SOLICIT) {
                nd->stats.unresolved++;
                nd6_free(nd, e);
                continue;
            }
            if (e->state == ND6_DELAY) {
                nd->stats.to_probe++;
                e->state = ND6_PROBE;
                e->probes = 0;
            }
            e->probes++;
            e->deadline = now + nd->retrans_ns;
            nd6_probe(inet, e);
        }
    }
    nd6_rearm(inet);
}

static int nd6_enqueue(struct nd6 *nd, struct nd6_entry *e, struct netbuf *nb)
{
    if (e->queued >= ND6_QUEUE_PER_ENTRY || nd->queued_total >= ND6_QUEUE_TOTAL) {
        nd->stats.queue_full++;
        netbuf_free(nb);
        return -ENOBUFS;
    }
    nb->next = NULL;
    if (e->queue_tail)
        e->queue_tail->next = nb;
    else
        e->queue_head = nb;
    e->queue_tail = nb;
    e->queued++;
    nd->queued_total++;
    return 0;
}

/* A cached entry used to send: REACHABLE past its time turns STALE; STALE starts the delay
 * before probing (7.3.3). */
static void nd6_use(struct inet *inet, struct nd6_entry *e)
{
    struct nd6 *nd = &inet->ip6.nd;
    uint64_t now = inet_now(inet);
    e->used = now;
    if (e->state == ND6_REACHABLE && e->deadline <= now) {
        nd->stats.to_stale++;
        e->state = ND6_STALE;
    }
    if (e->state == ND6_STALE) {
        nd->stats.to_delay++;
        e->state = ND6_DELAY;
        e->deadline = now + ND6_DELAY_FIRST_PROBE_NS;
        nd6_rearm(inet);
    }
}

int nd6_output(struct inet *inet, struct netbuf *nb, struct unic_addr next_hop)
{
    struct nd6 *nd = &inet->ip6.nd;
    uint8_t mac[6];
    if (ip6_addr_is_multicast(next_hop.bytes)) {
        ip6_multicast_mac(next_hop.bytes, mac);
        return eth_output(inet, nb, mac, ETH_TYPE_IP6);
    }
    struct nd6_entry *e = nd6_find(nd, next_hop);
    if (e && e->state != ND6_INCOMPLETE) {
        nd6_use(inet, e);
        return eth_output(inet, nb, e->mac, ETH_TYPE_IP6);
    }
    if (e)
        return nd6_enqueue(nd, e, nb);
    e = nd6_alloc(nd, next_hop);
    if (!e) {
        nd->stats.queue_full++;
        netbuf_free(nb);
        return -ENOBUFS;
    }
    e->state = ND6_INCOMPLETE;
    e->probes = 1;
    e->used = inet_now(inet);
    e->deadline = e->used + nd->retrans_ns;
    int r = nd6_enqueue(nd, e, nb);
    nd6_resolve(inet, e, e->queue_head);
    nd6_rearm(inet);
    return r;
}

/* Send what waited for (e)'s address. */
static void nd6_flush_queue(struct inet *inet, struct nd6_entry *e)
{
    struct nd6 *nd = &inet->ip6.nd;
    struct netbuf *nb = e->queue_head;
    nd->queued_total -= e->queued;
    e->queue_head = e->queue_tail = NULL;
    e->queued = 0;
    while (nb) {
        struct netbuf *next = nb->next;
        nb->next = NULL;
        eth_output(inet, nb, e->mac, ETH_TYPE_IP6);
        nb = next;
    }
}

void nd6_learn(struct inet *inet, struct unic_addr ip, const uint8_t mac[6], bool is_router)
{
    struct nd6 *nd = &inet->ip6.nd;
    if (eth_is_multicast(mac) || ip6_addr_is_multicast(ip.bytes))
        return;
    struct nd6_entry *e = nd6_find(nd, ip);
    if (!e) {
        e = nd6_alloc(nd, ip);
        if (!e)
            return;
        e->used = inet_now(inet);
    } else if (e->state != ND6_INCOMPLETE && !memcmp(e->mac, mac, 6)) {
        e->is_router |= is_router;
        return;
    }
    bool was_incomplete = e->state == ND6_INCOMPLETE;
    memcpy(e->mac, mac, 6);
    e->state = ND6_STALE;
    e->is_router |= is_router;
    if (was_incomplete) {
        nd->stats.resolved++;
        nd6_flush_queue(inet, e);
        nd6_use(inet, e);
    }
    nd6_rearm(inet);
}

void nd6_confirm(struct inet *inet, struct unic_addr ip)
{
    struct nd6 *nd = &inet->ip6.nd;
    struct nd6_entry *e = nd6_find(nd, ip);
    if (!e || e->state == ND6_INCOMPLETE)
        return;
    nd->stats.confirmed++;
    e->state = ND6_REACHABLE;
    e->deadline = inet_now(inet) + nd->reachable_time_ns;
    nd6_rearm(inet);
}

void ip6_confirm_reachable(struct inet *inet, struct unic_addr peer)
{
    struct unic_addr hop;
    if (ip6_next_hop(inet, peer, &hop) == 0) /* the router, for a peer off the link */
        nd6_confirm(inet, hop);
}

static int nd6_send_na(struct inet *inet, struct unic_addr target, struct unic_addr dst,
                       bool solicited)
{
    struct nd6 *nd = &inet->ip6.nd;
    struct netbuf *nb = netbuf_alloc(inet->pool);
    if (!nb) {
        nd->stats.no_buffer++;
        return -ENOBUFS;
    }
    uint8_t *p = netbuf_put(nb, ND_NS_LEN + 8);
    memcpy(p + 8, target.bytes, 16);
    nd_opt_lladdr_emit(p + ND_NS_LEN, 8, ND_OPT_TARGET_LLADDR, inet->mac);
    struct icmp6_hdr ih = {
        .type = ICMP6_NEIGHBOR_ADVERT,
        .rest = ND_NA_FLAG_OVERRIDE | (solicited ? ND_NA_FLAG_SOLICITED : 0),
    };
    nd->stats.tx_na++;
    if (ip6_addr_is_multicast(dst.bytes))
        return nd6_send(inet, nb, target, dst, &ih, NULL);
    /* Unicast: the header is the same, the MAC comes from the cache (or resolution). */
    icmp6_emit(nb->data, nb->len, &ih, nb->len - ICMP6_HDR_LEN, target.bytes, dst.bytes);
    struct ip6_out out = {.src = target, .dst = dst, .proto = IP6_NH_ICMP6};
    size_t len = nb->len;
    ip6_emit_out(netbuf_push(nb, IP6_HDR_LEN), &out, 255, len, IP6_NH_ICMP6);
    inet->ip6.stats.tx++;
    return nd6_output(inet, nb, dst);
}

/* Fixed part and options of an NS/NA at nb->data: false if malformed (7.1.1, 7.1.2). */
static bool nd6_parse(struct inet *inet, const struct netbuf *nb, struct unic_addr *target,
                      struct nd_opts *opts)
{
    if (nb->len < ND_NS_LEN || nd_opts_parse(nb->data + ND_NS_LEN, nb->len - ND_NS_LEN, opts) < 0) {
        inet->ip6.nd.stats.rx_bad++;
        return false;
    }
    *target = unic_addr_ip6(nb->data + 8);
    if (ip6_addr_is_multicast(target->bytes)) {
        inet->ip6.nd.stats.rx_bad++;
        return false;
    }
    return true;
}

void nd6_input_ns(struct inet *inet, const struct netbuf *nb, struct unic_addr src,
                  struct unic_addr dst)
{
    struct nd6 *nd = &inet->ip6.nd;
    struct unic_addr target;
    struct nd_opts o;
    nd->stats.rx_ns++;
    if (!nd6_parse(inet, nb, &target, &o))
        return;
    bool dad = unic_addr_is_unspecified(src);
    uint8_t sn[16];
    ip6_solicited_node(target.bytes, sn);
    if (dad && (memcmp(dst.bytes, sn, 16) != 0 || o.has_src_lladdr)) {
        nd->stats.rx_bad++; /* 7.1.1: from :: only to the solicited-node group, no SLLA */
        return;
    }
    struct ip6_ifaddr *ia = ip6_addr_find(inet, target);
    if (!ia || ia->state == IP6_ADDR_DUPLICATE)
        return; /* not ours */
    if (ia->state == IP6_ADDR_TENTATIVE) {
        if (dad) /* RFC 4862 5.4.3: another node probes for the same address */
            ip6_addr_conflict(inet, target, NULL);
        return;
    }
    if (dad) { /* 7.2.4: answer a DAD probe for our address to all nodes, unsolicited */
        struct unic_addr all = {{0xff, 0x02, [15] = 1}};
        nd6_send_na(inet, target, all, false);
        return;
    }
    if (o.has_src_lladdr)
        nd6_learn(inet, src, o.src_lladdr, false);
    nd6_send_na(inet, target, src, true);
}

/* 7.2.5: an advertisement for a neighbour we know. */
static void nd6_update(struct inet *inet, struct nd6_entry *e, uint32_t flags,
                       const struct nd_opts *o)
{
    struct nd6 *nd = &inet->ip6.nd;
    bool solicited = flags & ND_NA_FLAG_SOLICITED, override = flags & ND_NA_FLAG_OVERRIDE;
    if (e->state == ND6_INCOMPLETE) {
        if (!o->has_tgt_lladdr)
            return;
        memcpy(e->mac, o->tgt_lladdr, 6);
        e->state = solicited ? ND6_REACHABLE : ND6_STALE;
        e->deadline = inet_now(inet) + nd->reachable_time_ns;
        e->is_router = flags & ND_NA_FLAG_ROUTER;
        nd->stats.resolved++;
        nd6_flush_queue(inet, e);
        nd6_rearm(inet);
        return;
    }
    bool differs = o->has_tgt_lladdr && memcmp(e->mac, o->tgt_lladdr, 6) != 0;
    if (!override && differs) {
        if (e->state == ND6_REACHABLE) {
            nd->stats.to_stale++;
            e->state = ND6_STALE;
        }
        return;
    }
    if (differs)
        memcpy(e->mac, o->tgt_lladdr, 6);
    if (solicited) {
        nd->stats.confirmed++;
        e->state = ND6_REACHABLE;
        e->deadline = inet_now(inet) + nd->reachable_time_ns;
    } else if (differs) {
        e->state = ND6_STALE;
    }
    e->is_router = flags & ND_NA_FLAG_ROUTER;
    nd6_rearm(inet);
}

void nd6_input_na(struct inet *inet, const struct netbuf *nb, struct unic_addr src,
                  struct unic_addr dst)
{
    struct nd6 *nd = &inet->ip6.nd;
    struct unic_addr target;
    struct nd_opts o;
    (void)src;
    nd->stats.rx_na++;
    if (!nd6_parse(inet, nb, &target, &o))
        return;
    uint32_t flags = rd32(nb->data + 4);
    if (ip6_addr_is_multicast(dst.bytes) && (flags & ND_NA_FLAG_SOLICITED)) {
        nd->stats.rx_bad++;
        return;
    }
    if (ip6_addr_find(inet, target)) { /* RFC 4862 5.4.4: someone else has our address */
        if (!o.has_tgt_lladdr || memcmp(o.tgt_lladdr, inet->mac, 6) != 0)
            ip6_addr_conflict(inet, target, o.has_tgt_lladdr ? o.tgt_lladdr : NULL);
        return;
    }
    struct nd6_entry *e = nd6_find(nd, target);
    if (!e) {
        nd->stats.rx_na_unsolicited++; /* 7.2.5: no entry, nothing to learn */
        return;
    }
    nd6_update(inet, e, flags, &o);
}

void nd6_print_stats(struct inet *inet, int all)
{
    static const char *const names[] = {ND6_STATS(STATS_NAME)};
    stats_print("nd6", names, &inet->ip6.nd.stats, STATS_COUNT(names), all);
}
