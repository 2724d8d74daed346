/* Builders of raw frames for unit tests (a third host injecting onto the virtual wire). */
#ifndef UNIC_TEST_FRAMES_H
#define UNIC_TEST_FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "unic/wire/bytes.h"
#include "unic/wire/checksum.h"

#define THIRD_MAC 0x02, 0, 0, 0, 0, 0x09
#define THIRD_IP 0x0a000009u

/* Ethernet header to (dst_mac) from the third host; returns 14. */
static inline size_t frame_eth(uint8_t *p, const uint8_t dst_mac[6], uint16_t type)
{
    static const uint8_t src[6] = {THIRD_MAC};
    memcpy(p, dst_mac, 6);
    memcpy(p + 6, src, 6);
    wr16(p + 12, type);
    return 14;
}

/* IPv4 header (20 bytes) with a correct checksum. frag_off in bytes. */
static inline size_t frame_ip4(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto,
                               uint16_t total_len, uint16_t id, uint16_t frag_off, int mf)
{
    p[0] = 0x45;
    p[1] = 0;
    wr16(p + 2, total_len);
    wr16(p + 4, id);
    wr16(p + 6, (uint16_t)((frag_off / 8) | (mf ? 0x2000 : 0)));
    p[8] = 64;
    p[9] = proto;
    wr16(p + 10, 0);
    wr32(p + 12, src);
    wr32(p + 16, dst);
    wr16(p + 10, ip_checksum(p, 20));
    return 20;
}

/* ICMP echo request with (len) payload bytes (i & 0xff) and a correct checksum. */
static inline size_t frame_icmp_echo(uint8_t *p, uint16_t id, uint16_t seq, size_t len)
{
    p[0] = 8;
    p[1] = 0;
    wr16(p + 2, 0);
    wr16(p + 4, id);
    wr16(p + 6, seq);
    for (size_t i = 0; i < len; i++)
        p[8 + i] = (uint8_t)i;
    wr16(p + 2, ip_checksum(p, 8 + len));
    return 8 + len;
}

#endif
