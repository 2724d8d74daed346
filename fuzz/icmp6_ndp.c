/*
 * libFuzzer harness for ICMPv6, neighbour discovery, MLD and router advertisements. The wire
 * parsers first (nd_opts_parse on the input as options, icmp6_parse), then the input as an
 * ICMPv6 message from the third host fe80::9 to stack B with a correct checksum: the first
 * byte picks the destination (B's link-local address, all nodes, B's solicited-node group)
 * and the hop limit (255 or 64), the rest is the message. Invariants: every table stays in its
 * bounds (addresses, routers, neighbour queue), no buffer leaks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ip6_test.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1); /* exact-size copy: ASan sees overreads */
    memcpy(copy, data, size);
    struct nd_opts o;
    if (nd_opts_parse(copy, size, &o) == 0 &&
        (o.prefix_count > ND_PREFIX_MAX || o.rdnss_count > ND_RDNSS_MAX))
        abort();
    struct icmp6_hdr ih;
    static const uint8_t zero[16];
    icmp6_parse(copy, size, zero, zero, &ih);
    free(copy);
    if (size < 1 || size > 1400)
        return 0;

    static struct harness h;
    static const struct harness_opts opts = {.pool_buffers = 256};
    harness_init(&h, &opts);
    if (!ip6_test_up(&h, true))
        abort();
    static const char *const dsts[3] = {"fe80::ff:fe00:2", "ff02::1", "ff02::1:ff00:2"};
    struct unic_addr src = ip6_test_addr("fe80::9"), dst = ip6_test_addr(dsts[data[0] % 3]);
    uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x02};
    if (dst.bytes[0] == 0xff)
        ip6_multicast_mac(dst.bytes, mac);
    uint8_t frame[1500];
    size_t body = size - 1;
    size_t n = frame_ip6(frame, mac, src, dst, 58, (uint16_t)body, (data[0] & 0x80) ? 64 : 255);
    memcpy(frame + n, data + 1, body);
    if (body >= 4)
        frame_icmp6_sum(frame + n, body, src, dst);
    harness_inject(&h, SIDE_B, frame, n + body);
    harness_run(&h, 5 * NSEC_PER_SEC); /* DAD of any SLAAC address, MLD answers, probes */
    struct inet *b = harness_b(&h);
    if (b->ip6.nd.queued_total > ND6_QUEUE_TOTAL || b->ip6.link_mtu < IP6_MIN_MTU ||
        b->ip6.link_mtu > b->mtu)
        abort();
    harness_run(&h, 3 * 3600 * NSEC_PER_SEC);
    if (harness_destroy(&h) != 0)
        abort(); /* a leaked buffer */
    return 0;
}
