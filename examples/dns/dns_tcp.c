/*
 * DNS over a byte stream: see dns_tcp.h.
 *
 * dns_tcp_input -> frame -> handle -> start_xfr -> pump | answer -> send_message
 * dns_tcp_writable -> pump | resume
 */
#include "dns_tcp.h"

#include "unic/wire/bytes.h"

const char *const dns_tcp_stat_names[] = {DNS_TCP_STATS(STATS_NAME)};
const size_t dns_tcp_stat_count = STATS_COUNT(dns_tcp_stat_names);

void dns_tcp_session_init(struct dns_tcp_session *s, struct dns_tcp_shared *sh,
                          const struct dns_tcp_io *io, void *ctx, bool xfr_allowed)
{
    *s = (struct dns_tcp_session){.sh = sh, .io = io, .ctx = ctx, .xfr_allowed = xfr_allowed};
    if (sh->xfr_soft == 0)
        sh->xfr_soft = DNS_XFR_SOFT_MAX;
}

/* The message of (n) bytes at sh->buf + 2, framed, if there is room for all of it: false
 * (nothing sent) when there is not. */
static bool send_message(struct dns_tcp_session *s, size_t n)
{
    if (s->io->space(s->ctx) < n + 2) {
        s->sh->stats.send_waits++;
        return false;
    }
    wr16(s->sh->buf, (uint16_t)n);
    if (s->io->send(s->ctx, s->sh->buf, n + 2) != (long)(n + 2)) {
        s->sh->stats.send_failed++; /* reset under us: the owner hears of it from TCP */
        s->failed = true;
    }
    s->sent++;
    return true;
}

/* Send transfer messages while there is room; the message that does not fit is built again
 * next time from the same position. */
static void pump(struct dns_tcp_session *s)
{
    struct dns_tcp_shared *sh = s->sh;
    while (s->in_xfr && !s->failed) {
        struct dns_xfr next = s->xfr;
        size_t n = dns_xfr_next(sh->zone, &next, sh->buf + 2, DNS_TCP_MSG_MAX, sh->xfr_soft);
        if (n == 0) {
            s->in_xfr = false;
            sh->stats.xfr_done++;
            return;
        }
        if (!send_message(s, n))
            return;
        sh->stats.xfr_messages++;
        sh->stats.xfr_records += next.records - s->xfr.records;
        s->xfr = next;
    }
}

/* One query; false when its answer must wait for send space (the query stays unconsumed). */
static bool handle(struct dns_tcp_session *s, const uint8_t *msg, size_t len)
{
    struct dns_tcp_shared *sh = s->sh;
    if (len < DNS_HDR_LEN) {
        sh->stats.bad_length++;
        return true;
    }
    struct dns_xfr x;
    if (dns_xfr_request(sh->zone, msg, len, &x) != DNS_XFR_NONE) {
        if (s->xfr_allowed) {
            sh->stats.xfr_started++;
            sh->stats.ixfr_current += x.soa_only;
            s->xfr = x;
            s->in_xfr = true;
            pump(s);
            return true;
        }
        sh->stats.xfr_refused++; /* dns_answer_stream refuses transfers */
    }
    size_t n =
        dns_answer_stream(sh->zone, msg, len, sh->buf + 2, DNS_TCP_MSG_MAX, sh->answer_stats);
    if (n == 0)
        return true; /* not to be answered (a response, ...): counted there */
    if (!send_message(s, n))
        return false;
    sh->stats.answers++;
    return true;
}

size_t dns_tcp_input(struct dns_tcp_session *s, const uint8_t *data, size_t len)
{
    size_t used = 0;
    while (!dns_tcp_busy(s) && !s->failed && len - used >= 2) {
        size_t mlen = rd16(data + used);
        if (len - used - 2 < mlen)
            break; /* the rest of this frame has not come yet */
        if (!handle(s, data + used + 2, mlen)) {
            s->waiting = true;
            break;
        }
        s->sh->stats.frames++;
        used += 2 + mlen;
    }
    if (s->failed)
        return len; /* the connection is gone: nothing is kept for it */
    if (dns_tcp_busy(s))
        s->io->pause(s->ctx);
    return used;
}

void dns_tcp_writable(struct dns_tcp_session *s)
{
    if (s->failed || !dns_tcp_busy(s))
        return; /* nothing waits for space */
    if (s->in_xfr) {
        pump(s);
        if (s->in_xfr || s->failed)
            return; /* the transfer goes on at the next one */
    }
    s->waiting = false;
    s->io->resume(s->ctx); /* the held query, or those pipelined behind the transfer */
}
