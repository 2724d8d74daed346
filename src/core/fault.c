/* Fault injection around a NIC (see include/unic/fault.h). */
#include "unic/fault.h"

#include <string.h>

#include "unic/random.h"
#include "unic/wire/bytes.h"
#include "unic/wire/checksum.h"
#include "unic/wire/eth.h"

static const char *const fault_stat_names[] = {FAULT_STATS(STATS_NAME)};

static uint64_t fault_next(struct fault_injector *fi)
{
    uint64_t x = fi->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    fi->rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* True with probability (ppb) parts per billion: the top 32 bits of the generator scaled to
 * 0..FAULT_PPB_ONE-1 (integers only: the kvm image has no floating point). */
static bool fault_roll(struct fault_injector *fi, uint32_t ppb)
{
    if (ppb == 0)
        return false;
    return ((fault_next(fi) >> 32) * FAULT_PPB_ONE) >> 32 < ppb;
}

static void fault_release(struct timer *t)
{
    struct fault_path *path = t->arg;
    struct netbuf *held = path->held;
    path->held = NULL;
    if (held)
        path->deliver(path->ctx, held);
}

void fault_init(struct fault_injector *fi, const struct fault_config *cfg, struct netbuf_pool *pool,
                struct timer_queue *timers)
{
    memset(fi, 0, sizeof(*fi));
    fi->cfg = *cfg;
    fi->rng = cfg->seeded ? cfg->seed : random_u64();
    if (fi->rng == 0)
        fi->rng = 0x9e3779b97f4a7c15ull; /* xorshift must not start at 0 */
    fi->active =
        cfg->loss_ppb || cfg->duplicate_ppb || cfg->reorder_ppb || cfg->corrupt_ppb || cfg->ce_ppb;
    fi->pool = pool;
    fi->timers = timers;
    for (int d = 0; d < 2; d++) {
        fi->path[d].owner = fi;
        timer_init(&fi->path[d].release, fault_release, &fi->path[d]);
    }
}

void fault_set_output(struct fault_injector *fi, enum fault_direction dir, fault_deliver_fn fn,
                      void *ctx)
{
    fi->path[dir].deliver = fn;
    fi->path[dir].ctx = ctx;
}

static struct netbuf *fault_copy(struct fault_injector *fi, const struct netbuf *nb)
{
    struct netbuf *copy = netbuf_alloc_size(fi->pool, nb->len);
    if (!copy)
        return NULL;
    memcpy(netbuf_put(copy, nb->len), nb->data, nb->len);
    copy->nic = nb->nic;
    copy->csum_ok = nb->csum_ok;
    copy->l2_group = nb->l2_group;
    return copy;
}

/* Deliver (nb), then whatever was held back for reordering. */
static void fault_deliver(struct fault_path *path, struct netbuf *nb)
{
    struct netbuf *held = path->held;
    path->held = NULL;
    if (held)
        timer_cancel(path->owner->timers, &path->release);
    path->deliver(path->ctx, nb);
    if (held)
        path->deliver(path->ctx, held);
}

/* The IP header of an ECN-capable packet (ECT(0) or ECT(1), RFC 3168 5) in an untagged
 * Ethernet frame, and its version; NULL for anything else (Not-ECT, already CE, not IP). */
static uint8_t *fault_ect_header(struct netbuf *nb, int *version)
{
    uint8_t *ip = nb->data + ETH_HDR_LEN;
    if (nb->len >= ETH_HDR_LEN + 20 && rd16(nb->data + 12) == ETH_TYPE_IP4 && (ip[0] >> 4) == 4 &&
        (ip[0] & 15) >= 5 && nb->len >= ETH_HDR_LEN + (ip[0] & 15) * 4u) {
        *version = 4;
        return (ip[1] & 3) == 1 || (ip[1] & 3) == 2 ? ip : NULL;
    }
    if (nb->len >= ETH_HDR_LEN + 40 && rd16(nb->data + 12) == ETH_TYPE_IP6 && (ip[0] >> 4) == 6) {
        *version = 6;
        uint8_t ecn = (ip[1] >> 4) & 3; /* the low bits of the traffic class */
        return ecn == 1 || ecn == 2 ? ip : NULL;
    }
    return NULL;
}

/* What an AQM router does instead of dropping: ECT becomes CE. Not-ECT packets pass (a
 * router would drop those, which --loss is for). */
static bool fault_mark_ce(struct fault_injector *fi, struct netbuf *nb)
{
    int version = 0;
    uint8_t *ip = fi->cfg.ce_ppb ? fault_ect_header(nb, &version) : NULL;
    if (!ip || !fault_roll(fi, fi->cfg.ce_ppb))
        return false;
    if (version == 6) {
        ip[1] |= 0x30;
        return true;
    }
    ip[1] |= 3;
    wr16(ip + 10, 0);
    wr16(ip + 10, ip_checksum(ip, (size_t)(ip[0] & 15) * 4));
    return true;
}

void fault_process(struct fault_injector *fi, enum fault_direction dir, struct netbuf *nb)
{
    struct fault_path *path = &fi->path[dir];
    if (!fi->active) {
        path->stats.passed++;
        path->deliver(path->ctx, nb);
        return;
    }
    if (fault_roll(fi, fi->cfg.loss_ppb)) {
        path->stats.lost++;
        netbuf_free(nb);
        return;
    }
    if (nb->len && fault_roll(fi, fi->cfg.corrupt_ppb)) {
        size_t at = (size_t)(fault_next(fi) % nb->len);
        nb->data[at] ^= (uint8_t)(1u << (fault_next(fi) % 8));
        nb->csum_ok = false; /* the NIC vouched for the bytes before the flip */
        path->stats.corrupted++;
    }
    if (fault_mark_ce(fi, nb))
        path->stats.ce_marked++;
    if (fault_roll(fi, fi->cfg.duplicate_ppb)) {
        struct netbuf *dup = fault_copy(fi, nb);
        if (dup) {
            path->stats.duplicated++;
            fault_deliver(path, dup);
        } else {
            path->stats.no_buffer++;
        }
    }
    if (!path->held && fault_roll(fi, fi->cfg.reorder_ppb)) {
        path->stats.reordered++;
        path->held = nb;
        timer_arm_in(fi->timers, &path->release, FAULT_REORDER_HOLD_NS);
        return;
    }
    path->stats.passed++;
    fault_deliver(path, nb);
}

void fault_destroy(struct fault_injector *fi)
{
    for (int d = 0; d < 2; d++) {
        timer_cancel(fi->timers, &fi->path[d].release);
        netbuf_free(fi->path[d].held);
        fi->path[d].held = NULL;
    }
}

void fault_print_stats(const struct fault_injector *fi)
{
    if (!fi->active)
        return;
    stats_print("fault.tx", fault_stat_names, &fi->path[FAULT_TX].stats,
                STATS_COUNT(fault_stat_names), 0);
    stats_print("fault.rx", fault_stat_names, &fi->path[FAULT_RX].stats,
                STATS_COUNT(fault_stat_names), 0);
}
