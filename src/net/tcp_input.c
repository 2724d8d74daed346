/*
 * TCP input: RFC 9293 3.10.7 "SEGMENT ARRIVES", one step per function, in the RFC's order:
 *   tcp_listen_input   LISTEN: SYN -> SYN_RECEIVED (or a SYN cookie), cookie ACK -> ESTABLISHED
 *   syn_sent_input     SYN_SENT
 *   tcp_conn_input     every other state: PAWS, sequence check, RST (RFC 5961 3), SYN (RFC 5961
 *                      4), ACK (ack_input, RFC 5961 5), data (tcp_data_input), FIN (fin_input)
 * Every reason to drop a segment has its own counter (tcp.h TCP_STATS).
 */
#include <errno.h>

#include "tcp_internal.h"
#include "unic/ip6.h"

#define PAWS_IDLE_NS (24ull * 24 * 3600 * NSEC_PER_SEC) /* RFC 7323 5.5 */

uint16_t tcp_our_mss(const struct inet *inet, struct unic_addr raddr)
{
    uint32_t mss = tcp_path_payload(inet, raddr, TCP_HDR_LEN);
    uint32_t cap = NETBUF_POOL_BUF_SIZE - NETBUF_HEADROOM; /* one pool buffer per segment */
    return (uint16_t)(mss < cap ? mss : cap);
}

/* Agree on the options of the handshake from the peer's SYN (or SYN-ACK). */
static void take_syn_options(struct tcp_conn *c, const struct tcp_seg *seg)
{
    const struct tcp_params *p = &c->tcp->params;
    const struct tcp_opts *o = &seg->h.opts;
    c->ws_ok = p->window_scale && o->has_wscale;
    c->snd_wscale = c->ws_ok ? (o->wscale > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : o->wscale) : 0;
    if (!c->ws_ok)
        c->rcv_wscale = 0;
    c->sack_ok = p->sack && o->sack_ok;
    c->ts_ok = p->timestamps && o->has_ts;
    if (c->ts_ok) {
        c->ts_recent = o->ts_val;
        c->ts_recent_at = inet_now(c->inet);
    }
    c->rcv_mss = tcp_our_mss(c->inet, c->raddr);
    uint32_t mss = o->has_mss                   ? o->mss
                   : unic_addr_is_ip4(c->raddr) ? TCP_DEFAULT_MSS
                                                : TCP_DEFAULT_MSS6;
    if (mss > c->rcv_mss)
        mss = c->rcv_mss;
    if (mss < 88)
        mss = 88; /* a tiny MSS is a way to make us burn CPU: refuse to go below */
    if (c->ts_ok)
        mss -= 12; /* RFC 6691: the payload leaves room for the options we always send */
    c->mss = (uint16_t)(mss < 64 ? 64 : mss);
    c->irs = seg->h.seq;
    c->rcv_nxt = seg->h.seq + 1;
    c->rcv_adv = c->rcv_nxt;
    tcp_ecn_syn_input(c, seg);
}

/* Both sides synchronized: buffers, windows, congestion control. 0 or -ENOMEM. */
static int establish(struct tcp_conn *c, const struct tcp_seg *seg, bool syn)
{
    if (tcp_conn_alloc_buffers(c) < 0)
        return -ENOMEM;
    c->snd_una = seg->h.ack;
    c->snd_buf_seq = c->iss + 1;
    c->snd_wnd = (uint32_t)seg->h.window << (syn ? 0 : c->snd_wscale); /* SYNs: unscaled */
    c->max_snd_wnd = c->snd_wnd;
    c->snd_wl1 = seg->h.seq;
    c->snd_wl2 = seg->h.ack;
    /* Recovery's sequence numbers start at snd_una: left at zero, they read as ahead of or
     * behind everything sent depending on the ISN's half, and a fast retransmission before
     * any ACK moved snd_una sent the whole buffer past the peer's window (soak seed 7593). */
    c->rtx_nxt = c->rtx_mark = c->snd_una;
    c->rtx_una = c->snd_una - 1;
    tcp_sack_advance(c); /* high_sack = snd_una, the scoreboard empty */
    if (c->rtt_timing && c->backoff == 0)
        tcp_rtt_sample(c, inet_now(c->inet) - c->rtt_start);
    c->rtt_timing = false;
    c->rtx_tsval = tcp_ts_now(c); /* no retransmission yet: every echo from now on is fine */
    /* No sample: 1 s, or 3 s once our SYN (or SYN-ACK) timed out (RFC 6298 5.7, MUST). */
    if (c->srtt_ns == 0)
        c->rto_ns = c->backoff ? TCP_RTO_AFTER_SYN_TIMEOUT_NS : TCP_RTO_INITIAL_NS;
    c->backoff = 0;
    tcp_cc_init(c);
    timer_cancel(c->inet->timers, &c->rtx_timer);
    tcp_set_state(c, TCP_ESTABLISHED);
    tcp_arm_keepalive(c);
    return 0;
}

/* ------------------------------------------------------------------------------- LISTEN */

static void passive_open(struct tcp *tcp, struct tcp_listener *l, const struct tcp_seg *seg)
{
    struct tcp_conn *c = tcp_conn_alloc(tcp, seg->dst, seg->h.dport, seg->src, seg->h.sport);
    if (!c) {
        if (tcp->params.syn_cookies)
            tcp_syncookie_send(tcp, l, seg);
        return;
    }
    take_syn_options(c, seg);
    c->iss = tcp_isn(tcp, c->laddr, c->lport, c->raddr, c->rport);
    c->snd_una = c->snd_nxt = c->snd_max = c->iss;
    c->snd_buf_seq = c->iss + 1;
    c->snd_wnd = seg->h.window; /* unscaled in a SYN */
    c->listener = l;
    l->half_open++;
    c->state = TCP_SYN_RECEIVED;
    c->rtt_timing = true;
    c->rtt_start = inet_now(tcp->inet);
    tcp_send_syn(c);
}

void tcp_listen_input(struct tcp *tcp, struct tcp_listener *l, const struct tcp_seg *seg)
{
    uint8_t f = seg->h.flags;
    if (f & TCP_RST) {
        TCP_COUNT(tcp, rx_listen_bad);
        return;
    }
    if (f & TCP_ACK) {
        struct tcp_conn *c = NULL;
        if (!(f & TCP_SYN) && tcp->params.syn_cookies)
            c = tcp_syncookie_accept(tcp, l, seg);
        if (c) {
            tcp_conn_input(c, seg); /* any data riding on the ACK */
            return;
        }
        /* Data whose handshake ACK and first segment were both lost fails the cookie (its seq
         * is not ISN + 1): a RST would kill a connection the peer already has (Linux's does).
         * While our cookies may still come back, drop it; the peer's retransmission from ISN
         * + 1 passes the check. Pure ACKs and data when no cookie is live are reset. */
        if (seg->len && !(f & TCP_SYN) && tcp->params.syn_cookies && tcp_syncookie_live(tcp)) {
            TCP_COUNT(tcp, syn_cookies_data_dropped);
            return;
        }
        TCP_COUNT(tcp, rx_listen_bad);
        tcp_reply_rst(tcp, seg);
        return;
    }
    if (!(f & TCP_SYN) || (f & TCP_FIN)) {
        if (f & TCP_SYN)
            TCP_COUNT(tcp, rx_bad_flags);
        else
            TCP_COUNT(tcp, rx_listen_bad);
        return;
    }
    if (l->half_open >= tcp->params.syn_backlog) {
        if (tcp->params.syn_cookies)
            tcp_syncookie_send(tcp, l, seg);
        else
            TCP_COUNT(tcp, rx_backlog_full);
        return;
    }
    passive_open(tcp, l, seg);
}

/* Made by tcp_syncookie_accept(): an established connection from a verified cookie. */
struct tcp_conn *tcp_conn_from_cookie(struct tcp *tcp, struct tcp_listener *l,
                                      const struct tcp_seg *seg, uint32_t iss, uint16_t mss,
                                      const struct tcp_opts *syn_opts)
{
    struct tcp_conn *c = tcp_conn_alloc(tcp, seg->dst, seg->h.dport, seg->src, seg->h.sport);
    if (!c)
        return NULL;
    struct tcp_seg syn = *seg;
    syn.h.seq = seg->h.seq - 1;
    syn.h.opts = *syn_opts;
    syn.h.opts.has_mss = true;
    syn.h.opts.mss = mss;
    take_syn_options(c, &syn);
    if (c->ts_ok)
        c->ts_recent = seg->h.opts.ts_val;
    c->iss = c->snd_una = iss;
    c->snd_nxt = c->snd_max = iss + 1;
    /* The window the cookie's SYN-ACK offered (tcp_syncookie_send): promised like any other. */
    c->rcv_adv = c->rcv_nxt + tcp_cookie_wnd(tcp);
    c->snd_buf_seq = iss + 1;
    c->listener = l;
    l->half_open++; /* given back when it is accepted, like any handshake */
    c->cookie = true;
    c->state = TCP_SYN_RECEIVED;
    return c;
}

/* ----------------------------------------------------------------------------- SYN_SENT */

static void syn_sent_input(struct tcp_conn *c, const struct tcp_seg *seg)
{
    uint8_t f = seg->h.flags;
    if ((f & TCP_ACK) && (seq_le(seg->h.ack, c->iss) || seq_gt(seg->h.ack, c->snd_max))) {
        TCP_COUNT(c->tcp, rx_syn_sent_bad_ack);
        tcp_reply_rst(c->tcp, seg);
        return;
    }
    if (f & TCP_RST) {
        if (f & TCP_ACK) {
            TCP_COUNT(c->tcp, conn_refused);
            tcp_conn_closed(c, -ECONNREFUSED);
        } else {
            TCP_COUNT(c->tcp, rx_rst_dropped);
        }
        return;
    }
    if (!(f & TCP_SYN)) {
        TCP_COUNT(c->tcp, rx_bad_flags);
        return;
    }
    take_syn_options(c, seg);
    if (!(f & TCP_ACK)) { /* simultaneous open (RFC 9293 figure 8) */
        c->state = TCP_SYN_RECEIVED;
        tcp_send_syn(c);
        return;
    }
    if (establish(c, seg, true) < 0) {
        tcp_send_rst(c);
        tcp_conn_closed(c, -ENOMEM);
        return;
    }
    tcp_send_ack(c);
    tcp_notify_established(c);
}

/* ----------------------------------------------------------------- synchronized states */

static bool seq_acceptable(const struct tcp_conn *c, const struct tcp_seg *seg)
{
    uint32_t wnd = (c->rcv.size || c->state == TCP_SYN_RECEIVED) ? tcp_rcv_window(c) : 0;
    uint32_t len = seg_seqlen(seg), seq = seg->h.seq;
    if (seq == c->rcv_nxt)
        return true; /* includes zero-window probes: their ACK is still processed */
    if (wnd == 0)
        return false;
    bool head_in = seq_ge(seq, c->rcv_nxt) && seq_lt(seq, c->rcv_nxt + wnd);
    if (len == 0)
        return head_in;
    uint32_t last = seq + len - 1;
    return head_in || (seq_ge(last, c->rcv_nxt) && seq_lt(last, c->rcv_nxt + wnd));
}

/* RFC 7323 5.3: reject old duplicates by their timestamp. */
static bool paws_reject(const struct tcp_conn *c, const struct tcp_seg *seg)
{
    if (!c->ts_ok || !seg->h.opts.has_ts || (seg->h.flags & TCP_RST))
        return false;
    /* Only what could be taken as data: an old pure ACK is harmless (its ACK is old too), and
     * rejecting one that was merely reordered would lose its news (Linux's "disordered ACK"). */
    if (seg->len == 0 && !(seg->h.flags & (TCP_SYN | TCP_FIN)))
        return false;
    if (!seq_lt(seg->h.opts.ts_val, c->ts_recent))
        return false;
    return inet_now(c->inet) - c->ts_recent_at < PAWS_IDLE_NS;
}

/* RFC 5961 3.2: an exact RST resets, an in-window one earns a challenge ACK. */
static void rst_input(struct tcp_conn *c, const struct tcp_seg *seg)
{
    if (c->state == TCP_TIME_WAIT) { /* RFC 1337: no TIME_WAIT assassination */
        TCP_COUNT(c->tcp, rx_rst_dropped);
        return;
    }
    if (seg->h.seq != c->rcv_nxt) {
        TCP_COUNT(c->tcp, rx_rst_challenged);
        tcp_send_challenge_ack(c);
        return;
    }
    TCP_COUNT(c->tcp, rx_rst_accepted);
    if (c->state == TCP_SYN_RECEIVED && c->on_connected) {
        TCP_COUNT(c->tcp, conn_refused);
        tcp_conn_closed(c, -ECONNREFUSED);
    } else if (c->state == TCP_SYN_RECEIVED) {
        tcp_conn_closed(c, 0);
    } else {
        TCP_COUNT(c->tcp, conn_reset);
        tcp_conn_closed(c, -ECONNRESET);
    }
}

/* A half-open connection (with state) gets an ACK of another ISS that is a valid cookie: the
 * peer's first SYN was answered with a cookie (the backlog was full), its retry made this
 * connection once there was room, and the cookie SYN-ACK reached the peer first. The peer is
 * established on the cookie: that incarnation wins (as a SYN in TIME_WAIT does), where a reset
 * would kill a connection the peer already uses. true: the segment went to the listener. */
static bool cookie_supersedes(struct tcp_conn *c, const struct tcp_seg *seg)
{
    struct tcp *tcp = c->tcp;
    struct tcp_listener *l = c->listener;
    if (!l || c->cookie || !tcp->params.syn_cookies || !tcp_syncookie_valid(tcp, seg))
        return false;
    TCP_COUNT(tcp, syn_cookies_superseded);
    tcp_conn_closed(c, 0);
    tcp_listen_input(tcp, l, seg);
    return true;
}

static bool syn_received_ack(struct tcp_conn *c, const struct tcp_seg *seg, bool syn)
{
    if (!seq_gt(seg->h.ack, c->snd_una) || seq_gt(seg->h.ack, c->snd_max)) {
        if (cookie_supersedes(c, seg))
            return false;
        TCP_COUNT(c->tcp, rx_old_ack);
        tcp_reply_rst(c->tcp, seg);
        return false;
    }
    if (establish(c, seg, syn) < 0) {
        tcp_send_rst(c);
        tcp_conn_closed(c, -ENOMEM);
        return false;
    }
    if (c->cookie)
        TCP_COUNT(c->tcp, syn_cookies_ok);
    tcp_notify_established(c);
    return !c->stack_done;
}

static void update_window(struct tcp_conn *c, const struct tcp_seg *seg)
{
    const struct tcp_hdr *h = &seg->h;
    if (!(seq_lt(c->snd_wl1, h->seq) || (c->snd_wl1 == h->seq && seq_le(c->snd_wl2, h->ack))))
        return;
    uint32_t old = c->snd_wnd;
    c->snd_wnd = (uint32_t)h->window << c->snd_wscale;
    c->snd_wl1 = h->seq;
    c->snd_wl2 = h->ack;
    if (c->snd_wnd > c->max_snd_wnd)
        c->max_snd_wnd = c->snd_wnd;
    if (old == 0 && c->snd_wnd) {
        /* The window reopened: stop probing. The probes' backoff said nothing about the path,
         * so the RTO is the estimates' again (no sample: RTTVAR stays). Data in flight when
         * the window closed is resent now (persist_timeout moved snd_nxt back), under a
         * fresh timer; with none, the next send arms one. */
        c->probes = 0;
        c->backoff = 0;
        tcp_rto_reset(c);
        tcp_rearm_rtx(c);
    }
}

/* An RTT sample for an ACK of new data: the segment timed (never retransmitted: Karn), else
 * with timestamps the one whose TSval the peer echoes (RFC 7323 4.1: valid for retransmitted
 * data too, since the peer echoes the segment that moved its left edge). Without that second
 * source, a run of timeouts under loss left the backed-off RTO with no way back down. */
static void rtt_measure(struct tcp_conn *c, const struct tcp_seg *seg)
{
    uint32_t ack = seg->h.ack;
    if (c->rtt_timing && seq_gt(ack, c->rtt_seq)) {
        c->rtt_timing = false;
        tcp_rtt_sample(c, inet_now(c->inet) - c->rtt_start);
        return;
    }
    /* An echo older than our last retransmission may time the original, whose ACK was lost,
     * across the whole timeout: ambiguous, as without timestamps. */
    if (!c->ts_ok || !seg->h.opts.has_ts || !seg->h.opts.ts_ecr ||
        seq_lt(seg->h.opts.ts_ecr, c->rtx_tsval))
        return;
    uint32_t ms = tcp_ts_now(c) - seg->h.opts.ts_ecr;
    if (ms <= TCP_RTO_MAX_NS / NSEC_PER_MSEC)
        tcp_rtt_sample(c, (uint64_t)ms * NSEC_PER_MSEC);
}

/* Cumulative acknowledgement of (ack) > snd_una. Returns the bytes of sequence space acked. */
static uint32_t take_ack(struct tcp_conn *c, const struct tcp_seg *seg)
{
    uint32_t ack = seg->h.ack;
    uint32_t data = ack - c->snd_buf_seq;
    if (seq_lt(ack, c->snd_buf_seq))
        data = 0;
    if (data > c->snd.len)
        data = c->snd.len;
    tcp_ring_consume(&c->snd, data);
    c->snd_buf_seq += data;
    if (c->fin_sent && seq_gt(ack, c->fin_seq))
        c->fin_acked = true;
    uint32_t acked = ack - c->snd_una;
    c->snd_una = ack;
    if (seq_lt(c->snd_nxt, ack))
        c->snd_nxt = ack;
    rtt_measure(c, seg);
    /* Progress: a later timeout is for another segment (the count towards ETIMEDOUT and RFC
     * 5681's held ssthresh). The backed-off RTO itself stays until a valid sample (Karn,
     * RFC 6298 5.5): the ACK of a retransmission is none. */
    c->backoff = 0;
    c->probes = 0;
    if (!unic_addr_is_ip4(c->raddr)) /* forward progress: no NUD probe needed (RFC 4861 7.3.1) */
        ip6_confirm_reachable(c->inet, c->raddr);
    if (c->snd_urgent && !seq_lt(c->snd_una, c->snd_up))
        c->snd_urgent = false; /* all urgent data acknowledged: urgent mode ends */
    tcp_sack_advance(c);
    tcp_rearm_rtx(c);
    return acked;
}

/* What our FIN being acknowledged does to the state. false: the connection is gone. */
static bool fin_acked_transition(struct tcp_conn *c)
{
    if (!c->fin_acked)
        return true;
    if (c->state == TCP_FIN_WAIT_1) {
        tcp_set_state(c, TCP_FIN_WAIT_2);
        tcp_arm_fin_wait_2(c);
    } else if (c->state == TCP_CLOSING) {
        tcp_set_state(c, TCP_TIME_WAIT);
    } else if (c->state == TCP_LAST_ACK) {
        TCP_COUNT(c->tcp, conn_closed);
        tcp_conn_closed(c, 0);
        return false;
    }
    return true;
}

/* RFC 9293 step five with RFC 5961 5.2. false: drop the rest of the segment. */
static bool ack_input(struct tcp_conn *c, const struct tcp_seg *seg, bool syn)
{
    uint32_t ack = seg->h.ack;
    if (c->state == TCP_SYN_RECEIVED)
        return syn_received_ack(c, seg, syn);
    if (seq_gt(ack, c->snd_max)) {
        TCP_COUNT(c->tcp, rx_ack_too_new);
        tcp_send_challenge_ack(c);
        return false;
    }
    if (seq_lt(ack, c->snd_una - c->max_snd_wnd)) {
        TCP_COUNT(c->tcp, rx_old_ack);
        tcp_send_challenge_ack(c);
        return false;
    }
    uint32_t prior_flight = c->snd_max - c->snd_una, prior_wnd = c->snd_wnd, acked = 0;
    if (seq_gt(ack, c->snd_una))
        acked = take_ack(c, seg);
    bool new_sack = c->sack_ok && seg->h.opts.sack_count && tcp_sack_update(c, &seg->h.opts);
    update_window(c, seg);
    /* A duplicate ACK (RFC 5681 2), or with SACK any ACK that reports new data held above
     * snd_una (RFC 6675 2: the peer may be sending data or moving its window meanwhile). */
    bool pure = seg->len == 0 && !(seg->h.flags & (TCP_SYN | TCP_FIN)) && c->snd_wnd == prior_wnd;
    bool dup = !acked && ack == c->snd_una && c->snd_max != c->snd_una && (pure || new_sack);
    if (c->snd.size)
        tcp_recovery_ack(c, acked, dup, prior_flight);
    tcp_ecn_ack_input(c, seg);
    if (!fin_acked_transition(c))
        return false;
    if (acked)
        tcp_notify_writable(c);
    return !c->stack_done;
}

static void fin_input(struct tcp_conn *c)
{
    c->rcv_nxt++;
    c->fin_received = true;
    c->rcv_fin_pending = false;
    c->ack_now = true;
    /* Change state before EOF reaches the service, so a tcp_close() there sees CLOSE_WAIT; but
     * deliver before TIME_WAIT, which gives the buffers back. */
    if (c->state == TCP_ESTABLISHED)
        tcp_set_state(c, TCP_CLOSE_WAIT);
    tcp_deliver(c); /* EOF, if all data before it was taken */
    if (c->stack_done)
        return;
    if (c->state == TCP_FIN_WAIT_1)
        tcp_set_state(c, c->fin_acked ? TCP_TIME_WAIT : TCP_CLOSING);
    else if (c->state == TCP_FIN_WAIT_2)
        tcp_set_state(c, TCP_TIME_WAIT);
}

/* A SYN for a connection in TIME_WAIT (RFC 9293 3.10.7.4, RFC 6191): a new incarnation may
 * start when it is clearly newer. true: the segment was handed to the listener. */
static bool time_wait_reuse(struct tcp_conn *c, const struct tcp_seg *seg)
{
    if ((seg->h.flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN)
        return false;
    bool newer = (c->ts_ok && seg->h.opts.has_ts) ? seq_gt(seg->h.opts.ts_val, c->ts_recent)
                                                  : seq_gt(seg->h.seq, c->rcv_nxt);
    struct tcp_listener *l = tcp_find_listener(c->tcp, c->lport);
    if (!newer || !l)
        return false;
    TCP_COUNT(c->tcp, rx_time_wait_reuse);
    /* The new incarnation starts well above everything the old one sent (RFC 9293 3.4.1). */
    struct tcp *tcp = c->tcp;
    uint32_t isn = tcp_isn(tcp, c->laddr, c->lport, c->raddr, c->rport);
    tcp->forced_isn = seq_gt(isn, c->snd_max + 0x20000) ? isn : c->snd_max + 0x20000;
    tcp->force_isn = true;
    tcp_conn_closed(c, 0);
    tcp_listen_input(tcp, l, seg);
    tcp->force_isn = false; /* unused if the SYN was answered with a cookie */
    return true;
}

static void unacceptable(struct tcp_conn *c, const struct tcp_seg *seg)
{
    if (c->state == TCP_SYN_RECEIVED && (seg->h.flags & TCP_SYN) && seg->h.seq == c->irs &&
        !(seg->h.flags & TCP_ACK)) {
        tcp_send_syn(c); /* our SYN-ACK was lost: the peer repeats its SYN */
        return;
    }
    TCP_COUNT(c->tcp, rx_out_of_window);
    if (seg->h.flags & TCP_RST)
        return;
    if (c->state == TCP_TIME_WAIT && (seg->h.flags & TCP_FIN))
        tcp_arm_time_wait(c); /* our last ACK was lost: restart 2*MSL */
    c->ack_now = true;
}

/* A segment wholly below rcv_nxt, no SYN or RST, in an established state: its data is old, but
 * its ACK may be news. RFC 9293 3.10.7.4 lets a segment be trimmed to start at RCV.NXT; what
 * is left of this one is its ACK, which is taken (RFC 5961 checks still apply), as BSD does.
 * Dropping it unread let two ends whose sequence numbers each lag the other's rcv_nxt (a lost
 * ACK during go-back-N, a window shrunk to zero) trade ACKs for ever: the soak's seeds 278 and
 * 861. Only within a window's reach below rcv_nxt. */
static bool old_ack(const struct tcp_conn *c, const struct tcp_seg *seg)
{
    uint32_t end = seg->h.seq + seg_seqlen(seg), reach = c->rcv.size ? c->rcv.size : 0xffff;
    if ((seg->h.flags & (TCP_SYN | TCP_RST)) || !(seg->h.flags & TCP_ACK) ||
        c->state == TCP_SYN_RECEIVED || c->state == TCP_TIME_WAIT)
        return false;
    return seq_le(end, c->rcv_nxt) && seq_ge(seg->h.seq, c->rcv_nxt - reach);
}

static void synchronized_input(struct tcp_conn *c, const struct tcp_seg *in)
{
    struct tcp_seg trimmed;
    const struct tcp_seg *seg = in;
    if (c->state == TCP_SYN_RECEIVED &&
        (in->h.flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK) && in->h.seq == c->irs) {
        /* Simultaneous open (RFC 9293 figure 8, line 6): the peer's SYN-ACK repeats the SYN we
         * already took; what is new in it is the ACK. */
        trimmed = *in;
        trimmed.h.flags &= (uint8_t)~TCP_SYN;
        trimmed.h.seq++;
        seg = &trimmed;
    }
    uint8_t f = seg->h.flags;
    if (paws_reject(c, seg)) {
        TCP_COUNT(c->tcp, rx_paws_rejected);
        c->ack_now = true;
        return;
    }
    if (!seq_acceptable(c, seg)) {
        if (old_ack(c, seg)) {
            TCP_COUNT(c->tcp, rx_old_seq_ack);
            if (!ack_input(c, seg, false))
                return;
        }
        unacceptable(c, seg); /* still answered: keepalives and window probes are old too */
        return;
    }
    if (f & TCP_RST) {
        rst_input(c, seg);
        return;
    }
    if (f & TCP_SYN) { /* RFC 5961 4.2 */
        TCP_COUNT(c->tcp, rx_syn_challenged);
        tcp_send_challenge_ack(c);
        return;
    }
    if (!(f & TCP_ACK)) {
        TCP_COUNT(c->tcp, rx_bad_flags);
        return;
    }
    if (c->ts_ok && seg->h.opts.has_ts && seq_le(seg->h.seq, c->rcv_nxt) &&
        seq_ge(seg->h.opts.ts_val, c->ts_recent)) {
        c->ts_recent = seg->h.opts.ts_val;
        c->ts_recent_at = inet_now(c->inet);
    }
    if (!ack_input(c, seg, seg != in))
        return;
    tcp_ecn_input(c, seg);
    if (c->state == TCP_ESTABLISHED || c->state == TCP_FIN_WAIT_1 || c->state == TCP_FIN_WAIT_2) {
        if (seg->h.flags & TCP_URG)
            tcp_urgent_input(c, seg);
        if (!c->stack_done)
            tcp_data_input(c, seg);
    } else if (seg->len || (f & TCP_FIN))
        TCP_COUNT(c->tcp, rx_data_after_fin);
}

void tcp_conn_input(struct tcp_conn *c, const struct tcp_seg *seg)
{
    c->busy++;
    c->last_rx = inet_now(c->inet);
    c->probes = 0; /* the peer is alive: keepalive and window probes start over */
    if (c->state == TCP_SYN_SENT)
        syn_sent_input(c, seg);
    else if (c->state != TCP_TIME_WAIT || !time_wait_reuse(c, seg))
        synchronized_input(c, seg);
    if (!c->stack_done)
        tcp_output(c);
    c->busy--;
    tcp_conn_put(c);
}

/* --------------------------------------------------------------------------------- data */

/* Cut the segment to what is new and fits the buffer; returns false when nothing is left. */
static bool trim_to_window(struct tcp_conn *c, uint32_t *seq, const uint8_t **data, uint32_t *len,
                           bool *fin)
{
    if (seq_lt(*seq, c->rcv_nxt)) {
        uint32_t skip = c->rcv_nxt - *seq;
        TCP_COUNT(c->tcp, rx_dup_data);
        c->ack_now = true;
        if (skip > *len) { /* all old, and a FIN below rcv_nxt is old too */
            *len = 0;
            *fin = false;
            return false;
        }
        *data += skip;
        *len -= skip;
        *seq = c->rcv_nxt;
    }
    uint32_t space = c->rcv.size - c->rcv.len, off = *seq - c->rcv_nxt;
    if (off + *len > space) {
        TCP_COUNT(c->tcp, rx_window_full);
        *len = off < space ? space - off : 0;
        *fin = false;
        c->ack_now = true;
    }
    /* Memory for the bytes before they are acknowledged: what the pool cannot give now is
     * not taken (the peer sends it again), never dropped after the ACK. */
    uint32_t have = *len ? tcp_ring_reserve(&c->rcv, c->rcv.len + off + *len) : 0;
    if (*len && have < c->rcv.len + off + *len) {
        TCP_COUNT(c->tcp, rx_no_memory);
        *len = have > c->rcv.len + off ? have - c->rcv.len - off : 0;
        *fin = false;
        c->ack_now = true;
    }
    return *len > 0 || *fin;
}

static void in_order(struct tcp_conn *c, uint32_t len)
{
    bool had_ooo = c->n_ooo != 0;
    c->rcv.len += len;
    c->rcv_nxt += len;
    uint32_t gained = tcp_ooo_take(c);
    c->rcv.len += gained;
    c->rcv_nxt += gained;
    tcp_rcv_promise_sync(c);
    c->rcv_unacked += len + gained;
    if (had_ooo)
        c->ack_now = true; /* RFC 5681 4.2: at once on filling a hole */
    else if (c->rcv_unacked >= 2u * c->rcv_seg_max)
        tcp_defer_ack(c); /* at least every second segment: at the end of this batch */
    else
        tcp_arm_delack(c);
}

/* RCV.UP <- max(RCV.UP, SEG.UP), the sequence after the last urgent byte (MUST-62), and the
 * service is told once per run of urgent data (MUST-32): when none was pending. The data
 * itself stays in line (RFC 6093: what every stack does); tcp_urgent_pending says how much of
 * it is urgent (MUST-33). */
void tcp_urgent_input(struct tcp_conn *c, const struct tcp_seg *seg)
{
    /* The pointer may lie beyond the window (a long run, or data not sent yet): it is only
     * reported, at most 65535 bytes ahead of an acceptable segment. */
    if (!seg->h.urgent)
        return;
    uint32_t up = seg->h.seq + seg->h.urgent;
    bool pending = tcp_urgent_pending(c) > 0;
    if (!c->rcv_urgent || seq_gt(up, c->rcv_up))
        c->rcv_up = up;
    c->rcv_urgent = true;
    TCP_COUNT(c->tcp, rx_urgent);
    if (pending || !tcp_urgent_pending(c) || c->user_done || !c->on_urgent)
        return;
    c->busy++;
    c->on_urgent(c);
    c->busy--;
}

void tcp_data_input(struct tcp_conn *c, const struct tcp_seg *seg)
{
    uint32_t seq = seg->h.seq, len = seg->len;
    const uint8_t *data = seg->data;
    bool fin = (seg->h.flags & TCP_FIN) != 0;
    if (seg->len > c->rcv_seg_max) /* the peer's segment size, options taken off */
        c->rcv_seg_max = seg->len < c->rcv_mss ? seg->len : c->rcv_mss;
    if (!c->rcv.size || !trim_to_window(c, &seq, &data, &len, &fin))
        return;
    if (len) {
        uint32_t off = seq - c->rcv_nxt;
        bool in_place = off == 0 && c->rcv.len == 0 && c->n_ooo == 0;
        if (!in_place) /* else the service reads the segment and we copy what it leaves */
            tcp_ring_write_at(&c->rcv, c->rcv.len + off, data, len);
        if (off == 0) {
            in_order(c, len);
            tcp_deliver_segment(c, in_place ? data : NULL, in_place ? len : 0);
            if (c->stack_done)
                return;
        } else {
            TCP_COUNT(c->tcp, rx_ooo);
            if (!tcp_ooo_add(c, seq, seq + len))
                TCP_COUNT(c->tcp, rx_ooo_dropped);
            c->ack_now = true; /* a duplicate ACK with SACK tells the sender at once */
        }
    }
    if (fin && !c->rcv_fin_pending) {
        c->rcv_fin_pending = true;
        c->rcv_fin_seq = seq + len;
    }
    if (c->rcv_fin_pending && c->rcv_fin_seq == c->rcv_nxt)
        fin_input(c);
}
