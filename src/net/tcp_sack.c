/*
 * Selective acknowledgements (RFC 2018) in both directions, and the pipe estimate of RFC 6675.
 *
 * Both sides keep a small sorted array of disjoint [start, end) ranges:
 *  - send side (c->sacked): what the peer reported holding above snd_una (the scoreboard);
 *  - receive side (c->ooo): out-of-order data already written into the receive ring.
 * The arrays are bounded. A full scoreboard gives up its highest range (we retransmit data the
 * peer has: time, never correctness). The receive side never gives up a range: the peer was
 * told it holds that data (SACK), and a sender that keeps its scoreboard would wait for a
 * timeout to resend it (RFC 2018 8 allows reneging but it costs a timeout); a segment that
 * would need one range more is refused instead. Out-of-order data so stays bounded by the
 * receive window in bytes, and the in-order segment is always taken, so the hole at rcv_nxt
 * always fills and the ranges merge down.
 */
#include <string.h>

#include "tcp_internal.h"

/* Insert [start, end) into the sorted, disjoint (ranges) of (*n) entries (capacity cap),
 * merging neighbours; when it needs a range more and there is no room, (evict) gives up the
 * highest one for it. Returns the index of the range that now holds it, or -1 if it was
 * dropped for lack of room. */
static int ranges_add(struct tcp_sack_block *r, uint8_t *n, unsigned cap, uint32_t start,
                      uint32_t end, bool evict)
{
    unsigned i = 0;
    while (i < *n && seq_lt(r[i].end, start))
        i++;
    if (i < *n && seq_le(r[i].start, end)) { /* overlaps or touches r[i]: merge forward */
        r[i].start = seq_min(r[i].start, start);
        r[i].end = seq_max(r[i].end, end);
        while (i + 1 < *n && seq_le(r[i + 1].start, r[i].end)) {
            r[i].end = seq_max(r[i].end, r[i + 1].end);
            memmove(&r[i + 1], &r[i + 2], (*n - i - 2) * sizeof(*r));
            (*n)--;
        }
        return (int)i;
    }
    if (*n == cap) {
        if (i == cap || !evict)
            return -1; /* above everything we keep, or we keep everything */
        (*n)--;        /* give up the highest range */
    }
    memmove(&r[i + 1], &r[i], (*n - i) * sizeof(*r));
    r[i].start = start;
    r[i].end = end;
    (*n)++;
    return (int)i;
}

/* ---------------------------------------------------------------- send side (scoreboard) */

static void scoreboard_sums(struct tcp_conn *c)
{
    uint32_t bytes = 0;
    for (unsigned i = 0; i < c->n_sacked; i++)
        bytes += c->sacked[i].end - c->sacked[i].start;
    c->sacked_bytes = bytes;
    c->high_sack = c->n_sacked ? c->sacked[c->n_sacked - 1].end : c->snd_una;
}

bool tcp_sack_update(struct tcp_conn *c, const struct tcp_opts *o)
{
    uint32_t before = c->sacked_bytes;
    for (unsigned i = 0; i < o->sack_count; i++) {
        uint32_t s = o->sack[i].start, e = o->sack[i].end;
        /* Ignore D-SACKs (below snd_una) and blocks for data never sent. */
        if (!seq_lt(s, e) || seq_lt(s, c->snd_una) || seq_gt(e, c->snd_max))
            continue;
        if (tcp_conn_ranges(c) < 0)
            break; /* no memory: recovery goes on without this news (as if it were lost) */
        ranges_add(c->sacked, &c->n_sacked, TCP_MAX_SCOREBOARD, s, e, true);
    }
    scoreboard_sums(c);
    return c->sacked_bytes > before;
}

/* snd_una moved: forget what is now cumulatively acknowledged. An ACK that stops at or inside
 * a range the peer SACKed means it no longer holds that data (it reneged, RFC 2018 8: a
 * receiver holding it would have acknowledged past it): the scoreboard is then no guide to
 * what the peer has, and is forgotten, so recovery resends from snd_una. */
void tcp_sack_advance(struct tcp_conn *c)
{
    unsigned drop = 0;
    while (drop < c->n_sacked && seq_le(c->sacked[drop].end, c->snd_una))
        drop++;
    if (drop)
        memmove(c->sacked, c->sacked + drop, (c->n_sacked - drop) * sizeof(c->sacked[0]));
    c->n_sacked = (uint8_t)(c->n_sacked - drop);
    if (c->n_sacked && seq_le(c->sacked[0].start, c->snd_una)) {
        TCP_COUNT(c->tcp, rx_sack_reneging);
        c->n_sacked = 0;
        c->rtx_nxt = c->snd_una; /* every hole is due again */
    }
    scoreboard_sums(c);
    tcp_conn_ranges_trim(c);
}

void tcp_sack_clear(struct tcp_conn *c)
{
    c->n_sacked = 0;
    scoreboard_sums(c);
    tcp_conn_ranges_trim(c);
}

bool tcp_sack_is_sacked(const struct tcp_conn *c, uint32_t seq, uint32_t *run_end)
{
    for (unsigned i = 0; i < c->n_sacked; i++) {
        if (seq_lt(seq, c->sacked[i].start))
            return false;
        if (seq_lt(seq, c->sacked[i].end)) {
            *run_end = c->sacked[i].end;
            return true;
        }
    }
    return false;
}

/* First sequence at or above (from) the peer does not hold; (*hole_end): where the hole ends
 * (the next SACKed range, or high_sack when there is none). */
uint32_t tcp_sack_next_hole(const struct tcp_conn *c, uint32_t from, uint32_t *hole_end)
{
    *hole_end = c->high_sack;
    for (unsigned i = 0; i < c->n_sacked; i++) {
        if (seq_lt(from, c->sacked[i].start)) {
            *hole_end = c->sacked[i].start;
            return from;
        }
        if (seq_lt(from, c->sacked[i].end))
            from = c->sacked[i].end;
    }
    return from;
}

static uint32_t sacked_between(const struct tcp_conn *c, uint32_t from, uint32_t to)
{
    uint32_t n = 0;
    for (unsigned i = 0; i < c->n_sacked; i++) {
        uint32_t s = seq_max(c->sacked[i].start, from), e = seq_min(c->sacked[i].end, to);
        if (seq_lt(s, e))
            n += e - s;
    }
    return n;
}

/* RFC 6675 pipe: bytes in flight, taking every hole below the highest SACK as lost until it is
 * retransmitted (rtx_nxt marks how far retransmission got). */
uint32_t tcp_sack_pipe(const struct tcp_conn *c)
{
    uint32_t flight = c->snd_max - c->snd_una - c->sacked_bytes;
    uint32_t from = seq_max(c->rtx_nxt, c->snd_una);
    if (!seq_lt(from, c->high_sack))
        return flight;
    uint32_t lost = (c->high_sack - from) - sacked_between(c, from, c->high_sack);
    return flight > lost ? flight - lost : 0;
}

/* ----------------------------------------------------------- receive side (out of order) */

bool tcp_ooo_add(struct tcp_conn *c, uint32_t start, uint32_t end)
{
    if (tcp_conn_ranges(c) < 0)
        return false;
    int i = ranges_add(c->ooo, &c->n_ooo, TCP_MAX_OOO_RANGES, start, end, false);
    if (i < 0)
        return false;
    c->ooo_recent = (uint8_t)i;
    return true;
}

/* rcv_nxt advanced: drop ranges it covers; return how many bytes beyond rcv_nxt are now in
 * order (the caller moves rcv_nxt past them). */
uint32_t tcp_ooo_take(struct tcp_conn *c)
{
    uint32_t gained = 0;
    while (c->n_ooo && seq_le(c->ooo[0].start, c->rcv_nxt + gained)) {
        if (seq_gt(c->ooo[0].end, c->rcv_nxt + gained))
            gained = c->ooo[0].end - c->rcv_nxt;
        memmove(c->ooo, c->ooo + 1, (c->n_ooo - 1) * sizeof(c->ooo[0]));
        c->n_ooo--;
    }
    c->ooo_recent = 0;
    tcp_conn_ranges_trim(c);
    return gained;
}

/* SACK blocks for an outgoing ACK: the most recently changed range first (RFC 2018 4). */
unsigned tcp_ooo_blocks(const struct tcp_conn *c, struct tcp_sack_block *out, unsigned max)
{
    unsigned n = 0;
    if (!c->n_ooo || !max)
        return 0;
    unsigned recent = c->ooo_recent < c->n_ooo ? c->ooo_recent : 0;
    out[n++] = c->ooo[recent];
    for (unsigned i = 0; i < c->n_ooo && n < max; i++)
        if (i != recent)
            out[n++] = c->ooo[i];
    return n;
}
