/*
 * TCP timers. Four one-shot timers per connection, armed only while needed (no periodic tick):
 *   rtx_timer    retransmission timeout (RFC 6298) or, with nothing in flight and a zero
 *                window, the persist timer (zero-window probes)
 *   delack_timer delayed ACK
 *   keep_timer   keepalive, or the FIN_WAIT_2 timeout, or the end of TIME_WAIT
 *   event_timer  zero delay: runs callbacks outside the service's own tcp_ calls
 */
#include <errno.h>

#include "tcp_internal.h"
#include "unic/log.h"

static void on_rtx(struct timer *t);
static void on_delack(struct timer *t);
static void on_keep(struct timer *t);
static void on_event(struct timer *t);

void tcp_timers_init(struct tcp_conn *c)
{
    timer_init(&c->rtx_timer, on_rtx, c);
    timer_init(&c->delack_timer, on_delack, c);
    timer_init(&c->keep_timer, on_keep, c);
    timer_init(&c->event_timer, on_event, c);
}

void tcp_timers_cancel(struct tcp_conn *c)
{
    struct timer_queue *tq = c->inet->timers;
    timer_cancel(tq, &c->rtx_timer);
    tcp_cancel_delack(c);
    timer_cancel(tq, &c->keep_timer);
    timer_cancel(tq, &c->event_timer);
}

/* The retransmission timer, or earlier the tail loss probe (RFC 8985 7.2): with data in
 * flight and no probe sent yet (also during recovery, as Linux does: a lost retransmission
 * shows itself once data sent after it is SACKed), after PTO = 2 SRTT (at least 10 ms, plus
 * the peer's delayed ACK when a single segment is out). */
static uint64_t rtx_delay(struct tcp_conn *c)
{
    c->tlp_armed = false;
    uint32_t flight = c->snd_max - c->snd_una;
    bool synced = c->state >= TCP_ESTABLISHED && c->state != TCP_TIME_WAIT;
    if (c->srtt_ns && flight && !c->tlp_sent && synced) {
        uint64_t pto = 2 * c->srtt_ns;
        if (pto < TCP_TLP_MIN_NS)
            pto = TCP_TLP_MIN_NS;
        if (flight <= c->mss)
            pto += TCP_DELACK_MAX_NS;
        if (pto < c->rto_ns) {
            c->tlp_armed = true;
            return pto;
        }
    }
    return c->rto_ns;
}

/* The retransmission timer is due (delay) from now. It moves later on nearly every ACK, so a
 * later deadline only updates rtx_due and the queued timer stays where it is: it fires early
 * and on_rtx puts it back for rtx_due. That spares a removal and an insertion in the timer
 * queue per ACK; an earlier deadline moves the queued timer at once. */
static void rtx_arm_in(struct tcp_conn *c, uint64_t delay)
{
    struct timer *t = &c->rtx_timer;
    c->rtx_due = inet_now(c->inet) + delay;
    if (!timer_armed(t) || c->rtx_due < t->deadline)
        timer_arm(c->inet->timers, t, c->rtx_due);
}

/* Arm the timer if it is not; an armed RTO gives way to an earlier tail loss probe (the
 * flight grew since the RTO was set for a single segment). */
void tcp_arm_rtx(struct tcp_conn *c)
{
    struct timer *t = &c->rtx_timer;
    if (timer_armed(t) && c->tlp_armed)
        return;
    bool was_armed = timer_armed(t);
    uint64_t old = c->rtx_due, delay = rtx_delay(c);
    if (!was_armed || (c->tlp_armed && inet_now(c->inet) + delay < old))
        rtx_arm_in(c, delay);
    else
        c->tlp_armed = false;
}

/* New data was acknowledged: restart the timer for what is still in flight (RFC 6298 5.3). */
void tcp_rearm_rtx(struct tcp_conn *c)
{
    if (c->snd_max != c->snd_una || tcp_unsent_waits(c))
        rtx_arm_in(c, rtx_delay(c));
    else
        timer_cancel(c->inet->timers, &c->rtx_timer);
}

/* A delayed ACK is owed (if one is not already). An ACK sent meanwhile only clears delack_due
 * (acked_now): the timer stays queued, and when it fires with an ACK owed again, later, it
 * re-queues itself (on_delack). A bulk receiver so arms and cancels nothing per segment. */
void tcp_arm_delack(struct tcp_conn *c)
{
    if (c->delack_due)
        return;
    c->delack_due = inet_now(c->inet) + TCP_DELACK_NS;
    if (!timer_armed(&c->delack_timer))
        timer_arm(c->inet->timers, &c->delack_timer, c->delack_due);
}

void tcp_cancel_delack(struct tcp_conn *c)
{
    c->delack_due = 0;
    timer_cancel(c->inet->timers, &c->delack_timer);
}

void tcp_arm_keepalive(struct tcp_conn *c)
{
    if (c->state != TCP_ESTABLISHED && c->state != TCP_CLOSE_WAIT)
        return;
    if (c->keep_idle_s)
        timer_arm_in(c->inet->timers, &c->keep_timer, c->keep_idle_s * NSEC_PER_SEC);
    else
        timer_cancel(c->inet->timers, &c->keep_timer);
}

void tcp_arm_time_wait(struct tcp_conn *c)
{
    timer_arm_in(c->inet->timers, &c->keep_timer,
                 (uint64_t)c->tcp->params.time_wait_ms * NSEC_PER_MSEC);
}

void tcp_arm_fin_wait_2(struct tcp_conn *c)
{
    timer_arm_in(c->inet->timers, &c->keep_timer, TCP_FIN_WAIT_2_NS);
}

void tcp_schedule_event(struct tcp_conn *c)
{
    if (!c->stack_done)
        timer_arm(c->inet->timers, &c->event_timer, inet_now(c->inet));
}

static void rto_from_estimates(struct tcp_conn *c)
{
    uint64_t var = 4 * c->rttvar_ns;
    if (var < NSEC_PER_MSEC)
        var = NSEC_PER_MSEC;
    uint64_t rto = c->srtt_ns + var;
    if (rto < TCP_RTO_MIN_NS)
        rto = TCP_RTO_MIN_NS;
    if (rto > TCP_RTO_MAX_NS)
        rto = TCP_RTO_MAX_NS;
    c->rto_ns = rto;
}

/* RFC 6298 2.2 / 2.3 with G = 1 ms. */
void tcp_rtt_sample(struct tcp_conn *c, uint64_t rtt)
{
    if (c->srtt_ns == 0) {
        c->srtt_ns = rtt ? rtt : 1;
        c->rttvar_ns = rtt / 2;
    } else {
        uint64_t err = rtt > c->srtt_ns ? rtt - c->srtt_ns : c->srtt_ns - rtt;
        c->rttvar_ns = (3 * c->rttvar_ns + err) / 4;
        c->srtt_ns = (7 * c->srtt_ns + rtt) / 8;
        if (!c->srtt_ns)
            c->srtt_ns = 1;
    }
    rto_from_estimates(c);
    c->backoff = 0;
}

/* The RTO from the estimates, as the last valid sample left it, without the backoff. */
void tcp_rto_reset(struct tcp_conn *c)
{
    if (c->srtt_ns)
        rto_from_estimates(c);
    else
        c->rto_ns = TCP_RTO_INITIAL_NS;
}

static void back_off(struct tcp_conn *c)
{
    c->backoff++;
    c->rto_ns = c->rto_ns * 2 > TCP_RTO_MAX_NS ? TCP_RTO_MAX_NS : c->rto_ns * 2;
}

static void handshake_timeout(struct tcp_conn *c)
{
    unsigned limit = c->state == TCP_SYN_SENT ? TCP_SYN_RETRIES : TCP_SYNACK_RETRIES;
    if (c->backoff >= limit) {
        TCP_COUNT(c->tcp, conn_timeout);
        tcp_conn_closed(c, tcp_timeout_err(c));
        return;
    }
    back_off(c);
    TCP_COUNT(c->tcp, tx_retransmits);
    tcp_send_syn(c);
}

/* Data (or our FIN) waits and nothing is in flight, or the window is zero (the peer may have
 * shrunk it with data in flight, RFC 9293 3.8.6.1): probe it. Only unanswered probes count
 * towards a timeout (tcp_conn_input clears them): a peer that answers keeps the connection
 * however long its window stays closed (RFC 1122 4.2.2.17). With the window open, what waits
 * is sent now; the backoff bounds how long a link that refuses every segment is tried. */
static void persist_timeout(struct tcp_conn *c)
{
    if (c->probes >= c->r2 || (c->snd_wnd && c->backoff >= c->r2)) {
        TCP_COUNT(c->tcp, conn_timeout);
        tcp_send_rst(c);
        tcp_conn_closed(c, tcp_timeout_err(c));
        return;
    }
    back_off(c);
    if (c->snd_wnd) {
        /* A window too small to be worth it (sender SWS avoidance) yet nothing else will come:
         * send what fits (RFC 9293 3.8.6.2.1, the override timeout). */
        c->force_send = true;
        tcp_output(c);
        c->force_send = false;
        tcp_arm_rtx(c);
        return;
    }
    c->probes++;
    TCP_COUNT(c->tcp, tx_zero_window_probes);
    c->snd_nxt = c->snd_una; /* a closed window dropped the flight: resend it once it opens */
    tcp_send_probe(c);
    tcp_arm_rtx(c);
}

/* RFC 6298 5.4-5.7 and RFC 5681 3.1: shrink to one segment and go back to snd_una. */
static void retransmit_timeout(struct tcp_conn *c)
{
    if (c->backoff >= c->r2) {
        TCP_COUNT(c->tcp, conn_timeout);
        tcp_send_rst(c);
        tcp_conn_closed(c, tcp_timeout_err(c));
        return;
    }
    TCP_COUNT(c->tcp, tx_rto);
    log_debug("tcp: RTO una=%u flight=%u sacked=%u recovery=%d cwnd=%u backoff=%u rto=%lums "
              "srtt=%luus rttvar=%luus",
              c->snd_una, c->snd_max - c->snd_una, c->sacked_bytes, c->in_recovery, c->cwnd,
              c->backoff, (unsigned long)(c->rto_ns / NSEC_PER_MSEC),
              (unsigned long)(c->srtt_ns / NSEC_PER_USEC),
              (unsigned long)(c->rttvar_ns / NSEC_PER_USEC));
    tcp_cc_on_rto(c);
    back_off(c);
    /* RFC 6675 5.1: forget the scoreboard, so the left edge goes again even if the peer
     * SACKed it (RFC 2018 8, MUST: it may have discarded it); the ACKs that follow report
     * again what it holds, and go-back-N skips that. */
    tcp_sack_clear(c);
    c->snd_nxt = c->snd_una;
    c->rtt_timing = false;
    tcp_output(c);
}

static void tail_probe(struct tcp_conn *c)
{
    c->tlp_armed = false;
    c->tlp_sent = true;
    TCP_COUNT(c->tcp, tx_tail_probes);
    tcp_send_tail_probe(c);
    rtx_arm_in(c, c->rto_ns);
}

static void on_rtx(struct timer *t)
{
    struct tcp_conn *c = t->arg;
    if (c->rtx_due > inet_now(c->inet)) { /* queued early (rtx_arm_in): not due yet */
        timer_arm(c->inet->timers, t, c->rtx_due);
        return;
    }
    c->busy++;
    if (c->tlp_armed && c->snd_max != c->snd_una)
        tail_probe(c);
    else if (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED)
        handshake_timeout(c);
    else if ((c->snd_max == c->snd_una && tcp_unsent_waits(c)) || c->snd_wnd == 0)
        persist_timeout(c);
    else if (c->snd_max != c->snd_una)
        retransmit_timeout(c);
    c->busy--;
    tcp_conn_put(c);
}

static void on_delack(struct timer *t)
{
    struct tcp_conn *c = t->arg;
    if (!c->delack_due) /* the ACK went out meanwhile */
        return;
    if (c->delack_due > inet_now(c->inet)) { /* a stale timer: the ACK owed now is due later */
        timer_arm(c->inet->timers, t, c->delack_due);
        return;
    }
    c->delack_due = 0;
    if (c->state != TCP_CLOSED && c->state != TCP_SYN_SENT)
        tcp_send_ack(c);
}

static void keepalive(struct tcp_conn *c)
{
    uint64_t now = inet_now(c->inet), idle = c->keep_idle_s * NSEC_PER_SEC;
    if (!c->keep_idle_s)
        return;
    if (now - c->last_rx < idle && c->probes == 0) {
        timer_arm(c->inet->timers, &c->keep_timer, c->last_rx + idle);
        return;
    }
    if (c->probes >= c->keep_count) {
        TCP_COUNT(c->tcp, conn_timeout);
        tcp_send_rst(c);
        tcp_conn_closed(c, tcp_timeout_err(c));
        return;
    }
    c->probes++;
    TCP_COUNT(c->tcp, tx_keepalives);
    tcp_send_probe(c);
    timer_arm_in(c->inet->timers, &c->keep_timer, c->keep_intvl_s * NSEC_PER_SEC);
}

static void on_keep(struct timer *t)
{
    struct tcp_conn *c = t->arg;
    uint64_t now = inet_now(c->inet);
    c->busy++;
    if (c->state == TCP_TIME_WAIT) {
        tcp_conn_closed(c, 0);
    } else if (c->state == TCP_FIN_WAIT_2) {
        if (now - c->last_rx < TCP_FIN_WAIT_2_NS) {
            timer_arm(c->inet->timers, &c->keep_timer, c->last_rx + TCP_FIN_WAIT_2_NS);
        } else {
            TCP_COUNT(c->tcp, conn_timeout);
            tcp_conn_closed(c, tcp_timeout_err(c));
        }
    } else if (c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT) {
        keepalive(c);
    }
    c->busy--;
    tcp_conn_put(c);
}

static void on_event(struct timer *t)
{
    struct tcp_conn *c = t->arg;
    c->busy++;
    tcp_deliver(c);
    if (!c->stack_done) {
        tcp_notify_writable(c);
        if (!c->stack_done)
            tcp_output(c);
    }
    c->busy--;
    tcp_conn_put(c);
}
