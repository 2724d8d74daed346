/*
 * ARP (RFC 826). See include/unic/arp.h for the call order.
 *
 * Resolved entries expire lazily (checked on use), so an idle stack arms no timer for them;
 * the cache timer runs only while requests are outstanding.
 */
#include "unic/arp.h"

#include <errno.h>
#include <string.h>

#include "unic/eth.h"
#include "unic/inet_internal.h"
#include "unic/ip4.h"
#include "unic/log.h"
#include "unic/wire/arp.h"
#include "unic/wire/eth.h"
#include "unic/wire/ip4.h"

static void arp_timer_fire(struct timer *t);
static void arp_rearm(struct inet *inet);

void arp_init(struct inet *inet)
{
    memset(&inet->arp, 0, sizeof(inet->arp));
    timer_init(&inet->arp.timer, arp_timer_fire, inet);
}

static void arp_entry_drop_queue(struct arp_cache *c, struct arp_entry *e, bool count)
{
    struct netbuf *nb = e->queue_head;
    while (nb) {
        struct netbuf *next = nb->next;
        if (count)
            c->stats.queue_dropped++;
        netbuf_free(nb);
        nb = next;
    }
    c->queued_total -= e->queued;
    e->queue_head = e->queue_tail = NULL;
    e->queued = 0;
}

static void arp_entry_free(struct arp_cache *c, struct arp_entry *e)
{
    arp_entry_drop_queue(c, e, true);
    memset(e, 0, sizeof(*e));
}

void arp_destroy(struct inet *inet)
{
    struct arp_cache *c = &inet->arp;
    timer_cancel(inet->timers, &c->timer);
    for (int i = 0; i < ARP_CACHE_SIZE; i++)
        arp_entry_drop_queue(c, &c->entries[i], false);
}

static struct arp_entry *arp_find(struct arp_cache *c, uint32_t ip)
{
    for (int i = 0; i < ARP_CACHE_SIZE; i++)
        if (c->entries[i].state != ARP_FREE && c->entries[i].ip == ip)
            return &c->entries[i];
    return NULL;
}

/* A pending entry older than (b): more requests sent, or its next one due sooner. */
static bool arp_pending_older(const struct arp_entry *a, const struct arp_entry *b)
{
    return !b || a->tries > b->tries || (a->tries == b->tries && a->deadline < b->deadline);
}

/* A free entry, or the resolved one expiring first, or else the oldest pending one (its
 * queue dropped): a flood towards addresses nobody answers (a SYN flood from spoofed
 * neighbours) must not leave a real neighbour without an entry (lwIP recycles so too). */
static struct arp_entry *arp_alloc(struct arp_cache *c)
{
    struct arp_entry *victim = NULL, *pending = NULL;
    for (int i = 0; i < ARP_CACHE_SIZE; i++) {
        struct arp_entry *e = &c->entries[i];
        if (e->state == ARP_FREE)
            return e;
        if (e->state == ARP_RESOLVED && (!victim || e->deadline < victim->deadline))
            victim = e;
        if (e->state == ARP_PENDING && arp_pending_older(e, pending))
            pending = e;
    }
    if (victim)
        c->stats.evicted++;
    else if ((victim = pending))
        c->stats.evicted_pending++;
    if (victim)
        arp_entry_free(c, victim);
    return victim;
}

static int arp_send(struct inet *inet, uint16_t op, const uint8_t *eth_dst, const uint8_t *tha,
                    uint32_t spa, uint32_t tpa)
{
    struct netbuf *nb = netbuf_alloc(inet->pool);
    if (!nb) {
        inet->arp.stats.no_buffer++;
        return -ENOBUFS;
    }
    struct arp_pkt a = {.op = op, .spa = spa, .tpa = tpa};
    memcpy(a.sha, inet->mac, 6);
    memcpy(a.tha, tha, 6);
    arp_emit(netbuf_put(nb, ARP_PKT_LEN), ARP_PKT_LEN, &a);
    return eth_output(inet, nb, eth_dst, ETH_TYPE_ARP);
}

/* RFC 1122 2.3.2.1 (MUST): no flood of requests for one address, a second between them at
 * the most (the recommended rate). Evicting pending entries would otherwise resend as fast as
 * packets come. The ring holds the last ARP_SENT_WINDOW requests and no more go in a second,
 * so every address asked for in the last second is in it. 0: (ip) may be asked for now; else
 * the time from which it may. */
static uint64_t arp_request_due(const struct arp_cache *c, uint32_t ip, uint64_t now)
{
    uint64_t due = c->sent[c->sent_next].until; /* the ring's window is full until then */
    for (int i = 0; i < ARP_SENT_WINDOW; i++)
        if (c->sent[i].ip == ip && c->sent[i].until > due)
            due = c->sent[i].until;
    return due > now ? due : 0;
}

int arp_request(struct inet *inet, uint32_t ip, uint32_t spa)
{
    static const uint8_t zero[6];
    struct arp_cache *c = &inet->arp;
    c->sent[c->sent_next] = (struct arp_sent){.ip = ip, .until = inet_now(inet) + ARP_RETRY_NS};
    c->sent_next = (c->sent_next + 1) % ARP_SENT_WINDOW;
    c->stats.tx_requests++;
    return arp_send(inet, ARP_OP_REQUEST, eth_broadcast, zero, spa, ip);
}

/* An ARP announcement (RFC 5227 2.3): a request whose sender and target are our address. */
static void arp_send_announcement(struct inet *inet)
{
    static const uint8_t zero[6];
    arp_send(inet, ARP_OP_REQUEST, eth_broadcast, zero, inet->addr, inet->addr);
}

/* RFC 5227 2.3 (MUST): ANNOUNCE_NUM (2) announcements, ANNOUNCE_INTERVAL apart; the second
 * from the timer. */
void arp_announce(struct inet *inet)
{
    inet->arp.stats.tx_gratuitous++;
    arp_send_announcement(inet);
    inet->arp.announce_at = inet_now(inet) + ARP_ANNOUNCE_INTERVAL_NS;
    arp_rearm(inet);
}

static void arp_rearm(struct inet *inet)
{
    struct arp_cache *c = &inet->arp;
    uint64_t next = c->announce_at ? c->announce_at : TIMER_NEVER;
    for (int i = 0; i < ARP_CACHE_SIZE; i++)
        if (c->entries[i].state == ARP_PENDING && c->entries[i].deadline < next)
            next = c->entries[i].deadline;
    if (next == TIMER_NEVER)
        timer_cancel(inet->timers, &c->timer);
    else
        timer_arm(inet->timers, &c->timer, next);
}

static void arp_timer_fire(struct timer *t)
{
    struct inet *inet = t->arg;
    struct arp_cache *c = &inet->arp;
    uint64_t now = inet_now(inet);
    if (c->announce_at && c->announce_at <= now) {
        c->announce_at = 0;
        if (inet->addr) {
            c->stats.tx_gratuitous++;
            arp_send_announcement(inet);
        }
    }
    for (int i = 0; i < ARP_CACHE_SIZE; i++) {
        struct arp_entry *e = &c->entries[i];
        if (e->state != ARP_PENDING || e->deadline > now)
            continue;
        if (e->tries >= ARP_MAX_TRIES) {
            c->stats.unresolved++;
            arp_entry_free(c, e);
            continue;
        }
        uint64_t due = arp_request_due(c, e->ip, now);
        if (due) { /* held back by the flood limit: not a try */
            c->stats.tx_limited++;
            e->deadline = due;
            continue;
        }
        e->tries++;
        e->deadline = now + ARP_RETRY_NS;
        arp_request(inet, e->ip, inet->addr);
    }
    arp_rearm(inet);
}

/* Record (ip) at (mac) and send what waited for it. */
static void arp_learn(struct inet *inet, struct arp_entry *e, uint32_t ip, const uint8_t *mac)
{
    struct arp_cache *c = &inet->arp;
    bool was_pending = e->state == ARP_PENDING;
    e->ip = ip;
    memcpy(e->mac, mac, 6);
    e->state = ARP_RESOLVED;
    e->deadline = inet_now(inet) + ARP_ENTRY_TTL_NS;
    e->tries = 0;
    if (!was_pending)
        return;
    c->stats.resolved++;
    struct netbuf *nb = e->queue_head;
    c->queued_total -= e->queued;
    e->queue_head = e->queue_tail = NULL;
    e->queued = 0;
    while (nb) {
        struct netbuf *next = nb->next;
        nb->next = NULL;
        eth_output(inet, nb, e->mac, ETH_TYPE_IP4);
        nb = next;
    }
    arp_rearm(inet);
}

void arp_probe_start(struct inet *inet, uint32_t ip)
{
    inet->arp.probe_ip = ip;
    inet->arp.probe_conflict = false;
}

int arp_probe_send(struct inet *inet)
{
    static const uint8_t zero[6];
    if (!inet->arp.probe_ip)
        return -EINVAL;
    inet->arp.stats.tx_probes++;
    return arp_send(inet, ARP_OP_REQUEST, eth_broadcast, zero, 0, inet->arp.probe_ip);
}

bool arp_probe_conflict(const struct inet *inet)
{
    return inet->arp.probe_conflict;
}

void arp_probe_stop(struct inet *inet)
{
    inet->arp.probe_ip = 0;
    inet->arp.probe_conflict = false;
}

/* RFC 5227 2.1.1: a packet from another host whose sender is the probed address (a reply to
 * our probe, or any use of it), or another host's probe for the same address. */
static void arp_check_probe(struct inet *inet, const struct arp_pkt *a)
{
    struct arp_cache *c = &inet->arp;
    if (!c->probe_ip || !memcmp(a->sha, inet->mac, 6))
        return;
    bool in_use = a->spa == c->probe_ip;
    bool probed_too = a->op == ARP_OP_REQUEST && a->spa == 0 && a->tpa == c->probe_ip;
    if (!in_use && !probed_too)
        return;
    if (!c->probe_conflict) {
        char ip[16];
        log_info("arp: %s is in use (%s from %02x:%02x:%02x:%02x:%02x:%02x)",
                 ip4_ntoa(c->probe_ip, ip), in_use ? "claimed" : "probed", a->sha[0], a->sha[1],
                 a->sha[2], a->sha[3], a->sha[4], a->sha[5]);
        c->stats.probe_conflicts++;
    }
    c->probe_conflict = true;
}

/* RFC 5227 2.4: another host (sha) claims our address. Defend it with one announcement at
 * most once per DEFEND_INTERVAL, and keep it (see arp.h). */
static void arp_defend(struct inet *inet, const uint8_t sha[6])
{
    struct arp_cache *c = &inet->arp;
    uint64_t now = inet_now(inet);
    char ip[16];
    c->stats.conflicts++;
    if (c->defended_at && now - c->defended_at < ARP_DEFEND_INTERVAL_NS) {
        c->stats.defend_suppressed++;
        if (!c->suppress_logged)
            log_warn("arp: %s claimed again by %02x:%02x:%02x:%02x:%02x:%02x within %llu s: "
                     "not defended again yet, the address is kept",
                     ip4_ntoa(inet->addr, ip), sha[0], sha[1], sha[2], sha[3], sha[4], sha[5],
                     (unsigned long long)(ARP_DEFEND_INTERVAL_NS / NSEC_PER_SEC));
        c->suppress_logged = true;
        return;
    }
    log_warn("arp: %s claimed by %02x:%02x:%02x:%02x:%02x:%02x: defending it",
             ip4_ntoa(inet->addr, ip), sha[0], sha[1], sha[2], sha[3], sha[4], sha[5]);
    c->defended_at = now ? now : 1;
    c->suppress_logged = false;
    c->stats.tx_defends++;
    arp_send_announcement(inet);
}

void arp_input(struct inet *inet, struct netbuf *nb)
{
    struct arp_cache *c = &inet->arp;
    struct arp_pkt a;
    c->stats.rx++;
    if (arp_parse(nb->data, nb->len, &a) < 0 || eth_is_multicast(a.sha)) {
        c->stats.rx_malformed++;
        netbuf_free(nb);
        return;
    }
    netbuf_free(nb);
    arp_check_probe(inet, &a);
    /* A sender no host can be (a broadcast, a group, loopback, 0/8 but a probe's 0.0.0.0):
     * neither learnt nor answered (a reply to it would be a unicast to nobody). */
    if (a.spa && !ip4_is_host(inet, a.spa)) {
        c->stats.rx_bad_sender++;
        return;
    }
    bool for_us = inet->addr && a.tpa == inet->addr;
    struct arp_entry *e = a.spa ? arp_find(c, a.spa) : NULL;
    if (a.op == ARP_OP_REQUEST)
        c->stats.rx_requests++;
    else if (a.op == ARP_OP_REPLY)
        c->stats.rx_replies++;
    if (inet->addr && a.spa == inet->addr && memcmp(a.sha, inet->mac, 6)) {
        arp_defend(inet, a.sha);
        return; /* a conflicting claim teaches nothing: no cache entry, no reply */
    }
    if (e) {
        arp_learn(inet, e, a.spa, a.sha); /* RFC 826 merge: refresh what we know */
    } else if (for_us && a.spa) {
        e = arp_alloc(c);
        if (e)
            arp_learn(inet, e, a.spa, a.sha);
    }
    if (!for_us) {
        c->stats.rx_not_for_us++;
        return;
    }
    if (a.op == ARP_OP_REQUEST) {
        c->stats.tx_replies++;
        arp_send(inet, ARP_OP_REPLY, a.sha, a.sha, inet->addr, a.spa);
    }
}

bool arp_lookup(struct inet *inet, uint32_t ip, uint8_t mac[6])
{
    struct arp_entry *e = arp_find(&inet->arp, ip);
    if (!e || e->state != ARP_RESOLVED)
        return false;
    if (e->deadline <= inet_now(inet)) {
        inet->arp.stats.expired++;
        arp_entry_free(&inet->arp, e);
        return false;
    }
    memcpy(mac, e->mac, 6);
    return true;
}

/* Queue (nb) until (e) resolves. A burst to a new neighbour (a SYN-ACK to each of hundreds of
 * clients behind one new address) may outrun the queue: then the oldest queued packet makes
 * room, so the latest is always kept (RFC 1122 2.3.2.2, as Linux does) and every destination
 * keeps at least one even when all queues together are at their bound. A packet dropped so
 * was accepted earlier: its sender recovers it as a loss (TCP's timers). Counted: queue_full. */
static int arp_enqueue(struct inet *inet, struct arp_entry *e, struct netbuf *nb)
{
    struct arp_cache *c = &inet->arp;
    if (e->queued && (e->queued >= ARP_QUEUE_PER_ENTRY || c->queued_total >= ARP_QUEUE_TOTAL)) {
        struct netbuf *old = e->queue_head;
        e->queue_head = old->next;
        if (!e->queue_head)
            e->queue_tail = NULL;
        e->queued--;
        c->queued_total--;
        c->stats.queue_full++;
        netbuf_free(old);
    }
    nb->next = NULL;
    if (e->queue_tail)
        e->queue_tail->next = nb;
    else
        e->queue_head = nb;
    e->queue_tail = nb;
    e->queued++;
    c->queued_total++;
    return 0;
}

int arp_output(struct inet *inet, struct netbuf *nb, uint32_t next_hop)
{
    uint8_t mac[6];
    if (ip4_is_broadcast(inet, next_hop))
        return eth_output(inet, nb, eth_broadcast, ETH_TYPE_IP4);
    if (ip4_is_multicast(next_hop)) { /* RFC 1112 6.4: the group's MAC, 01:00:5e + 23 bits */
        const uint8_t group[6] = {0x01,
                                  0x00,
                                  0x5e,
                                  (uint8_t)((next_hop >> 16) & 0x7f),
                                  (uint8_t)(next_hop >> 8),
                                  (uint8_t)next_hop};
        return eth_output(inet, nb, group, ETH_TYPE_IP4);
    }
    if (arp_lookup(inet, next_hop, mac))
        return eth_output(inet, nb, mac, ETH_TYPE_IP4);
    struct arp_cache *c = &inet->arp;
    struct arp_entry *e = arp_find(c, next_hop);
    if (e)
        return arp_enqueue(inet, e, nb);
    e = arp_alloc(c);
    if (!e) {
        c->stats.queue_full++;
        netbuf_free(nb);
        return -ENOBUFS;
    }
    uint64_t now = inet_now(inet), due = arp_request_due(c, next_hop, now);
    e->ip = next_hop;
    e->state = ARP_PENDING;
    e->tries = due ? 0 : 1; /* held back: the timer asks at (due) */
    e->deadline = due ? due : now + ARP_RETRY_NS;
    int r = arp_enqueue(inet, e, nb);
    if (due)
        c->stats.tx_limited++;
    else
        arp_request(inet, next_hop, inet->addr);
    arp_rearm(inet);
    return r;
}
