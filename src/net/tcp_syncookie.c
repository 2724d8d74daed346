/*
 * SYN cookies: when a listener's half-open backlog is full (a SYN flood), answer SYNs without
 * keeping state, and rebuild the connection from the ACK that completes the handshake.
 *
 * The ISS we send is the cookie:
 *   bits 31..27  t, a counter of 16-second periods (mod 32): a cookie is good for COOKIE_AGES
 *                periods after its own, so it lives 128..144 s (Linux's: 60..120 s). A client
 *                whose last ACK of the handshake was lost has no connection here until its
 *                first data, which may come minutes later (a pool of idle connections); the
 *                counter wraps after 512 s, beyond any age taken.
 *   bits 26..24  index of the MSS in mss_table (the largest not above the peer's)
 *   bits 23..0   SipHash-2-4(secret; addresses, ports, peer ISN, t, MSS index), low 24 bits
 *                (the addresses of either family, as tcp_tuple() lays them out)
 * When the SYN carried timestamps, the low 5 bits of our TSval carry what else the SYN said:
 * bit 4 SACK permitted, bits 3..0 the peer's window scale (15: none). Without timestamps the
 * connection goes without window scaling and SACK (we could not remember them).
 */
#include <string.h>

#include "tcp_internal.h"
#include "unic/random.h"
#include "unic/wire/bytes.h"

#define COOKIE_PERIOD_NS (16 * NSEC_PER_SEC)
#define COOKIE_AGES 8
#define TS_NO_WSCALE 0xf

/* The first entry is the smallest MSS the stack uses at all (take_syn_options), so that a peer
 * announcing less than the second still gets no segment larger than it asked for. */
static const uint16_t mss_table[8] = {88, 216, 536, 1220, 1360, 1440, 1460, 8960};

static uint32_t cookie_hash(const struct tcp *tcp, const struct tcp_seg *seg, uint32_t irs,
                            uint32_t t, unsigned mss_idx)
{
    uint8_t m[TCP_TUPLE_MAX + 9];
    size_t n = tcp_tuple(m, seg->dst, seg->h.dport, seg->src, seg->h.sport);
    wr32(m + n, irs);
    wr32(m + n + 4, t);
    m[n + 8] = (uint8_t)mss_idx;
    return (uint32_t)siphash24(tcp->cookie_key, m, n + 9) & 0xffffff;
}

static uint32_t period(const struct tcp *tcp)
{
    return (uint32_t)(inet_now(tcp->inet) / COOKIE_PERIOD_NS);
}

/* Our TSval with the low 5 bits replaced by (bits), never ahead of (now): the connection's
 * later segments carry now and after, and timestamps must not go back (RFC 7323 5.4), or the
 * peer's PAWS drops our first data. */
static uint32_t cookie_ts(uint32_t now, uint32_t bits)
{
    uint32_t ts = (now & ~0x1fu) | bits;
    return seq_gt(ts, now) ? ts - 0x20u : ts;
}

void tcp_syncookie_send(struct tcp *tcp, struct tcp_listener *l, const struct tcp_seg *seg)
{
    (void)l;
    const struct tcp_opts *in = &seg->h.opts;
    uint16_t peer_mss = in->has_mss ? in->mss : TCP_DEFAULT_MSS;
    unsigned idx = 0;
    while (idx + 1 < 8 && mss_table[idx + 1] <= peer_mss)
        idx++;
    uint32_t t = period(tcp);
    uint32_t iss =
        ((t & 0x1f) << 27) | ((uint32_t)idx << 24) | cookie_hash(tcp, seg, seg->h.seq, t, idx);

    struct tcp_opts o;
    memset(&o, 0, sizeof(o));
    uint32_t mtu_mss = tcp_our_mss(tcp->inet, seg->src);
    o.has_mss = true;
    o.mss = (uint16_t)(mtu_mss < 1460 ? mtu_mss : 1460);
    if (in->has_ts && tcp->params.timestamps) {
        uint32_t now = (uint32_t)(inet_now(tcp->inet) / NSEC_PER_MSEC) +
                       tcp_ts_offset(tcp, seg->dst, seg->h.dport, seg->src, seg->h.sport);
        uint32_t ws = (in->has_wscale && tcp->params.window_scale) ? in->wscale : TS_NO_WSCALE;
        if (ws > TCP_MAX_WSCALE && ws != TS_NO_WSCALE)
            ws = TCP_MAX_WSCALE;
        bool sack = in->sack_ok && tcp->params.sack;
        o.has_ts = true;
        o.ts_val = cookie_ts(now, (sack ? 0x10u : 0) | ws);
        o.ts_ecr = in->ts_val;
        o.sack_ok = sack;
        o.has_wscale = ws != TS_NO_WSCALE;
        o.wscale = tcp_pick_wscale(tcp->params.rcv_buf);
    }
    TCP_COUNT(tcp, syn_cookies_sent);              /* a failure to transmit counts as tx_ip_error */
    tcp->cookie_sent_at = inet_now(tcp->inet) + 1; /* 0 stays "never" at time 0 */
    tcp_send_synack_stateless(tcp, seg, iss, &o, (uint16_t)tcp_cookie_wnd(tcp));
}

bool tcp_syncookie_valid(struct tcp *tcp, const struct tcp_seg *seg)
{
    uint32_t cookie = seg->h.ack - 1, irs = seg->h.seq - 1;
    uint32_t now_t = period(tcp);
    uint32_t age = (now_t - (cookie >> 27)) & 0x1f;
    unsigned idx = (cookie >> 24) & 7;
    if ((seg->h.flags & (TCP_SYN | TCP_RST | TCP_ACK)) != TCP_ACK)
        return false;
    return age <= COOKIE_AGES &&
           cookie_hash(tcp, seg, irs, now_t - age, idx) == (cookie & 0xffffff);
}

bool tcp_syncookie_live(const struct tcp *tcp)
{
    return tcp->cookie_sent_at &&
           inet_now(tcp->inet) + 1 - tcp->cookie_sent_at <= (COOKIE_AGES + 1) * COOKIE_PERIOD_NS;
}

struct tcp_conn *tcp_syncookie_accept(struct tcp *tcp, struct tcp_listener *l,
                                      const struct tcp_seg *seg)
{
    uint32_t cookie = seg->h.ack - 1;
    unsigned idx = (cookie >> 24) & 7;
    if (!tcp_syncookie_valid(tcp, seg)) {
        TCP_COUNT(tcp, syn_cookies_bad);
        return NULL;
    }
    struct tcp_opts syn;
    memset(&syn, 0, sizeof(syn));
    const struct tcp_opts *in = &seg->h.opts;
    if (in->has_ts && tcp->params.timestamps) {
        uint32_t bits = in->ts_ecr & 0x1f;
        syn.has_ts = true;
        syn.ts_val = in->ts_val;
        syn.sack_ok = (bits & 0x10) != 0;
        syn.has_wscale = (bits & 0xf) != TS_NO_WSCALE;
        syn.wscale = (uint8_t)(bits & 0xf);
    }
    return tcp_conn_from_cookie(tcp, l, seg, cookie, mss_table[idx], &syn);
}
