/*
 * ICMP: echo reply (also for pings that arrived fragmented: ip4 reassembles first), and
 * destination unreachable for other modules, rate limited by a token bucket
 * (ICMP_RATE_PER_SEC, burst ICMP_RATE_BURST) as RFC 1812 4.3.2.8 asks. RFC 1122 3.2.2: no
 * error answers an ICMP error, an IP or link-layer broadcast or multicast, a non-first
 * fragment, or a source that is no single host (0/8, 127/8, 224/4, 240/4, a broadcast):
 * counted as not_answered.
 */
#ifndef UNIC_ICMP_H
#define UNIC_ICMP_H

#include <stddef.h>
#include <stdint.h>

#include "unic/netbuf.h"
#include "unic/stats.h"
#include "unic/wire/ip4.h"

struct inet;

#define ICMP_RATE_PER_SEC 100
#define ICMP_RATE_BURST 50

/* clang-format does not settle on one layout for X-macro lists. */
/* clang-format off */
#define ICMP_STATS(X)                                                                              \
    X(rx)                                                                                          \
    X(rx_bad_checksum) X(rx_truncated) X(rx_echo_requests) X(rx_echo_replies) X(rx_unreachable)    \
        X(rx_other) X(tx_echo_replies) X(tx_unreachable) X(tx_too_big) X(rate_limited) X(no_buffer)     \
            X(not_answered) X(errors_to_transport) X(tx_time_exceeded)
/* clang-format on */
struct icmp_stats {
    ICMP_STATS(STATS_FIELD)
};

/* Called for each echo reply received (a ping client's callback). */
typedef void (*icmp_echo_reply_fn)(struct inet *inet, uint32_t src, uint16_t id, uint16_t seq,
                                   size_t payload_len, void *arg);

struct icmp {
    icmp_echo_reply_fn on_echo_reply;
    void *echo_arg;
    uint64_t tokens_at; /* when tokens was last refilled */
    uint32_t tokens;
    struct icmp_stats stats;
};

void icmp_init(struct inet *inet);

/* Takes ownership of (nb): data at the ICMP header, the IP header (ip) just before it. */
void icmp_input(struct inet *inet, struct netbuf *nb, const struct ip4_hdr *ip);

/* Send destination unreachable (code) about (orig): data at the offending packet's IPv4
 * header. Does not take ownership of (orig). Silently skipped (and counted) when rate
 * limited, or when orig is itself an ICMP error, a fragment other than the first, or was sent
 * to a broadcast/multicast address. */
void icmp_send_unreachable(struct inet *inet, uint8_t code, const struct netbuf *orig);

/* The same for time exceeded (code 1: fragment reassembly time exceeded, RFC 1122 3.3.2). */
void icmp_send_time_exceeded(struct inet *inet, uint8_t code, const struct netbuf *orig);

/* Send an echo request to (dst) with (len) bytes of (payload) (NULL: a byte pattern); the
 * datagram is fragmented when it exceeds the MTU. 0 or -errno (-EMSGSIZE over 65507 bytes). */
int icmp_send_echo(struct inet *inet, uint32_t dst, uint16_t id, uint16_t seq, const void *payload,
                   size_t len);

void icmp_print_stats(struct inet *inet, int all);

#endif
