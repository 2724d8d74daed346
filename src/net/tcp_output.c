/*
 * TCP output: building segments and deciding what the windows allow.
 *
 * tcp_output() is called after input, after tcp_send()/tcp_close() and from timers. It sends, in
 * order: retransmissions of holes during SACK recovery (RFC 6675), then new data as far as
 * min(cwnd, peer window) allows, subject to Nagle and sender-side silly window avoidance, then
 * our FIN once all data is out, and finally a bare ACK when one is owed and nothing carried it.
 */
#include <errno.h>
#include <string.h>

#include "tcp_internal.h"
#include "unic/ip4.h"
#include "unic/ip6.h"
#include "unic/wire/bytes.h"
#include "unic/wire/checksum.h"
#include "unic/wire/ip4.h"

uint8_t tcp_pick_wscale(uint32_t rcv_buf)
{
    uint8_t ws = 0;
    while (ws < TCP_MAX_WSCALE && (rcv_buf >> ws) > 0xffff)
        ws++;
    return ws;
}

/* Free space in the receive buffer, never less than what was already promised, and moving the
 * right edge only by useful amounts (receiver-side SWS avoidance, RFC 9293 3.8.6.2.2). */
uint32_t tcp_rcv_window(const struct tcp_conn *c)
{
    uint32_t space = tcp_rcv_space(c); /* within the pool's budget: docs/tcp-memory.md */
    uint32_t promised = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    uint32_t step = tcp_rcv_step(c);
    uint32_t max = 0xffffu << c->rcv_wscale;
    if (space < promised || space - promised < step)
        space = promised;
    return space > max ? max : space;
}

/* Payload of a segment with (hlen) bytes of TCP header: the MSS, less what SACK blocks add
 * beyond the options the MSS leaves room for, so every segment fits the MTU (RFC 6691: the MSS
 * counts data only). Also the segment size of a super-packet. */
static uint16_t segment_size(const struct inet *inet, struct unic_addr raddr, size_t hlen,
                             uint16_t mss)
{
    uint32_t fit = tcp_path_payload(inet, raddr, hlen);
    return (uint16_t)(fit < mss ? fit : mss);
}

/* Hand the segment at nb->data (TCP header emitted) to IPv4 or IPv6 with its checksum: whole, or
 * partial for the NIC to complete per segment (tso). */
static int xmit_ip(struct tcp *tcp, struct unic_addr src, struct unic_addr dst, struct netbuf *nb,
                   bool tso, uint8_t tos)
{
    struct inet *inet = tcp->inet;
    uint32_t pseudo;
    bool v4 = unic_addr_is_ip4(dst);
    uint32_t src4 = rd32(src.bytes + 12), dst4 = rd32(dst.bytes + 12); /* used when v4 */
    if (v4)
        pseudo = csum_pseudo_ip4(src4, dst4, IP4_PROTO_TCP, (uint16_t)nb->len);
    else
        pseudo = csum_pseudo_ip6(src.bytes, dst.bytes, IP4_PROTO_TCP, (uint32_t)nb->len);
    if (tso)
        tcp_set_partial_checksum_sum(nb->data, pseudo);
    else
        tcp_set_checksum_sum(nb->data, nb->len, pseudo);
    uint8_t ttl = tcp->params.ttl; /* 0: the IP layer's default */
    if (v4)
        return ip4_output(
            inet, nb,
            &(struct ip4_out){
                .src = src4, .dst = dst4, .proto = IP4_PROTO_TCP, .tos = tos, .ttl = ttl});
    /* Sized to the path MTU (segment_size): a packet that no longer fits, because a
     * packet-too-big lowered it meanwhile, is refused rather than fragmented. */
    return ip6_output(inet, nb,
                      &(struct ip6_out){.src = src,
                                        .dst = dst,
                                        .proto = IP4_PROTO_TCP,
                                        .hop_limit = ttl,
                                        .traffic_class = tos,
                                        .dont_frag = true});
}

/* Send one segment with header (h) and (len) payload bytes from (ring) at (off); with
 * (tso_mss), a super-packet that the NIC cuts into segments of up to tso_mss bytes and whose
 * checksum it completes (platform.h, struct plat_net_tso). */
static int xmit(struct tcp *tcp, struct unic_addr src, struct unic_addr dst,
                const struct tcp_hdr *h, const struct tcp_ring *ring, uint32_t off, uint32_t len,
                uint16_t tso_mss, uint8_t tos)
{
    struct inet *inet = tcp->inet;
    struct netbuf *nb = netbuf_alloc_size(inet->pool, len);
    if (!nb) {
        TCP_COUNT(tcp, tx_no_buffer);
        return -ENOBUFS;
    }
    if (len) {
        uint8_t *p = netbuf_put(nb, len);
        tcp_ring_read_at(ring, off, p, len);
    }
    size_t hlen = TCP_HDR_LEN + tcp_opts_len(&h->opts);
    uint8_t *p = netbuf_push(nb, hlen);
    if (!p || tcp_emit(p, hlen, h) < 0) {
        netbuf_free(nb);
        TCP_COUNT(tcp, tx_no_buffer);
        return -ENOBUFS;
    }
    if (tso_mss) {
        nb->tso_mss = segment_size(inet, dst, hlen, tso_mss);
        TCP_COUNT(tcp, tx_tso_frames);
    }
    TCP_COUNT(tcp, tx_segments);
    int err = xmit_ip(tcp, src, dst, nb, tso_mss != 0, tos);
    if (err < 0)
        TCP_COUNT(tcp, tx_ip_error);
    return err;
}

static void fill_header(struct tcp_conn *c, struct tcp_hdr *h, uint32_t seq, uint8_t flags)
{
    memset(h, 0, sizeof(*h));
    h->sport = c->lport;
    h->dport = c->rport;
    h->seq = seq;
    h->flags = flags;
    if (flags & TCP_ACK)
        h->ack = c->rcv_nxt;
    uint32_t wnd = tcp_rcv_window(c);
    if (flags & TCP_SYN)
        h->window = (uint16_t)(wnd > 0xffff ? 0xffff : wnd);
    else
        h->window = (uint16_t)(wnd >> c->rcv_wscale);
    if (c->ts_ok) {
        h->opts.has_ts = true;
        h->opts.ts_val = tcp_ts_now(c);
        h->opts.ts_ecr = c->ts_recent;
    }
    if (c->sack_ok && c->n_ooo && !(flags & TCP_SYN))
        h->opts.sack_count = (uint8_t)tcp_ooo_blocks(c, h->opts.sack, TCP_MAX_SACK_BLOCKS);
    if (c->ecn_ece && (flags & TCP_ACK) && !(flags & (TCP_SYN | TCP_RST)))
        h->flags |= TCP_ECE; /* RFC 3168 6.1.3: until the peer's CWR */
    if (c->snd_urgent && seq_lt(seq, c->snd_up) && !(flags & TCP_SYN)) {
        /* The offset from this segment, at most 65535: a longer run is pointed at in steps as
         * the segments advance (MUST-31, any length). */
        uint32_t off = c->snd_up - seq;
        h->flags |= TCP_URG;
        h->urgent = (uint16_t)(off > 0xffff ? 0xffff : off);
    }
}

/* An ACK went out: the peer now knows rcv_nxt and our window. */
static void acked_now(struct tcp_conn *c, const struct tcp_hdr *h)
{
    uint32_t wnd = (uint32_t)h->window << ((h->flags & TCP_SYN) ? 0 : c->rcv_wscale);
    uint32_t edge = c->rcv_nxt + wnd;
    if (seq_gt(edge, c->rcv_adv))
        c->rcv_adv = edge;
    tcp_rcv_promise_sync(c);
    tcp_rcv_check_pool(c, wnd);
    c->rcv_unacked = 0;
    c->ack_now = false;
    c->ack_deferred = false; /* stays on the flush list; flushing it then does nothing */
    c->delack_due = 0;       /* its timer may stay queued: see tcp_arm_delack */
}

/* Send the segment starting at (seq): up to (max_len) bytes of data, plus FIN when it reaches
 * our FIN; more than one MSS goes as a TSO super-packet (send_new_data decides when). Returns
 * the sequence space used (0 if there was nothing to send or it failed). */
static uint32_t send_at(struct tcp_conn *c, uint32_t seq, uint32_t max_len)
{
    uint32_t off = seq - c->snd_buf_seq, len = 0;
    if (off < c->snd.len)
        len = c->snd.len - off < max_len ? c->snd.len - off : max_len;
    struct tcp_hdr h;
    fill_header(c, &h, seq, TCP_ACK);
    uint32_t fit = segment_size(c->inet, c->raddr, TCP_HDR_LEN + tcp_opts_len(&h.opts), c->mss);
    if (len <= c->mss && len > fit)
        len = fit; /* SACK blocks take room from the data (a super-packet's segments too) */
    bool resent = seq_lt(seq, c->snd_max), cwr = len && !resent && c->ecn_cwr;
    /* A super-packet's segments would all carry this segment's urgent offset, or its CWR: one
     * MSS at a time then (decided before FIN and PSH, which depend on the end). */
    if (((h.flags & TCP_URG) || cwr) && len > c->mss)
        len = c->mss;
    uint8_t flags = TCP_ACK | (h.flags & (TCP_URG | TCP_ECE)) | (cwr ? TCP_CWR : 0);
    if (c->fin_queued && seq + len == c->fin_seq)
        flags |= TCP_FIN;
    if (len == 0 && !(flags & TCP_FIN))
        return 0;
    if (len && off + len == c->snd.len)
        flags |= TCP_PSH;
    h.flags = flags;
    uint16_t tso_mss = len > c->mss ? c->mss : 0;
    if (xmit(c->tcp, c->laddr, c->raddr, &h, &c->snd, off, len, tso_mss,
             tcp_ecn_tos(c, len && !resent)) < 0)
        return 0;
    if (cwr)
        c->ecn_cwr = false;
    acked_now(c, &h);
    if (len) {
        TCP_COUNT(c->tcp, tx_data_segments);
        c->last_data_tx = tcp_coarse_time(inet_now(c->inet));
    }
    if (resent) {
        TCP_COUNT(c->tcp, tx_retransmits);
        c->rtt_timing = false; /* Karn: no samples from retransmitted data */
        c->rtx_tsval = h.opts.ts_val;
    } else if (!c->rtt_timing) {
        c->rtt_timing = true;
        c->rtt_seq = seq;
        c->rtt_start = inet_now(c->inet);
    }
    uint32_t used = len + ((flags & TCP_FIN) ? 1u : 0u);
    if (seq_gt(seq + used, c->snd_max))
        c->snd_max = seq + used;
    if (flags & TCP_FIN)
        c->fin_sent = true;
    return used;
}

/* Sequence number of a segment without data: snd_max, as BSD does. After a timeout snd_nxt
 * is back at snd_una (go-back-N) while the peer may hold everything up to snd_max: below its
 * rcv_nxt the ACK would be out of its window, dropped unread and answered (two ends in
 * go-back-N then traded such ACKs for ever: the soak's seed 204). Never lower either (not
 * capped at snd_una + snd_wnd as Linux does, nor snd_una at a zero window): the peer takes a
 * window update only from a sequence number at or above the last one it took (SND.WL1), so a
 * lower one left both ends of seed 12040 probing windows each thought closed, every answer
 * ignored. A peer whose closed window dropped our flight finds snd_max beyond it and
 * answers; our probes, below its rcv_nxt, still bring it our ACK (old_ack). */
static uint32_t ack_seq(const struct tcp_conn *c)
{
    return c->snd_max;
}

void tcp_send_ack(struct tcp_conn *c)
{
    struct tcp_hdr h;
    fill_header(c, &h, ack_seq(c), TCP_ACK);
    if (xmit(c->tcp, c->laddr, c->raddr, &h, NULL, 0, 0, 0, c->tos) == 0)
        TCP_COUNT(c->tcp, tx_acks);
    acked_now(c, &h);
}

/* RFC 5961 challenge ACKs: at most challenge_ack_per_s a second for the whole stack. */
bool tcp_challenge_allowed(struct tcp *tcp)
{
    uint64_t epoch = inet_now(tcp->inet) / NSEC_PER_SEC;
    if (epoch != tcp->challenge_epoch) {
        tcp->challenge_epoch = epoch;
        tcp->challenge_count = 0;
    }
    if (tcp->challenge_count >= tcp->params.challenge_ack_per_s) {
        TCP_COUNT(tcp, tx_challenge_limited);
        return false;
    }
    tcp->challenge_count++;
    TCP_COUNT(tcp, tx_challenge_acks);
    return true;
}

void tcp_send_challenge_ack(struct tcp_conn *c)
{
    if (tcp_challenge_allowed(c->tcp))
        tcp_send_ack(c);
}

/* The ACK of a TIME_WAIT entry: what the connection's own tcp_send_ack() sent (the same
 * sequence numbers, window and timestamp clock). */
void tcp_send_tw_ack(struct tcp *tcp, const struct tcp_tw *tw)
{
    struct tcp_hdr h;
    memset(&h, 0, sizeof(h));
    h.sport = tw->lport;
    h.dport = tw->rport;
    h.seq = tw->snd_nxt;
    h.ack = tw->rcv_nxt;
    h.flags = TCP_ACK;
    h.window = tw->window;
    if (tw->ts_ok) {
        h.opts.has_ts = true;
        h.opts.ts_val = (uint32_t)(inet_now(tcp->inet) / NSEC_PER_MSEC) +
                        tcp_ts_offset(tcp, tw->laddr, tw->lport, tw->raddr, tw->rport);
        h.opts.ts_ecr = tw->ts_recent;
    }
    if (xmit(tcp, tw->laddr, tw->raddr, &h, NULL, 0, 0, 0, 0) == 0)
        TCP_COUNT(tcp, tx_acks);
}

/* A segment the peer must answer with an ACK: one below snd_una, no data (zero-window probe
 * and keepalive, as Linux does). */
void tcp_send_probe(struct tcp_conn *c)
{
    struct tcp_hdr h;
    fill_header(c, &h, c->snd_una - 1, TCP_ACK);
    xmit(c->tcp, c->laddr, c->raddr, &h, NULL, 0, 0, 0, c->tos);
}

void tcp_send_rst(struct tcp_conn *c)
{
    struct tcp_hdr h;
    fill_header(c, &h, c->snd_max, TCP_RST | TCP_ACK);
    h.window = 0;
    h.opts.sack_count = 0;
    if (xmit(c->tcp, c->laddr, c->raddr, &h, NULL, 0, 0, 0, c->tos) == 0)
        TCP_COUNT(c->tcp, tx_rst);
}

/* RFC 9293 3.10.7.1: the reply to a segment for no connection. */
void tcp_reply_rst(struct tcp *tcp, const struct tcp_seg *seg)
{
    if (seg->h.flags & TCP_RST)
        return;
    struct tcp_hdr h;
    memset(&h, 0, sizeof(h));
    h.sport = seg->h.dport;
    h.dport = seg->h.sport;
    if (seg->h.flags & TCP_ACK) {
        h.seq = seg->h.ack;
        h.flags = TCP_RST;
    } else {
        h.ack = seg->h.seq + seg_seqlen(seg);
        h.flags = TCP_RST | TCP_ACK;
    }
    if (xmit(tcp, seg->dst, seg->src, &h, NULL, 0, 0, 0, 0) == 0)
        TCP_COUNT(tcp, tx_rst);
}

/* A SYN-ACK that keeps no state (SYN cookies). */
int tcp_send_synack_stateless(struct tcp *tcp, const struct tcp_seg *seg, uint32_t iss,
                              const struct tcp_opts *o, uint16_t window)
{
    struct tcp_hdr h;
    memset(&h, 0, sizeof(h));
    h.sport = seg->h.dport;
    h.dport = seg->h.sport;
    h.seq = iss;
    h.ack = seg->h.seq + 1;
    h.flags = TCP_SYN | TCP_ACK;
    h.window = window;
    h.opts = *o;
    return xmit(tcp, seg->dst, seg->src, &h, NULL, 0, 0, 0, 0);
}

/* SYN (active open) or SYN-ACK (passive or simultaneous open), first time or again. */
void tcp_send_syn(struct tcp_conn *c)
{
    struct tcp_params *p = &c->tcp->params;
    bool synack = c->state == TCP_SYN_RECEIVED;
    struct tcp_hdr h;
    fill_header(c, &h, c->iss, synack ? TCP_SYN | TCP_ACK : TCP_SYN);
    tcp_ecn_syn_flags(c, synack, &h.flags);
    h.opts.has_mss = true;
    h.opts.mss = c->rcv_mss;
    h.opts.has_wscale = synack ? c->ws_ok : p->window_scale;
    h.opts.wscale = c->rcv_wscale;
    h.opts.sack_ok = synack ? c->sack_ok : p->sack;
    if (!synack && p->timestamps) {
        h.opts.has_ts = true;
        h.opts.ts_val = tcp_ts_now(c);
        h.opts.ts_ecr = 0;
    }
    if (xmit(c->tcp, c->laddr, c->raddr, &h, NULL, 0, 0, 0, c->tos) == 0 && synack)
        acked_now(c, &h);
    if (c->snd_nxt == c->iss)
        c->snd_nxt = c->snd_max = c->iss + 1;
    else
        c->rtt_timing = false; /* sent again (Karn): the handshake's ACK times neither */
    tcp_arm_rtx(c);
}

/* Fast retransmit / partial ACK: the first unacknowledged segment, now. */
void tcp_retransmit_una(struct tcp_conn *c)
{
    if (send_at(c, c->snd_una, c->mss)) {
        TCP_COUNT(c->tcp, tx_fast_retransmits);
        c->rtx_una = c->snd_una;
        c->rtx_mark = c->snd_max;
    }
}

/* Tail loss probe: new data if the windows allow, else the last segment again, so that the
 * peer's ACK (with SACK) reveals a lost tail without waiting for the RTO. */
void tcp_send_tail_probe(struct tcp_conn *c)
{
    uint32_t off = c->snd_nxt - c->snd_buf_seq;
    if (c->snd_nxt == c->snd_max && off < c->snd.len && c->snd_wnd > c->snd_max - c->snd_una) {
        uint32_t used = send_at(c, c->snd_nxt, c->mss);
        c->snd_nxt += used;
        if (used)
            return;
    }
    uint32_t end = c->snd_max;
    if (c->fin_sent && end == c->fin_seq + 1)
        end = c->fin_seq; /* the FIN rides along with the last data (send_at adds it) */
    uint32_t len = end - c->snd_una < c->mss ? end - c->snd_una : c->mss;
    send_at(c, end - len, len);
}

/* RFC 6675 NextSeg() rule 1: retransmit holes while the pipe leaves room. */
static bool send_recovery(struct tcp_conn *c)
{
    bool sent = false;
    for (;;) {
        if (tcp_sack_pipe(c) + c->mss > c->cwnd)
            break;
        uint32_t from = seq_max(c->rtx_nxt, c->snd_una), hole_end;
        uint32_t hole = tcp_sack_next_hole(c, from, &hole_end);
        if (!seq_lt(hole, c->high_sack))
            break;
        uint32_t len = hole_end - hole < c->mss ? hole_end - hole : c->mss;
        uint32_t used = send_at(c, hole, len);
        if (!used)
            break;
        if (hole == c->snd_una) {
            c->rtx_una = hole;
            c->rtx_mark = c->snd_max;
        }
        c->rtx_nxt = hole + used;
        sent = true;
    }
    return sent;
}

/* How much new data the windows let us put in flight now. */
static uint32_t usable_window(const struct tcp_conn *c)
{
    uint32_t in_flight = c->snd_nxt - c->snd_una;
    uint32_t wnd_left = c->snd_wnd > in_flight ? c->snd_wnd - in_flight : 0;
    uint32_t pipe = (c->in_recovery && c->sack_ok) ? tcp_sack_pipe(c) : in_flight;
    uint32_t cwnd_left = c->cwnd > pipe ? c->cwnd - pipe : 0;
    return wnd_left < cwnd_left ? wnd_left : cwnd_left;
}

/* Nagle (RFC 9293 3.7.4) and sender-side SWS avoidance: may a segment of (len) go now? */
static bool worth_sending(const struct tcp_conn *c, uint32_t len, uint32_t unsent)
{
    if (len >= c->mss || c->force_send)
        return true;
    if (seq_lt(c->snd_nxt, c->snd_max))
        return true;  /* retransmission after a timeout */
    if (len < unsent) /* window-limited */
        return len >= c->max_snd_wnd / 2 && len > 0;
    return c->nodelay || c->snd_nxt == c->snd_una || (c->fin_queued && len == unsent);
}

/* Length of a super-packet of new data (segmentation offload): what is unsent, within the
 * windows and as many whole MSS as the link's super-packet holds beside the largest headers;
 * one that does not reach the end of the data ends on a whole MSS, so the peer never sees a
 * short segment in the middle of a burst. Data sent again (after a timeout) goes one MSS at a
 * time, as every other retransmission. */
static uint32_t tso_len(const struct tcp_conn *c, uint32_t unsent, uint32_t room)
{
    uint32_t ip_hlen = unic_addr_is_ip4(c->raddr) ? IP4_HDR_LEN : IP6_HDR_LEN;
    uint32_t tso_max = c->inet->tso_max, headers = ip_hlen + TCP_HDR_LEN + TCP_MAX_OPT_LEN;
    uint32_t segs = tso_max > headers ? (tso_max - headers) / c->mss : 1;
    if (segs > TCP_TSO_MAX_SEGS)
        segs = TCP_TSO_MAX_SEGS;
    if (seq_lt(c->snd_nxt, c->snd_max) || segs < 2)
        segs = 1;
    uint32_t len = unsent < segs * c->mss ? unsent : segs * c->mss;
    if (len > room)
        len = room;
    if (len > c->mss && len < unsent)
        len -= len % c->mss;
    return len;
}

/* Length of the next new-data packet: one MSS at most, unless the link takes super-packets. */
static uint32_t next_len(const struct tcp_conn *c, uint32_t unsent, uint32_t room)
{
    if (unsent > c->mss && c->inet->tso_max)
        return tso_len(c, unsent, room);
    uint32_t len = unsent < c->mss ? unsent : c->mss;
    return len < room ? len : room;
}

static bool send_new_data(struct tcp_conn *c)
{
    bool sent = false;
    if (c->snd_una == c->snd_max && c->tcp->params.idle_restart)
        tcp_cc_after_idle(c, inet_now(c->inet));
    for (int guard = 0; guard < 1024; guard++) {
        uint32_t run_end;
        if (seq_lt(c->snd_nxt, c->snd_max) && tcp_sack_is_sacked(c, c->snd_nxt, &run_end)) {
            c->snd_nxt = run_end; /* go-back-N after a timeout skips what the peer has */
            continue;
        }
        uint32_t off = c->snd_nxt - c->snd_buf_seq;
        uint32_t unsent = off < c->snd.len ? c->snd.len - off : 0;
        bool fin_due = c->fin_queued && seq_le(c->snd_nxt, c->fin_seq) &&
                       !(c->fin_sent && c->snd_nxt == c->snd_max);
        uint32_t len = next_len(c, unsent, usable_window(c));
        if (!len && !(fin_due && unsent == 0))
            break;
        if (len && !worth_sending(c, len, unsent))
            break;
        uint32_t used = send_at(c, c->snd_nxt, len);
        if (!used && len > c->mss)
            used = send_at(c, c->snd_nxt, c->mss); /* no large buffer: one segment */
        if (!used)
            break;
        c->snd_nxt += used;
        sent = true;
    }
    return sent;
}

void tcp_output(struct tcp_conn *c)
{
    c->need_output = false;
    switch (c->state) {
    case TCP_ESTABLISHED:
    case TCP_FIN_WAIT_1:
    case TCP_CLOSE_WAIT:
    case TCP_CLOSING:
    case TCP_LAST_ACK:
        break;
    case TCP_FIN_WAIT_2:
    case TCP_TIME_WAIT:
        if (c->ack_now)
            tcp_send_ack(c);
        return;
    default:
        return;
    }
    if (!c->snd.size)
        return;
    bool sent = false;
    if (c->in_recovery && c->sack_ok)
        sent = send_recovery(c);
    sent |= send_new_data(c);
    if (!sent && c->ack_now)
        tcp_send_ack(c);
    if (c->snd_max != c->snd_una || tcp_unsent_waits(c))
        tcp_arm_rtx(c); /* retransmission, or persist: data waits and nothing is in flight */
}

/* Data or our FIN waits to go: beyond snd_nxt, or never sent at all. A segment the link
 * refused (an ARP queue or a NIC ring full: xmit failed) is such a one, and only a timer will
 * send it again when no ACK comes to do it (a FIN alone, refused, left its connection in
 * LAST_ACK for ever: integration.conns.hosted). */
bool tcp_unsent_waits(const struct tcp_conn *c)
{
    uint32_t sent_bytes = c->snd_nxt - c->snd_buf_seq;
    if (c->snd.len > sent_bytes && seq_ge(c->snd_nxt, c->snd_buf_seq))
        return true;
    return c->fin_queued && !c->fin_sent;
}
