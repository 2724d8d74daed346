/*
 * libFuzzer harness for UDP. The input: 1 flag byte, then a UDP datagram (header + payload).
 *  1. Wire: udp_parse bounds; for what parses, parse(emit(x)) gives the same header back and the
 *     same checksum (unless the input had none).
 *  2. Stack: the datagram goes in an IPv4 packet from A to B of the two-stack harness (flag bit
 *     0: fix the checksum up first, so the fuzzer gets past it; bit 1: to the broadcast). B has
 *     an echo socket on port 7 and one on 68. The callback must get a payload inside the frame;
 *     everything must go back to the pool.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "unic/udp.h"
#include "unic/wire/bytes.h"
#include "unic/wire/checksum.h"
#include "unic/wire/ip4.h"
#include "unic/wire/udp.h"

#define ADDR_A 0x0a000001u
#define ADDR_B 0x0a000002u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_wire(const uint8_t *dgram, size_t len)
{
    struct udp_hdr h, back;
    if (udp_parse(dgram, len, ADDR_A, ADDR_B, &h) != 0)
        return;
    if (h.len < UDP_HDR_LEN || h.len > len)
        abort();
    uint8_t *copy = malloc(h.len);
    memcpy(copy, dgram, h.len);
    if (udp_emit(copy, h.len, &h, ADDR_A, ADDR_B, h.len - UDP_HDR_LEN) != UDP_HDR_LEN ||
        udp_parse(copy, h.len, ADDR_A, ADDR_B, &back) != 0)
        abort();
    if (back.sport != h.sport || back.dport != h.dport || back.len != h.len)
        abort();
    /* A checksum that verifies is unique (the pseudo header is never all zero), so the
     * emitter must have written the same one. */
    if (h.checksum && back.checksum != h.checksum)
        abort();
    free(copy);
}

struct echo {
    unsigned calls;
};

static void on_recv(struct udp_sock *sock, const struct udp_meta *meta, const uint8_t *d,
                    size_t len)
{
    struct echo *e = udp_sock_user(sock);
    e->calls++;
    if (len > 65535)
        abort();
    if (len) { /* touch both ends of the payload: ASan checks they are inside the buffer */
        volatile uint8_t sink = (uint8_t)(d[0] ^ d[len - 1]);
        (void)sink;
    }
    udp_sendto(sock, meta->src, meta->sport, d, len);
}

static void feed_stack(uint8_t flags, const uint8_t *dgram, size_t len)
{
    static struct harness h;
    static const struct harness_opts opts = {.pool_buffers = 64};
    if (len > 1400)
        len = 1400;
    harness_init(&h, &opts);
    struct echo e = {0};
    udp_bind(harness_b(&h), 7, on_recv, &e, NULL);
    udp_bind(harness_b(&h), 68, on_recv, &e, NULL);
    uint8_t f[14 + 20 + 1400];
    memcpy(f, (const uint8_t[]){0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00}, 14);
    uint32_t dst = (flags & 2) ? 0xffffffffu : ADDR_B;
    if (flags & 2)
        memset(f, 0xff, 6);
    uint8_t *udp = f + 34;
    memcpy(udp, dgram, len);
    if ((flags & 1) && len >= UDP_HDR_LEN) {
        wr16(udp + 6, 0);
        uint16_t ulen = (uint16_t)len;
        uint16_t sum =
            csum_fold(csum_partial(udp, len, csum_pseudo_ip4(ADDR_A, dst, IP4_PROTO_UDP, ulen)));
        wr16(udp + 6, sum ? sum : 0xffff);
    }
    struct ip4_hdr ip = {.total_len = (uint16_t)(20 + len),
                         .ttl = 64,
                         .proto = IP4_PROTO_UDP,
                         .src = ADDR_A,
                         .dst = dst,
                         .id = 1};
    ip4_emit(f + 14, 20, &ip);
    harness_inject(&h, SIDE_B, f, 34 + len);
    harness_run(&h, 3 * NSEC_PER_SEC);
    if (harness_destroy(&h) != 0)
        abort(); /* a leaked buffer */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t *dgram = malloc(size); /* exact size: ASan catches any read past the end */
    memcpy(dgram, data + 1, size - 1);
    check_wire(dgram, size - 1);
    feed_stack(data[0], dgram, size - 1);
    free(dgram);
    return 0;
}
