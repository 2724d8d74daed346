/*
 * Explicit Congestion Notification for TCP (RFC 3168 6.1): a router with an AQM marks a packet
 * Congestion Experienced instead of dropping it, the receiver echoes the mark with ECE until
 * the sender says with CWR that it reduced its window, and the sender reduces once per window
 * of data as it would for a loss, without losing or resending anything.
 *
 *  - Negotiation: an ECN-setup SYN has ECE and CWR, the SYN-ACK that agrees ECE alone. We
 *    agree when tcp_params.ecn is not TCP_ECN_OFF; we ask in our SYNs with TCP_ECN_ON, on the
 *    first transmission only (a SYN sent again goes without, for a middlebox that drops ECN
 *    SYNs, as Linux falls back). SYN cookies keep no ECN state: their SYN-ACK does not agree.
 *  - Marks: ECT(0) on new data only; never on SYNs, pure ACKs, window probes, keepalives or
 *    retransmissions (6.1.1, 6.1.4-6.1.6).
 *  - Receiving CE: ECE on every ACK from then until a segment with CWR arrives (6.1.3); the
 *    first CE is acknowledged at once so the sender hears of it within a round trip.
 *  - Receiving ECE: the congestion response of a loss (ssthresh and cwnd as tcp_cc_on_loss
 *    computes them), at most once per window of data and not during loss recovery (6.1.2);
 *    CWR goes on the next new data segment.
 */
#include "tcp_internal.h"

#define IP_ECN_MASK 0x03
#define IP_ECN_ECT0 0x02
#define IP_ECN_CE 0x03

void tcp_ecn_syn_flags(struct tcp_conn *c, bool synack, uint8_t *flags)
{
    if (synack) {
        if (c->ecn_ok)
            *flags |= TCP_ECE;
        return;
    }
    /* Our SYN: asking is remembered in ecn_ok until the SYN-ACK answers. */
    c->ecn_ok = c->tcp->params.ecn == TCP_ECN_ON && c->snd_nxt == c->iss;
    if (c->ecn_ok)
        *flags |= TCP_ECE | TCP_CWR;
}

void tcp_ecn_syn_input(struct tcp_conn *c, const struct tcp_seg *seg)
{
    uint8_t f = seg->h.flags & (TCP_ECE | TCP_CWR);
    if (seg->h.flags & TCP_ACK) /* the SYN-ACK to our SYN */
        c->ecn_ok = c->ecn_ok && f == TCP_ECE;
    else /* a SYN: passive or simultaneous open */
        c->ecn_ok = c->tcp->params.ecn != TCP_ECN_OFF && f == (TCP_ECE | TCP_CWR);
    if (c->ecn_ok)
        TCP_COUNT(c->tcp, ecn_conns);
}

uint8_t tcp_ecn_tos(const struct tcp_conn *c, bool new_data)
{
    return (uint8_t)(c->tos | (c->ecn_ok && new_data ? IP_ECN_ECT0 : 0));
}

void tcp_ecn_input(struct tcp_conn *c, const struct tcp_seg *seg)
{
    if (!c->ecn_ok)
        return;
    if (seg->len && (seg->h.flags & TCP_CWR))
        c->ecn_ece = false; /* the sender reduced: stop echoing (a CE on it sets it again) */
    if ((seg->ecn & IP_ECN_MASK) == IP_ECN_CE) {
        TCP_COUNT(c->tcp, rx_ecn_ce);
        if (!c->ecn_ece)
            c->ack_now = true;
        c->ecn_ece = true;
    }
}

void tcp_ecn_ack_input(struct tcp_conn *c, const struct tcp_seg *seg)
{
    if (!c->ecn_ok)
        return;
    /* ECE on the ACKs of data sent before the reduction (up to ecn_recover, the peer echoing
     * until our CWR reaches it) is about the congestion already answered. */
    if (c->ecn_reduced && seq_gt(c->snd_una, c->ecn_recover))
        c->ecn_reduced = false;
    if (!(seg->h.flags & TCP_ECE) || c->ecn_reduced || c->in_recovery)
        return;
    tcp_cc_on_loss(c);
    if (!c->sack_ok)
        c->cwnd = c->ssthresh; /* no recovery follows to deflate a NewReno window */
    c->ecn_recover = c->snd_max;
    c->ecn_reduced = true;
    c->ecn_cwr = true;
    TCP_COUNT(c->tcp, ecn_reductions);
}
