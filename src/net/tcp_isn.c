/*
 * Initial sequence numbers (RFC 6528), timestamp offsets and ephemeral ports (RFC 6056).
 *
 * ISN = M + F(localip, localport, remoteip, remoteport, secretkey): M is a clock ticking every
 * 4 microseconds, F is SipHash-2-4 under a key drawn at attach time, over the tuple in either
 * family (tcp_tuple). Successive incarnations of
 * one 4-tuple get increasing ISNs, so a new SYN lands above the old connection's sequence space
 * (what makes TIME_WAIT reuse safe), while other tuples' ISNs are unpredictable.
 */
#include <errno.h>
#include <string.h>

#include "tcp_internal.h"
#include "unic/random.h"
#include "unic/wire/bytes.h"

size_t tcp_tuple(uint8_t t[TCP_TUPLE_MAX], struct unic_addr laddr, uint16_t lport,
                 struct unic_addr raddr, uint16_t rport)
{
    size_t n = 0;
    if (unic_addr_is_ip4(laddr)) { /* the 4-byte values: IPv4 hashes what it always did */
        wr32(t, unic_addr_to_ip4(laddr));
        wr32(t + 4, unic_addr_to_ip4(raddr));
        n = 8;
    } else {
        memcpy(t, laddr.bytes, 16);
        memcpy(t + 16, raddr.bytes, 16);
        n = 32;
    }
    wr16(t + n, lport);
    wr16(t + n + 2, rport);
    return n + 4;
}

static uint64_t tuple_hash(const uint8_t key[16], struct unic_addr laddr, uint16_t lport,
                           struct unic_addr raddr, uint16_t rport)
{
    uint8_t t[TCP_TUPLE_MAX];
    return siphash24(key, t, tcp_tuple(t, laddr, lport, raddr, rport));
}

uint32_t tcp_isn(struct tcp *tcp, struct unic_addr laddr, uint16_t lport, struct unic_addr raddr,
                 uint16_t rport)
{
    if (tcp->force_isn) {
        tcp->force_isn = false;
        return tcp->forced_isn;
    }
    uint32_t m = (uint32_t)(inet_now(tcp->inet) / 4000);
    return m + (uint32_t)tuple_hash(tcp->isn_key, laddr, lport, raddr, rport);
}

/* Per-connection timestamp offset (RFC 7323 5.4), recomputable for SYN cookies. */
uint32_t tcp_ts_offset(struct tcp *tcp, struct unic_addr laddr, uint16_t lport,
                       struct unic_addr raddr, uint16_t rport)
{
    return (uint32_t)(tuple_hash(tcp->isn_key, laddr, lport, raddr, rport) >> 32);
}

/* A random free port (RFC 6056 algorithm 1): random start, then linear probing. */
int tcp_pick_port(struct tcp *tcp, struct unic_addr laddr, struct unic_addr raddr, uint16_t rport,
                  uint16_t *port)
{
    const uint32_t range = 65536 - TCP_EPHEMERAL_LOW;
    uint32_t start = random_uniform(range);
    for (uint32_t i = 0; i < range; i++) {
        uint16_t p = (uint16_t)(TCP_EPHEMERAL_LOW + (start + i) % range);
        if (tcp_find_listener(tcp, p))
            continue;
        if (!tcp_tuple_in_use(tcp, laddr, p, raddr, rport)) {
            *port = p;
            return 0;
        }
    }
    return -EADDRNOTAVAIL;
}
