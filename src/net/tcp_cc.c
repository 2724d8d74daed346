/*
 * Congestion control and loss recovery.
 *
 *  - Slow start and congestion avoidance: NewReno (RFC 5681) or CUBIC (RFC 9438, the default),
 *    chosen by tcp_params.cubic; both share slow start, the difference is the growth in
 *    congestion avoidance and the reduction on loss (1/2 vs 0.7).
 *  - Fast retransmit on DupThresh duplicate ACKs (or DupThresh segments SACKed above snd_una),
 *    then recovery: with SACK the pipe algorithm of RFC 6675 (tcp_output.c sends holes first),
 *    without it NewReno (RFC 6582: retransmit on each partial ACK, inflate cwnd per dup ACK).
 *  - Retransmission timeout: cwnd to one segment (RFC 5681 3.1).
 * Integer arithmetic only: the same code runs in the kernel build without floating point.
 */
#include "tcp_internal.h"

#define CUBIC_BETA_PCT 70              /* multiplicative decrease, 0.7 */
#define CUBIC_C_INV_X1E9 2500000000ull /* 1/C = 2.5, scaled for K in ms: (s^3 -> ms^3) */
#define CUBIC_MAX_DELTA_MS 60000

uint32_t tcp_flight(const struct tcp_conn *c)
{
    return c->snd_max - c->snd_una;
}

static uint32_t initial_window(const struct tcp_conn *c)
{
    uint32_t mss = c->mss;
    uint32_t w = 2 * mss > 14600 ? 2 * mss : 14600; /* RFC 6928 */
    return TCP_INIT_CWND_SEGS * mss < w ? TCP_INIT_CWND_SEGS * mss : w;
}

void tcp_cc_init(struct tcp_conn *c)
{
    c->cwnd = initial_window(c);
    c->ssthresh = UINT32_MAX / 2;
    c->recover = c->iss;
    c->cubic.epoch_start = 0;
    c->cubic.w_max = 0;
}

/* RFC 5681 4.1: after an RTO without sending, no ACK clock paces a burst of cwnd and what cwnd
 * learnt of the path may be stale: start again from RW = min(IW, cwnd). ssthresh keeps 3/4 of
 * the old cwnd (RFC 2861 3.1, as Linux) so slow start climbs back to near it in a few RTTs;
 * CUBIC starts a new epoch once it is there. Called with nothing in flight. */
void tcp_cc_after_idle(struct tcp_conn *c, uint64_t now)
{
    uint32_t iw = initial_window(c);
    if (c->cwnd <= iw || tcp_coarse_time(now) - c->last_data_tx <= tcp_coarse_time(c->rto_ns))
        return;
    uint32_t keep = c->cwnd / 4 * 3;
    if (c->ssthresh < keep)
        c->ssthresh = keep;
    c->cwnd = iw;
    c->cubic.epoch_start = 0;
    TCP_COUNT(c->tcp, cwnd_restarts);
}

static uint32_t icbrt(uint64_t x)
{
    uint32_t lo = 0, hi = 1u << 21;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1) / 2;
        if ((uint64_t)mid * mid * mid <= x)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static void cubic_start_epoch(struct tcp_conn *c, uint64_t now)
{
    struct cubic *k = &c->cubic;
    k->epoch_start = now ? now : 1;
    k->w_est = c->cwnd;
    k->ack_bytes = 0;
    if (k->w_max > c->cwnd)
        k->k_ms = icbrt((uint64_t)(k->w_max - c->cwnd) / c->mss * CUBIC_C_INV_X1E9);
    else {
        k->k_ms = 0;
        k->w_max = c->cwnd;
    }
}

/* W_cubic(t) = C (t - K)^3 + W_max, in bytes, for t in ms since the epoch. */
static uint64_t cubic_window(const struct tcp_conn *c, uint64_t t_ms)
{
    int64_t d = (int64_t)t_ms - (int64_t)c->cubic.k_ms;
    if (d > CUBIC_MAX_DELTA_MS)
        d = CUBIC_MAX_DELTA_MS;
    if (d < -CUBIC_MAX_DELTA_MS)
        d = -CUBIC_MAX_DELTA_MS;
    int64_t off = d * d * d * 4 * (int64_t)c->mss / 10000000000ll; /* C = 0.4 per s^3 */
    int64_t w = (int64_t)c->cubic.w_max + off;
    return w < (int64_t)(2 * c->mss) ? 2 * c->mss : (uint64_t)w;
}

static void cubic_avoid(struct tcp_conn *c, uint32_t acked)
{
    struct cubic *k = &c->cubic;
    uint64_t now = inet_now(c->inet);
    if (!k->epoch_start)
        cubic_start_epoch(c, now);
    uint64_t t_ms = (now - k->epoch_start + c->srtt_ns) / NSEC_PER_MSEC;
    uint64_t target = cubic_window(c, t_ms);
    /* Reno-friendly estimate: alpha = 3 (1 - beta) / (1 + beta) ~ 0.53 segments per RTT. */
    k->ack_bytes += acked;
    uint64_t step = (uint64_t)k->ack_bytes * c->mss * 53 / 100 / c->cwnd;
    if (step) {
        k->w_est += (uint32_t)step;
        k->ack_bytes = 0;
    }
    if (k->w_est > target)
        target = k->w_est;
    /* Sub-byte growth accumulates in bytes_acked until it amounts to something. */
    c->bytes_acked += acked;
    uint64_t inc;
    if (target > c->cwnd)
        inc = (target - c->cwnd) * c->bytes_acked / c->cwnd;
    else
        inc = (uint64_t)c->bytes_acked * c->mss / 100 / c->cwnd;
    if (inc) {
        c->cwnd += (uint32_t)inc;
        c->bytes_acked = 0;
    }
}

static void reno_avoid(struct tcp_conn *c, uint32_t acked)
{
    c->bytes_acked += acked;
    if (c->bytes_acked >= c->cwnd) {
        c->bytes_acked -= c->cwnd;
        c->cwnd += c->mss;
    }
}

void tcp_cc_on_ack(struct tcp_conn *c, uint32_t acked, uint32_t prior_flight)
{
    /* Grow only while the window is what limits us (RFC 7661 in spirit). */
    if (prior_flight + 2 * c->mss < c->cwnd)
        return;
    if (c->cwnd < c->ssthresh) {
        uint32_t inc = acked < 2u * c->mss ? acked : 2u * c->mss; /* RFC 3465, L = 2 */
        c->cwnd += inc;
        return;
    }
    if (c->tcp->params.cubic)
        cubic_avoid(c, acked);
    else
        reno_avoid(c, acked);
    if (c->cwnd > (1u << 30))
        c->cwnd = 1u << 30;
}

static uint32_t loss_ssthresh(struct tcp_conn *c)
{
    uint32_t floor = 2u * c->mss;
    uint32_t th;
    if (c->tcp->params.cubic) {
        struct cubic *k = &c->cubic;
        /* Fast convergence: give way to newer flows when the window shrank since last time. */
        if (c->cwnd < k->w_max)
            k->w_max = (uint32_t)((uint64_t)c->cwnd * (100 + CUBIC_BETA_PCT) / 200);
        else
            k->w_max = c->cwnd;
        k->epoch_start = 0;
        th = (uint32_t)((uint64_t)c->cwnd * CUBIC_BETA_PCT / 100);
    } else {
        th = tcp_flight(c) / 2;
    }
    return th > floor ? th : floor;
}

void tcp_cc_on_loss(struct tcp_conn *c)
{
    c->ssthresh = loss_ssthresh(c);
    c->cwnd = c->sack_ok ? c->ssthresh : c->ssthresh + TCP_DUPTHRESH * c->mss;
    c->bytes_acked = 0;
}

/* Before back_off(): c->backoff counts the timeouts of this same snd_una so far. */
void tcp_cc_on_rto(struct tcp_conn *c)
{
    if (c->in_recovery) {
        /* The reduction for this loss was already made: only shrink the window. */
        c->in_recovery = false;
    } else if (c->backoff == 0) {
        c->ssthresh = loss_ssthresh(c);
    } /* else the timer resent it already: ssthresh (and CUBIC's W_max) held, RFC 5681 (4) */
    c->cwnd = c->mss;
    c->bytes_acked = 0;
    c->dupacks = 0;
    c->recover = c->snd_max; /* RFC 6582 4.2: no fast retransmit for what was already sent */
    c->cubic.epoch_start = 0;
}

static void enter_recovery(struct tcp_conn *c)
{
    c->recover = c->snd_max;
    tcp_cc_on_loss(c);
    c->in_recovery = true;
    c->rtx_nxt = c->snd_una + c->mss;
    c->tlp_sent = false;
    tcp_retransmit_una(c);
    tcp_rearm_rtx(c);
}

static void recovery_partial_ack(struct tcp_conn *c, uint32_t acked)
{
    if (c->sack_ok) {
        /* No SACK information above snd_una: fall back to NewReno's retransmission. */
        if (!seq_gt(c->high_sack, c->snd_una) && !seq_gt(c->rtx_nxt, c->snd_una)) {
            tcp_retransmit_una(c);
            c->rtx_nxt = c->snd_una + c->mss;
        }
        return;
    }
    tcp_retransmit_una(c);
    c->cwnd = c->cwnd > acked ? c->cwnd - acked : c->mss; /* RFC 6582 3.2 step 5 */
    c->cwnd += c->mss;
}

/* Called for each acceptable ACK after snd_una and the scoreboard were updated. (acked): bytes
 * newly acknowledged; (dup): a duplicate ACK in the sense of RFC 5681 2. */
/* The retransmission of snd_una was lost too: data sent after it is being SACKed while snd_una
 * stays put (the idea of RACK, RFC 8985, reduced to the one segment that matters most). */
static void detect_lost_retransmit(struct tcp_conn *c)
{
    if (!c->sack_ok || c->snd_una != c->rtx_una || !seq_gt(c->high_sack, c->rtx_mark))
        return;
    TCP_COUNT(c->tcp, tx_lost_retransmits);
    c->rtx_nxt = c->snd_una; /* every hole is due again */
    c->rtx_una = c->snd_una - 1;
}

void tcp_recovery_ack(struct tcp_conn *c, uint32_t acked, bool dup, uint32_t prior_flight)
{
    if (acked)
        c->tlp_sent = false;
    if (c->in_recovery) {
        detect_lost_retransmit(c);
        if (seq_ge(c->snd_una, c->recover)) {
            c->in_recovery = false;
            c->dupacks = 0;
            /* RFC 6582 3.2 step 6, its second option: cwnd = ssthresh. (The first, the flight
             * plus one segment, collapses the window whenever the pipe ran low in recovery.) */
            c->cwnd = c->ssthresh;
        } else if (acked) {
            recovery_partial_ack(c, acked);
        } else if (dup && !c->sack_ok) {
            c->cwnd += c->mss;
        }
        return;
    }
    if (acked) {
        c->dupacks = 0;
        tcp_cc_on_ack(c, acked, prior_flight);
    } else if (dup) {
        c->dupacks++;
    }
    /* RFC 6675 IsLost(snd_una): DupThresh duplicate ACKs, or DupThresh segments SACKed above;
     * with fewer than four segments out and nothing new to send, one less than what is out
     * (early retransmit, RFC 5827). */
    uint32_t flight = tcp_flight(c), thresh = TCP_DUPTHRESH;
    uint32_t segs = (flight + c->mss - 1) / c->mss;
    uint32_t off = c->snd_nxt - c->snd_buf_seq;
    uint32_t unsent = off < c->snd.len ? c->snd.len - off : 0;
    if (segs < 4 && (unsent == 0 || c->cwnd < flight + c->mss))
        thresh = segs > 1 ? segs - 1 : 1;
    bool lost = c->dupacks >= thresh || (c->sack_ok && c->sacked_bytes >= thresh * c->mss);
    /* The tail loss probe got through but snd_una did not move: what is before it is lost
     * (what RACK, RFC 8985 7.4, concludes from the probe's ACK). */
    if (dup && c->tlp_sent)
        lost = true;
    if (lost && flight && seq_ge(c->snd_una, c->recover))
        enter_recovery(c);
}
