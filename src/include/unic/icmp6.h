/*
 * ICMPv6 (RFC 4443): echo replies, the error messages of the other modules (rate limited by a
 * token bucket, never about an error, a multicast or a packet from an unspecified or multicast
 * source, 2.4 (e) and (f)), and dispatch of neighbour discovery and MLD messages.
 *
 * Call order: ip6_input -> icmp6_input -> echo | nd6_* | slaac_input_ra | mld_input_query |
 *             ip6_pmtu_update (packet too big); other modules -> icmp6_send_error.
 */
#ifndef UNIC_ICMP6_H
#define UNIC_ICMP6_H

#include <stddef.h>
#include <stdint.h>

#include "unic/addr.h"
#include "unic/netbuf.h"
#include "unic/stats.h"

struct inet;
struct ip6_rx;

#define ICMP6_RATE_PER_SEC 100
#define ICMP6_RATE_BURST 50

/* clang-format off */
#define ICMP6_STATS(X)                                                                             \
    X(rx) X(rx_bad_checksum) X(rx_truncated) X(rx_echo_requests) X(rx_echo_replies)              \
    X(rx_unreachable) X(rx_too_big) X(rx_time_exceeded) X(rx_param_problem) X(rx_ns) X(rx_na)     \
    X(rx_rs) X(rx_ra) X(rx_redirect) X(rx_mld) X(rx_bad_nd) X(rx_other) X(tx_echo_replies)        \
    X(tx_echo_requests) X(tx_errors) X(tx_unreachable) X(tx_param_problem) X(tx_time_exceeded)    \
    X(tx_too_big) X(rate_limited) X(not_answered) X(no_buffer) X(errors_to_transport)
/* clang-format on */
struct icmp6_stats {
    ICMP6_STATS(STATS_FIELD)
};

/* Called for each echo reply received (a ping client's callback). */
typedef void (*icmp6_echo_reply_fn)(struct inet *inet, struct unic_addr src, uint16_t id,
                                    uint16_t seq, size_t payload_len, void *arg);

struct icmp6 {
    icmp6_echo_reply_fn on_echo_reply;
    void *echo_arg;
    uint64_t tokens_at;
    uint32_t tokens;
    struct icmp6_stats stats;
};

void icmp6_init(struct inet *inet);

/* Takes ownership of (nb): data at the ICMPv6 header, (rx) describes the IPv6 packet. */
void icmp6_input(struct inet *inet, struct netbuf *nb, const struct ip6_rx *rx);

/* Send an ICMPv6 error (type, code, and the 32-bit field after them: MTU or pointer) about
 * (orig), whose data is at the offending packet's IPv6 header. Does not take ownership.
 * Skipped (counted) when rate limited or not allowed (RFC 4443 2.4 (e): also a packet that
 * came as a link-layer multicast or broadcast); (allow_multicast) is for packet too big and
 * the unknown-option parameter problem, which may answer one. */
void icmp6_send_error(struct inet *inet, uint8_t type, uint8_t code, uint32_t param,
                      const struct netbuf *orig, bool allow_multicast);

/* Send an echo request to (dst) of (len) bytes of a byte pattern. 0 or -errno. */
int icmp6_send_echo(struct inet *inet, struct unic_addr dst, uint16_t id, uint16_t seq, size_t len);

void icmp6_print_stats(struct inet *inet, int all);

#endif
