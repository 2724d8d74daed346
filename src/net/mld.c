/*
 * MLDv2 listener (RFC 3810): see src/include/unic/mld.h. Reports go to ff02::16 with hop
 * limit 1 and a hop-by-hop Router Alert option (5), from the link-local address, or from ::
 * while none is usable yet (5.2.13: during DAD of the link-local address itself).
 */
#include "unic/mld.h"

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

#define MLD_HBH_LEN 8

static const uint8_t mld_all_nodes[16] = {0xff, 0x02, [15] = 1};
static const uint8_t mld_routers[16] = {0xff, 0x02, [15] = 0x16}; /* all MLDv2 routers */

static void mld_change_fire(struct timer *t);
static void mld_query_fire(struct timer *t);

void mld_init(struct inet *inet)
{
    struct mld *m = &inet->ip6.mld;
    memset(m, 0, sizeof(*m));
    timer_init(&m->change_timer, mld_change_fire, inet);
    timer_init(&m->query_timer, mld_query_fire, inet);
}

void mld_destroy(struct inet *inet)
{
    timer_cancel(inet->timers, &inet->ip6.mld.change_timer);
    timer_cancel(inet->timers, &inet->ip6.mld.query_timer);
}

static struct mld_group *mld_find(struct mld *m, const uint8_t g[16])
{
    for (int i = 0; i < MLD_MAX_GROUPS; i++)
        if ((m->groups[i].refs || m->groups[i].leaving) && !memcmp(m->groups[i].addr, g, 16))
            return &m->groups[i];
    return NULL;
}

bool mld_is_member(const struct inet *inet, const uint8_t g[16])
{
    if (!memcmp(g, mld_all_nodes, 16))
        return true;
    const struct mld_group *grp = mld_find((struct mld *)&inet->ip6.mld, g);
    return grp && grp->refs;
}

/* One report of (n) records of (type) for (groups), sent now. */
static int mld_send(struct inet *inet, uint8_t type, const uint8_t (*groups)[16], unsigned n)
{
    struct mld *m = &inet->ip6.mld;
    if (!n)
        return 0;
    struct netbuf *nb = netbuf_alloc(inet->pool);
    if (!nb) {
        m->stats.no_buffer++;
        return -ENOBUFS;
    }
    struct ip6_out out = {.dst = unic_addr_ip6(mld_routers), .proto = IP6_NH_HOPOPTS};
    if (!ip6_link_local(inet, &out.src))
        memset(out.src.bytes, 0, 16);
    size_t body = (size_t)n * 20;
    uint8_t *p = netbuf_put(nb, MLD_HBH_LEN + ICMP6_HDR_LEN + body);
    /* Hop-by-hop: next header ICMPv6, Router Alert (value 0: MLD, RFC 2711), PadN 2. */
    static const uint8_t hbh[MLD_HBH_LEN] = {IP6_NH_ICMP6, 0, IP6_OPT_ROUTER_ALERT, 2, 0, 0, 1, 0};
    memcpy(p, hbh, sizeof(hbh));
    uint8_t *icmp = p + MLD_HBH_LEN;
    mld2_records_emit(icmp + ICMP6_HDR_LEN, body, type, groups, n);
    struct icmp6_hdr ih = {.type = ICMP6_MLD2_REPORT, .rest = n};
    icmp6_emit(icmp, ICMP6_HDR_LEN + body, &ih, body, out.src.bytes, out.dst.bytes);
    out.hop_limit = 1;
    m->stats.tx_reports++;
    return ip6_output_from(inet, nb, &out);
}

/* Report every group with a state change still to report (one report per record type). */
static void mld_send_changes(struct inet *inet)
{
    struct mld *m = &inet->ip6.mld;
    uint8_t joined[MLD_MAX_GROUPS][16], left[MLD_MAX_GROUPS][16];
    unsigned nj = 0, nl = 0;
    for (int i = 0; i < MLD_MAX_GROUPS; i++) {
        struct mld_group *g = &m->groups[i];
        if (!g->change_left)
            continue;
        memcpy(g->leaving ? left[nl++] : joined[nj++], g->addr, 16);
        if (--g->change_left == 0 && g->leaving)
            memset(g, 0, sizeof(*g));
    }
    mld_send(inet, MLD2_CHANGE_TO_EXCLUDE, (const uint8_t(*)[16])joined, nj);
    mld_send(inet, MLD2_CHANGE_TO_INCLUDE, (const uint8_t(*)[16])left, nl);
}

static void mld_change_rearm(struct inet *inet)
{
    struct mld *m = &inet->ip6.mld;
    for (int i = 0; i < MLD_MAX_GROUPS; i++)
        if (m->groups[i].change_left) {
            uint64_t delay = (uint64_t)random_uniform(1000) * (MLD_UNSOLICITED_NS / 1000);
            timer_arm_in(inet->timers, &m->change_timer, delay);
            return;
        }
}

static void mld_change_fire(struct timer *t)
{
    struct inet *inet = t->arg;
    mld_send_changes(inet);
    mld_change_rearm(inet);
}

/* A state change: report at once, then (robustness - 1) more times (RFC 3810 6.1). */
static void mld_changed(struct inet *inet, struct mld_group *g)
{
    g->change_left = MLD_ROBUSTNESS;
    mld_send_changes(inet);
    mld_change_rearm(inet);
}

int mld_join(struct inet *inet, const uint8_t g[16])
{
    struct mld *m = &inet->ip6.mld;
    struct mld_group *grp = mld_find(m, g);
    if (grp && grp->refs) {
        grp->refs++;
        return 0;
    }
    if (grp) { /* re-joined while its leave was being reported */
        grp->leaving = false;
    } else {
        for (int i = 0; i < MLD_MAX_GROUPS && !grp; i++)
            if (!m->groups[i].refs && !m->groups[i].leaving)
                grp = &m->groups[i];
        if (!grp) {
            m->stats.groups_full++;
            return -ENOSPC;
        }
        memcpy(grp->addr, g, 16);
    }
    grp->refs = 1;
    m->stats.joins++;
    mld_changed(inet, grp);
    return 0;
}

void mld_leave(struct inet *inet, const uint8_t g[16])
{
    struct mld_group *grp = mld_find(&inet->ip6.mld, g);
    if (!grp || !grp->refs || --grp->refs)
        return;
    inet->ip6.mld.stats.leaves++;
    grp->leaving = true;
    mld_changed(inet, grp);
}

/* Answer a general or group query with the current state of every group (6.2, simplified:
 * one report with all of them). */
static void mld_query_fire(struct timer *t)
{
    struct inet *inet = t->arg;
    struct mld *m = &inet->ip6.mld;
    uint8_t cur[MLD_MAX_GROUPS][16];
    unsigned n = 0;
    for (int i = 0; i < MLD_MAX_GROUPS; i++)
        if (m->groups[i].refs)
            memcpy(cur[n++], m->groups[i].addr, 16);
    mld_send(inet, MLD2_MODE_IS_EXCLUDE, (const uint8_t(*)[16])cur, n);
}

/* The Maximum Response Code in ms (RFC 3810 5.1.3: exponential above 32768). */
static uint32_t mld_max_resp_ms(uint16_t code)
{
    if (code < 32768)
        return code;
    uint32_t mant = code & 0x0fff, exp = (code >> 12) & 7;
    return (mant | 0x1000) << (exp + 3);
}

void mld_input_query(struct inet *inet, const struct netbuf *nb, struct unic_addr src)
{
    struct mld *m = &inet->ip6.mld;
    /* 5.1.14: from a link-local source; MLDv1 queries (24 bytes) are answered the same way. */
    if (nb->len < 24 || !ip6_addr_is_link_local(src.bytes)) {
        m->stats.rx_bad++;
        return;
    }
    m->stats.rx_queries++;
    uint32_t max_ms = mld_max_resp_ms(rd16(nb->data + 4));
    if (max_ms == 0)
        max_ms = 1;
    uint64_t delay = (uint64_t)random_uniform(max_ms) * NSEC_PER_MSEC;
    uint64_t at = inet_now(inet) + delay;
    if (!timer_armed(&m->query_timer) || m->query_timer.deadline > at)
        timer_arm(inet->timers, &m->query_timer, at);
}

void mld_print_stats(struct inet *inet, int all)
{
    static const char *const names[] = {MLD_STATS(STATS_NAME)};
    stats_print("mld", names, &inet->ip6.mld.stats, STATS_COUNT(names), all);
}
