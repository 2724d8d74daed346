/*
 * IPv6 on the two-stack harness (harness.h), for the unit tests: both stacks started (link-local
 * fe80::ff:fe00:1 and fe80::ff:fe00:2 from their MACs), static fd00::1/64 and fd00::2/64, and
 * builders of raw IPv6 frames a third host (THIRD_MAC, fe80::9) injects.
 */
#ifndef UNIC_TEST_IP6_H
#define UNIC_TEST_IP6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "frames.h"
#include "harness.h"
#include "unic/ip6_stack.h"
#include "unic/wire/checksum.h"
#include "unic/wire/icmp6.h"
#include "unic/wire/ip6.h"

static inline struct unic_addr ip6_test_addr(const char *text)
{
    struct unic_addr a;
    if (unic_addr_parse(text, &a) < 0)
        memset(&a, 0xee, sizeof(a));
    return a;
}

static inline bool ip6_test_dad_done(void *arg)
{
    struct harness *h = arg;
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < IP6_MAX_ADDRS; i++)
            if (h->stack[s].ip6.addrs[i].state == IP6_ADDR_TENTATIVE)
                return false;
    return true;
}

/* Start IPv6 on both sides, with (global) the static fd00::1/64 and fd00::2/64 too, and run
 * until duplicate address detection is over (at most 3 s of virtual time). */
static inline bool ip6_test_up(struct harness *h, bool global)
{
    for (int s = 0; s < 2; s++) {
        ip6_start(&h->stack[s], true);
        if (global)
            ip6_addr_add(&h->stack[s], ip6_test_addr(s ? "fd00::2" : "fd00::1"), 64,
                         IP6_ORIGIN_STATIC, TIMER_NEVER, TIMER_NEVER);
    }
    return harness_run_until(h, ip6_test_dad_done, h, 3 * NSEC_PER_SEC);
}

/* Ethernet + IPv6 header from the third host (fe80::9 unless (src) is given) to (dst) at MAC
 * (dst_mac); returns 54 (the payload goes after it). */
static inline size_t frame_ip6(uint8_t *p, const uint8_t dst_mac[6], struct unic_addr src,
                               struct unic_addr dst, uint8_t nh, uint16_t payload_len,
                               uint8_t hop_limit)
{
    size_t n = frame_eth(p, dst_mac, 0x86dd);
    struct ip6_hdr h = {.payload_len = payload_len, .next_header = nh, .hop_limit = hop_limit};
    memcpy(h.src, src.bytes, 16);
    memcpy(h.dst, dst.bytes, 16);
    ip6_emit(p + n, 40, &h);
    return n + 40;
}

/* The ICMPv6 checksum of (len) bytes at (icmp) for (src, dst), written in place. */
static inline void frame_icmp6_sum(uint8_t *icmp, size_t len, struct unic_addr src,
                                   struct unic_addr dst)
{
    wr16(icmp + 2, 0);
    uint32_t sum = csum_pseudo_ip6(src.bytes, dst.bytes, 58, (uint32_t)len);
    wr16(icmp + 2, csum_fold(csum_partial(icmp, len, sum)));
}

/* An echo request body (type 128) of (len) payload bytes at (p), checksum left to the caller. */
static inline size_t frame_icmp6_echo(uint8_t *p, uint16_t id, uint16_t seq, size_t len)
{
    p[0] = 128;
    p[1] = 0;
    wr16(p + 2, 0);
    wr16(p + 4, id);
    wr16(p + 6, seq);
    for (size_t i = 0; i < len; i++)
        p[8 + i] = (uint8_t)i;
    return 8 + len;
}

#endif
