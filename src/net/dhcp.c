/*
 * DHCP client (RFC 2131), used when no --ip is given.
 *
 * States (RFC 2131 figure 5, without INIT-REBOOT):
 *   INIT -> SELECTING (DISCOVER, retransmitted) -> REQUESTING (REQUEST, retransmitted)
 *        -> PROBING (ARP probes of the acknowledged address) -> BOUND (inet_set_addr)
 *        -> RENEWING at T1 (unicast REQUEST to the server)
 *        -> REBINDING at T2 (broadcast REQUEST) -> INIT when the lease ends.
 *   A NAK in REQUESTING/RENEWING/REBINDING, or REQUESTs without an answer, start over.
 *   Another host answering the probes (or probing for the same address) gets a DECLINE sent
 *   to the server, and discovery starts over after 10 s (RFC 2131 4.4.1).
 *
 * Call order: dhcp_start -> udp_bind(68) and the timer; udp_input -> dhcp_recv -> dhcp_on_offer
 * / dhcp_on_ack / dhcp_on_nak; the single timer (dhcp_timer_fire) does retransmissions, the
 * probes (arp_probe_send; arp_input notes conflicts, read by arp_probe_conflict) and the
 * T1/T2/expiry transitions, with its deadline always the earliest thing due.
 *
 * Retransmissions in SELECTING/REQUESTING back off 4, 8, 16, 32, 64, 64... s with +-1 s of
 * jitter (RFC 2131 4.1); in RENEWING/REBINDING they wait half the time left until T2 / the end
 * of the lease, at least 60 s (RFC 2131 4.4.5).
 *
 * Probing follows RFC 5227 2.1.1 with its times shortened, as RFC 2131 leaves them open: a
 * random wait of up to 100 ms, three probes 200 ms apart, then 400 ms for late answers: the
 * address is bound 0.8-0.9 s after the ACK (RFC 5227's own times take 6-9 s).
 */
#include "unic/dhcp.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "unic/arp.h"
#include "unic/inet_internal.h"
#include "unic/log.h"
#include "unic/random.h"
#include "unic/stats.h"
#include "unic/udp.h"
#include "unic/wire/dhcp.h"
#include "unic/wire/ip4.h"

#define DHCP_RETRY_FIRST_NS (4 * NSEC_PER_SEC)
#define DHCP_RETRY_MAX_NS (64 * NSEC_PER_SEC)
#define DHCP_JITTER_NS NSEC_PER_SEC
#define DHCP_START_JITTER_NS (200 * NSEC_PER_MSEC) /* spread the first DISCOVER of many hosts */
#define DHCP_REQUEST_TRIES 4                       /* unanswered REQUESTs before starting over */
#define DHCP_RENEW_MIN_RETRY_NS (60 * NSEC_PER_SEC)
#define DHCP_NAK_DELAY_NS NSEC_PER_SEC /* no tight DISCOVER/NAK loop with a confused server */
#define DHCP_DECLINE_DELAY_NS (10 * NSEC_PER_SEC)     /* RFC 2131 4.4.1 */
#define DHCP_MAX_CONFLICTS 10                         /* RFC 5227 MAX_CONFLICTS */
#define DHCP_RATE_LIMIT_NS (60 * NSEC_PER_SEC)        /* RFC 5227 RATE_LIMIT_INTERVAL */
#define DHCP_PROBE_WAIT_NS (100 * NSEC_PER_MSEC)      /* RFC 5227 PROBE_WAIT: 1 s */
#define DHCP_PROBE_NUM 3                              /* RFC 5227 PROBE_NUM */
#define DHCP_PROBE_INTERVAL_NS (200 * NSEC_PER_MSEC)  /* RFC 5227 PROBE_MIN/MAX: 1-2 s */
#define DHCP_PROBE_LAST_WAIT_NS (400 * NSEC_PER_MSEC) /* RFC 5227 ANNOUNCE_WAIT: 2 s */

enum dhcp_state {
    DHCP_INIT,
    DHCP_SELECTING,
    DHCP_REQUESTING,
    DHCP_PROBING,
    DHCP_BOUND,
    DHCP_RENEWING,
    DHCP_REBINDING,
};

/* One counter per drop reason. (clang-format does not settle on a layout for these.) */
/* clang-format off */
#define DHCP_STATS(X)                                                                              \
    X(tx_discover) X(tx_request) X(tx_renew) X(tx_rebind) X(tx_errors) X(rx) X(rx_malformed)       \
    X(rx_wrong_port) X(rx_not_reply) X(rx_wrong_xid) X(rx_wrong_chaddr) X(rx_wrong_server)         \
    X(rx_bad_offer) X(rx_bad_ack) X(rx_unexpected) X(rx_offer) X(rx_ack) X(rx_nak)                 \
    X(retransmits) X(leases) X(renewals) X(expired) X(restarts) X(tx_decline) X(probes)
/* clang-format on */
struct dhcp_stats {
    DHCP_STATS(STATS_FIELD)
};
static const char *const dhcp_stat_names[] = {DHCP_STATS(STATS_NAME)};

/* What an ACK gave us. */
struct dhcp_lease {
    uint32_t addr, router, dns, server_id;
    uint8_t prefix_len;
    uint32_t lease_s; /* DHCP_LEASE_INFINITE: never ends */
    uint64_t t1_at, t2_at, end_at;
};

struct dhcp_client {
    struct inet *inet;
    struct udp_sock *sock;
    struct timer timer;
    enum dhcp_state state;
    uint32_t xid;
    unsigned tries;         /* transmissions in this state */
    uint64_t retry_ns;      /* next backoff step in SELECTING/REQUESTING */
    uint64_t started_at;    /* start of this exchange: the `secs` field */
    uint16_t discover_secs; /* of the last DISCOVER: its REQUESTs repeat it (RFC 2131 3.1) */
    unsigned conflicts;     /* addresses declined since the last lease (RFC 5227 2.1.1) */
    uint64_t sent_at;       /* last REQUEST: the lease counts from there (RFC 2131 4.4.1) */
    uint32_t offered;       /* yiaddr of the OFFER we took */
    uint32_t server_id;     /* the server that made it */
    bool dns_configured;    /* --dns given: keep it */
    struct dhcp_lease lease;
    struct dhcp_lease acked; /* PROBING: what the ACK gave, bound once no one else has it */
    struct dhcp_stats stats;
    struct inet_module module;
};

static const char *dhcp_state_name(enum dhcp_state s)
{
    static const char *const names[] = {"INIT",  "SELECTING", "REQUESTING", "PROBING",
                                        "BOUND", "RENEWING",  "REBINDING"};
    return names[s];
}

static void dhcp_set_state(struct dhcp_client *c, enum dhcp_state s)
{
    log_debug("dhcp: %s -> %s", dhcp_state_name(c->state), dhcp_state_name(s));
    c->state = s;
    c->tries = 0;
    c->retry_ns = DHCP_RETRY_FIRST_NS;
}

/* ---- Sending ------------------------------------------------------------------------------ */

static void dhcp_fill_common(struct dhcp_client *c, struct dhcp_msg *m, uint8_t type)
{
    static const uint8_t params[] = {DHCP_OPT_SUBNET_MASK, DHCP_OPT_ROUTER, DHCP_OPT_DNS,
                                     DHCP_OPT_LEASE_TIME,  DHCP_OPT_T1,     DHCP_OPT_T2};
    uint64_t secs = (inet_now(c->inet) - c->started_at) / NSEC_PER_SEC;
    memset(m, 0, sizeof(*m));
    m->op = DHCP_OP_REQUEST;
    m->htype = DHCP_HTYPE_ETH;
    m->hlen = 6;
    m->xid = c->xid;
    m->secs = (uint16_t)(secs > 0xffff ? 0xffff : secs);
    memcpy(m->chaddr, c->inet->mac, 6);
    m->type = type;
    m->client_id_mac = 1;
    m->max_size = DHCP_MAX_LEN;
    memcpy(m->params, params, sizeof(params));
    m->param_count = sizeof(params);
}

/* Unicast (dst) with our address as source; broadcast from 0.0.0.0 unless we hold a lease. */
static void dhcp_send(struct dhcp_client *c, const struct dhcp_msg *m, uint32_t dst)
{
    uint8_t buf[DHCP_MAX_LEN];
    int n = dhcp_emit(buf, sizeof(buf), m);
    int r = n < 0 ? n
                  : udp_sendto_from(c->sock, unic_addr_ip4(0), unic_addr_ip4(dst), DHCP_SERVER_PORT,
                                    buf, (size_t)n);
    if (r < 0)
        c->stats.tx_errors++;
    c->tries++;
}

static void dhcp_send_discover(struct dhcp_client *c)
{
    struct dhcp_msg m;
    dhcp_fill_common(c, &m, DHCP_DISCOVER);
    m.requested_ip = c->lease.addr; /* a hint: the address we had, if any */
    c->discover_secs = m.secs;
    c->stats.tx_discover++;
    dhcp_send(c, &m, IP4_BROADCAST);
}

/* REQUEST in REQUESTING (server id + requested ip), RENEWING (unicast, ciaddr) or
 * REBINDING (broadcast, ciaddr): RFC 2131 table 5. */
static void dhcp_send_request(struct dhcp_client *c)
{
    struct dhcp_msg m;
    dhcp_fill_common(c, &m, DHCP_REQUEST);
    uint32_t dst = IP4_BROADCAST;
    if (c->state == DHCP_REQUESTING) {
        m.secs = c->discover_secs; /* RFC 2131 3.1 (3), MUST: the DISCOVER's value */
        m.requested_ip = c->offered;
        m.server_id = c->server_id;
        c->stats.tx_request++;
    } else if (c->state == DHCP_RENEWING) {
        m.ciaddr = c->lease.addr;
        dst = c->lease.server_id;
        c->stats.tx_renew++;
    } else {
        m.ciaddr = c->lease.addr;
        c->stats.tx_rebind++;
    }
    c->sent_at = inet_now(c->inet);
    dhcp_send(c, &m, dst);
}

/* RFC 2131 table 5: the declined address and the server, no ciaddr, no parameter list. */
static void dhcp_send_decline(struct dhcp_client *c)
{
    struct dhcp_msg m;
    dhcp_fill_common(c, &m, DHCP_DECLINE);
    m.requested_ip = c->acked.addr;
    m.server_id = c->acked.server_id;
    m.secs = 0; /* RFC 2131 table 5 */
    m.param_count = 0;
    m.max_size = 0;
    c->stats.tx_decline++;
    dhcp_send(c, &m, IP4_BROADCAST);
}

/* ---- Timer -------------------------------------------------------------------------------- */

/* The next backoff delay with +-1 s jitter; doubles the step up to 64 s. */
static uint64_t dhcp_backoff(struct dhcp_client *c)
{
    uint64_t d = c->retry_ns - DHCP_JITTER_NS + random_uniform(2 * DHCP_JITTER_NS + 1);
    c->retry_ns = c->retry_ns * 2 > DHCP_RETRY_MAX_NS ? DHCP_RETRY_MAX_NS : c->retry_ns * 2;
    return d;
}

/* RFC 2131 4.4.5: half the time left until (until), at least 60 s, never past (until). */
static uint64_t dhcp_renew_deadline(const struct dhcp_client *c, uint64_t until)
{
    uint64_t now = inet_now(c->inet);
    uint64_t wait = until > now ? (until - now) / 2 : 0;
    if (wait < DHCP_RENEW_MIN_RETRY_NS)
        wait = DHCP_RENEW_MIN_RETRY_NS;
    return now + wait < until ? now + wait : until;
}

static void dhcp_arm(struct dhcp_client *c, uint64_t deadline)
{
    timer_arm(c->inet->timers, &c->timer, deadline);
}

static void dhcp_discover(struct dhcp_client *c)
{
    c->xid = random_u32();
    c->started_at = inet_now(c->inet);
    dhcp_set_state(c, DHCP_SELECTING);
    dhcp_send_discover(c);
    timer_arm_in(c->inet->timers, &c->timer, dhcp_backoff(c));
}

/* Start over from INIT after (delay_ns), giving up any address we hold. */
static void dhcp_restart(struct dhcp_client *c, uint64_t delay_ns)
{
    if (c->inet->addr && c->inet->addr == c->lease.addr)
        inet_set_addr(c->inet, 0, 0, 0);
    c->stats.restarts++;
    dhcp_set_state(c, DHCP_INIT);
    timer_arm_in(c->inet->timers, &c->timer, delay_ns);
}

static void dhcp_retransmit(struct dhcp_client *c)
{
    c->stats.retransmits++;
    if (c->state == DHCP_SELECTING) {
        /* Without --ip nothing works until a server answers: say so at each retry (4, 8, 16,
         * ... 64 s apart), or a service with no DHCP server on its link looks hung. */
        log_info("dhcp: no offer after %llu s, still asking (no DHCP server on the link? give "
                 "--ip A.B.C.D/N)",
                 (unsigned long long)((inet_now(c->inet) - c->started_at) / NSEC_PER_SEC));
        dhcp_send_discover(c);
        timer_arm_in(c->inet->timers, &c->timer, dhcp_backoff(c));
    } else if (c->tries >= DHCP_REQUEST_TRIES) {
        log_info("dhcp: no answer to REQUEST, starting over");
        dhcp_restart(c, 0);
    } else {
        dhcp_send_request(c);
        timer_arm_in(c->inet->timers, &c->timer, dhcp_backoff(c));
    }
}

/* BOUND/RENEWING/REBINDING: move on at T1, T2 and the end of the lease; else retransmit. */
static void dhcp_lease_timer(struct dhcp_client *c, uint64_t now)
{
    const struct dhcp_lease *l = &c->lease;
    if (now >= l->end_at) {
        char a[16];
        log_info("dhcp: lease of %s expired", ip4_ntoa(l->addr, a));
        c->stats.expired++;
        dhcp_restart(c, 0);
        return;
    }
    if (c->state != DHCP_REBINDING && now >= l->t2_at) {
        c->xid = random_u32();
        c->started_at = now;
        dhcp_set_state(c, DHCP_REBINDING);
    } else if (c->state == DHCP_BOUND) {
        c->xid = random_u32();
        c->started_at = now;
        dhcp_set_state(c, DHCP_RENEWING);
    } else {
        c->stats.retransmits++;
    }
    dhcp_send_request(c);
    dhcp_arm(c, dhcp_renew_deadline(c, c->state == DHCP_RENEWING ? l->t2_at : l->end_at));
}

static void dhcp_probe_timer(struct dhcp_client *c);

static void dhcp_timer_fire(struct timer *t)
{
    struct dhcp_client *c = t->arg;
    switch (c->state) {
    case DHCP_INIT:
        dhcp_discover(c);
        break;
    case DHCP_SELECTING:
    case DHCP_REQUESTING:
        dhcp_retransmit(c);
        break;
    case DHCP_PROBING:
        dhcp_probe_timer(c);
        break;
    default:
        dhcp_lease_timer(c, inet_now(c->inet));
    }
}

/* ---- Receiving ---------------------------------------------------------------------------- */

/* An address a host may hold: not 0/8, loopback, multicast, class E or broadcast. */
static bool dhcp_usable_addr(uint32_t a)
{
    return (a >> 24) != 0 && (a >> 24) != 127 && (a >> 28) < 0xe;
}

static void dhcp_on_offer(struct dhcp_client *c, const struct dhcp_msg *m)
{
    c->stats.rx_offer++;
    if (c->state != DHCP_SELECTING) {
        c->stats.rx_unexpected++; /* a second server's offer: the first one won */
        return;
    }
    if (!dhcp_usable_addr(m->yiaddr) || !m->server_id) {
        c->stats.rx_bad_offer++;
        return;
    }
    c->offered = m->yiaddr;
    c->server_id = m->server_id;
    dhcp_set_state(c, DHCP_REQUESTING);
    dhcp_send_request(c);
    timer_arm_in(c->inet->timers, &c->timer, dhcp_backoff(c));
}

/* Default prefix for a lease without a subnet mask: the address's old class. */
static uint8_t dhcp_classful_prefix(uint32_t addr)
{
    if (addr >> 31 == 0)
        return 8;
    if (addr >> 30 == 2)
        return 16;
    return addr >> 29 == 6 ? 24 : 32;
}

/* Fill (l) from an ACK; T1 and T2 default to 1/2 and 7/8 of the lease (RFC 2131 4.4.5). */
static void dhcp_lease_from_ack(struct dhcp_client *c, const struct dhcp_msg *m,
                                struct dhcp_lease *l)
{
    int prefix = m->subnet_mask ? dhcp_mask_prefix(m->subnet_mask) : -1; /* 0 = mask 0 */
    l->addr = m->yiaddr;
    l->router = m->router;
    l->dns = m->dns_count ? m->dns[0] : 0;
    l->server_id = m->server_id ? m->server_id : c->server_id;
    l->prefix_len = prefix > 0 ? (uint8_t)prefix : dhcp_classful_prefix(m->yiaddr);
    l->lease_s = m->lease_time;
    if (m->lease_time == DHCP_LEASE_INFINITE) {
        l->t1_at = l->t2_at = l->end_at = TIMER_NEVER;
        return;
    }
    uint64_t lease_ns = (uint64_t)m->lease_time * NSEC_PER_SEC;
    uint64_t t1 = m->t1 ? (uint64_t)m->t1 * NSEC_PER_SEC : lease_ns / 2;
    uint64_t t2 = m->t2 ? (uint64_t)m->t2 * NSEC_PER_SEC : lease_ns / 8 * 7;
    if (t2 >= lease_ns || t1 >= t2) { /* inconsistent (RFC 2131 4.4.5, MUST): the defaults */
        t1 = lease_ns / 2;
        t2 = lease_ns / 8 * 7;
    }
    l->t1_at = c->sent_at + t1;
    l->t2_at = c->sent_at + t2;
    l->end_at = c->sent_at + lease_ns;
}

static void dhcp_log_bound(const struct dhcp_lease *l)
{
    char a[16], g[16], d[16];
    if (l->lease_s == DHCP_LEASE_INFINITE)
        log_info("dhcp: bound %s/%u gw %s dns %s lease infinite", ip4_ntoa(l->addr, a),
                 l->prefix_len, ip4_ntoa(l->router, g), ip4_ntoa(l->dns, d));
    else
        log_info("dhcp: bound %s/%u gw %s dns %s lease %us", ip4_ntoa(l->addr, a), l->prefix_len,
                 ip4_ntoa(l->router, g), ip4_ntoa(l->dns, d), (unsigned)l->lease_s);
}

/* Take the lease (lease): set the address if it changed, arm T1. */
static void dhcp_bind(struct dhcp_client *c, const struct dhcp_lease *lease)
{
    struct inet *inet = c->inet;
    struct dhcp_lease l = *lease;
    bool renewal = c->state == DHCP_RENEWING || c->state == DHCP_REBINDING;
    uint32_t mask = l.prefix_len ? ~0u << (32 - l.prefix_len) : 0;
    bool changed = inet->addr != l.addr || inet->netmask != mask || inet->gateway != l.router;
    c->lease = l;
    c->conflicts = 0;
    c->server_id = l.server_id; /* after rebinding, another server may hold our lease */
    if (!c->dns_configured && l.dns)
        inet->dns = l.dns;
    c->stats.leases++;
    if (renewal)
        c->stats.renewals++;
    dhcp_set_state(c, DHCP_BOUND);
    if (l.t1_at == TIMER_NEVER)
        timer_cancel(inet->timers, &c->timer);
    else
        dhcp_arm(c, l.t1_at);
    if (changed || !renewal)
        dhcp_log_bound(&l);
    else
        log_debug("dhcp: lease renewed, %us", (unsigned)l.lease_s);
    if (changed) /* last: on_up may call anything, dhcp included */
        inet_set_addr(inet, l.addr, l.prefix_len, l.router);
}

/* ---- Probing the acknowledged address (RFC 5227 2.1.1) ---------------------------------- */

static void dhcp_probe_start(struct dhcp_client *c, const struct dhcp_lease *l)
{
    c->acked = *l;
    dhcp_set_state(c, DHCP_PROBING);
    arp_probe_start(c->inet, l->addr);
    timer_arm_in(c->inet->timers, &c->timer, random_uniform(DHCP_PROBE_WAIT_NS + 1));
}

static void dhcp_decline(struct dhcp_client *c)
{
    char a[16];
    log_warn("dhcp: %s is in use by another host: DECLINE", ip4_ntoa(c->acked.addr, a));
    arp_probe_stop(c->inet);
    dhcp_send_decline(c);
    if (c->lease.addr == c->acked.addr)
        c->lease.addr = 0; /* not a hint for the next DISCOVER either */
    /* RFC 5227 2.1.1 (MUST): past MAX_CONFLICTS, one new address a RATE_LIMIT_INTERVAL. */
    c->conflicts++;
    dhcp_restart(c,
                 c->conflicts >= DHCP_MAX_CONFLICTS ? DHCP_RATE_LIMIT_NS : DHCP_DECLINE_DELAY_NS);
}

/* PROBING: decline on a conflict; else the next probe; after the last one and a wait for late
 * answers, bind. */
static void dhcp_probe_timer(struct dhcp_client *c)
{
    if (arp_probe_conflict(c->inet)) {
        dhcp_decline(c);
        return;
    }
    if (c->tries < DHCP_PROBE_NUM) {
        c->tries++;
        c->stats.probes++;
        if (arp_probe_send(c->inet) < 0)
            c->stats.tx_errors++;
        uint64_t wait =
            c->tries < DHCP_PROBE_NUM ? DHCP_PROBE_INTERVAL_NS : DHCP_PROBE_LAST_WAIT_NS;
        timer_arm_in(c->inet->timers, &c->timer, wait);
        return;
    }
    arp_probe_stop(c->inet);
    dhcp_bind(c, &c->acked);
}

static void dhcp_on_ack(struct dhcp_client *c, const struct dhcp_msg *m)
{
    c->stats.rx_ack++;
    if (c->state != DHCP_REQUESTING && c->state != DHCP_RENEWING && c->state != DHCP_REBINDING) {
        c->stats.rx_unexpected++;
        return;
    }
    bool addr_ok =
        dhcp_usable_addr(m->yiaddr) && (c->state != DHCP_REQUESTING || m->yiaddr == c->offered);
    if (!addr_ok || !m->lease_time) {
        c->stats.rx_bad_ack++;
        return;
    }
    struct dhcp_lease l;
    dhcp_lease_from_ack(c, m, &l);
    /* A new address (a renewal that moves us too, RFC 2131 4.4.1): is anyone else using it?
     * The old one serves meanwhile. */
    if (c->state == DHCP_REQUESTING || l.addr != c->lease.addr)
        dhcp_probe_start(c, &l);
    else
        dhcp_bind(c, &l);
}

static void dhcp_on_nak(struct dhcp_client *c)
{
    c->stats.rx_nak++;
    if (c->state != DHCP_REQUESTING && c->state != DHCP_RENEWING && c->state != DHCP_REBINDING) {
        c->stats.rx_unexpected++;
        return;
    }
    log_info("dhcp: NAK in %s, starting over", dhcp_state_name(c->state));
    dhcp_restart(c, DHCP_NAK_DELAY_NS);
}

/* Is (m) an answer to our current transaction? Counts the reason when not. */
static bool dhcp_is_ours(struct dhcp_client *c, const struct udp_meta *meta,
                         const struct dhcp_msg *m)
{
    if (meta->sport != DHCP_SERVER_PORT)
        c->stats.rx_wrong_port++;
    else if (m->op != DHCP_OP_REPLY)
        c->stats.rx_not_reply++;
    else if (m->xid != c->xid || c->state == DHCP_INIT || c->state == DHCP_BOUND)
        c->stats.rx_wrong_xid++;
    else if (m->htype != DHCP_HTYPE_ETH || m->hlen != 6 || memcmp(m->chaddr, c->inet->mac, 6))
        c->stats.rx_wrong_chaddr++;
    else if ((c->state == DHCP_REQUESTING || c->state == DHCP_RENEWING) && m->type != DHCP_OFFER &&
             m->server_id && m->server_id != c->server_id)
        c->stats.rx_wrong_server++; /* only the server we asked may answer (4.3.2) */
    else
        return true;
    return false;
}

static void dhcp_recv(struct udp_sock *sock, const struct udp_meta *meta, const uint8_t *data,
                      size_t len)
{
    struct dhcp_client *c = udp_sock_user(sock);
    struct dhcp_msg m;
    c->stats.rx++;
    if (dhcp_parse(data, len, &m) < 0) {
        c->stats.rx_malformed++;
        return;
    }
    if (!dhcp_is_ours(c, meta, &m))
        return;
    if (m.type == DHCP_OFFER)
        dhcp_on_offer(c, &m);
    else if (m.type == DHCP_ACK)
        dhcp_on_ack(c, &m);
    else if (m.type == DHCP_NAK)
        dhcp_on_nak(c);
    else
        c->stats.rx_unexpected++;
}

/* ---- Module ------------------------------------------------------------------------------- */

static void dhcp_print_stats(struct inet *inet, int all)
{
    struct dhcp_client *c = inet->dhcp;
    stats_print("dhcp", dhcp_stat_names, &c->stats, STATS_COUNT(dhcp_stat_names), all);
}

/* The inet_module.stat hook: dhcp_stat takes a const stack, the hook does not. */
static int64_t dhcp_module_stat(struct inet *inet, const char *name)
{
    return dhcp_stat(inet, name);
}

static void dhcp_destroy(struct inet *inet)
{
    struct dhcp_client *c = inet->dhcp;
    timer_cancel(inet->timers, &c->timer);
    if (c->state == DHCP_PROBING)
        arp_probe_stop(inet);
    if (inet->udp) /* else UDP was torn down first, and our socket with it */
        udp_close(c->sock);
    inet->dhcp = NULL;
    free(c);
}

int dhcp_start(struct inet *inet)
{
    if (inet->dhcp)
        return -EALREADY;
    struct dhcp_client *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    int err;
    c->sock = udp_bind(inet, DHCP_CLIENT_PORT, dhcp_recv, c, &err);
    if (!c->sock) {
        free(c);
        return err;
    }
    c->inet = inet;
    c->dns_configured = inet->dns != 0;
    c->module.name = "dhcp";
    c->module.print_stats = dhcp_print_stats;
    c->module.stat = dhcp_module_stat;
    c->module.destroy = dhcp_destroy;
    timer_init(&c->timer, dhcp_timer_fire, c);
    inet->dhcp = c;
    inet_add_module(inet, &c->module);
    dhcp_set_state(c, DHCP_INIT);
    timer_arm_in(inet->timers, &c->timer, random_uniform(DHCP_START_JITTER_NS));
    return 0;
}

int64_t dhcp_stat(const struct inet *inet, const char *name)
{
    struct dhcp_stats none = {0};
    const struct dhcp_stats *st = inet->dhcp ? &inet->dhcp->stats : &none;
    return stats_lookup(dhcp_stat_names, st, STATS_COUNT(dhcp_stat_names), name);
}
