/* The Internet checksum (RFC 1071): a one's-complement sum of 16-bit big-endian words.
 *
 * The sum is independent of byte order (RFC 1071 2(B)): we add the data as native 64-bit words
 * with end-around carry, fold to 16 bits and swap the bytes once at the end on a little-endian
 * machine. That is about a fifth of an instruction per byte instead of two and a half. */
#include "unic/wire/checksum.h"

#include <string.h>

#define IS_LITTLE_ENDIAN (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof(w)); /* unaligned loads are fine: the sum needs no alignment */
    return w;
}

/* acc + w with the carry out of bit 63 added back in (one's-complement addition). */
static inline uint64_t add_carry(uint64_t acc, uint64_t w)
{
    uint64_t sum;
    return __builtin_add_overflow(acc, w, &sum) ? sum + 1 : sum;
}

#if defined(__x86_64__) && !defined(UNIC_CSUM_GENERIC) /* the generic loop: tests */
typedef struct {
    uint8_t bytes[64];
} block64;

/* x86-64: 64 bytes per step in one carry chain (add, then adc into the same register), as
 * Linux's csum_partial does: one instruction per 8 bytes instead of two, and no add->adc
 * dependency pair per word. */
static uint64_t sum_blocks(uint64_t acc, const uint8_t **pp, size_t *lenp)
{
    const uint8_t *p = *pp;
    for (; *lenp >= 64; p += 64, *lenp -= 64)
        __asm__("addq 0(%[p]), %[acc]\n\t"
                "adcq 8(%[p]), %[acc]\n\t"
                "adcq 16(%[p]), %[acc]\n\t"
                "adcq 24(%[p]), %[acc]\n\t"
                "adcq 32(%[p]), %[acc]\n\t"
                "adcq 40(%[p]), %[acc]\n\t"
                "adcq 48(%[p]), %[acc]\n\t"
                "adcq 56(%[p]), %[acc]\n\t"
                "adcq $0, %[acc]"
                : [acc] "+r"(acc)
                : [p] "r"(p), "m"(*(const block64 *)p)
                : "cc");
    *pp = p;
    return acc;
}
#else
static uint64_t sum_blocks(uint64_t acc, const uint8_t **pp, size_t *lenp)
{
    const uint8_t *p = *pp;
    for (; *lenp >= 32; p += 32, *lenp -= 32) {
        acc = add_carry(acc, load64(p));
        acc = add_carry(acc, load64(p + 8));
        acc = add_carry(acc, load64(p + 16));
        acc = add_carry(acc, load64(p + 24));
    }
    *pp = p;
    return acc;
}
#endif

/* Native-order one's-complement sum of (len) bytes, folded to 16 bits (still native order). */
static uint16_t sum_native(const uint8_t *p, size_t len)
{
    uint64_t acc = sum_blocks(0, &p, &len);
    for (; len >= 8; p += 8, len -= 8)
        acc = add_carry(acc, load64(p));
    /* The last 0..7 bytes: each piece stays at its offset's parity within a 16-bit lane. */
    uint64_t tail = 0;
    if (len & 4) {
        uint32_t w;
        memcpy(&w, p, sizeof(w));
        tail += w;
        p += 4;
    }
    if (len & 2) {
        uint16_t w;
        memcpy(&w, p, sizeof(w));
        tail += w;
        p += 2;
    }
    if (len & 1) /* padded with a zero byte after it (RFC 1071) */
        tail += IS_LITTLE_ENDIAN ? p[0] : (uint64_t)p[0] << 8;
    acc = add_carry(acc, tail);
    uint64_t s = (acc & 0xffffffffu) + (acc >> 32); /* at most 33 bits */
    s = (s & 0xffff) + (s >> 16);                   /* at most 18 bits */
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

uint32_t csum_partial(const void *data, size_t len, uint32_t sum)
{
    uint16_t s = sum_native(data, len);
    if (IS_LITTLE_ENDIAN)
        s = (uint16_t)(s << 8 | s >> 8);
    uint64_t acc = (uint64_t)sum + s;
    return (uint32_t)((acc & 0xffffffffu) + (acc >> 32));
}

uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint32_t csum_pseudo_ip4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t l4_len)
{
    uint64_t s = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + l4_len;
    while (s >> 32)
        s = (s & 0xffffffffu) + (s >> 32);
    return (uint32_t)s;
}

uint32_t csum_pseudo_ip6(const uint8_t src[16], const uint8_t dst[16], uint8_t next_header,
                         uint32_t l4_len)
{
    uint64_t s = (l4_len >> 16) + (l4_len & 0xffff) + next_header;
    for (int i = 0; i < 16; i += 2)
        s += (uint32_t)(src[i] << 8 | src[i + 1]) + (uint32_t)(dst[i] << 8 | dst[i + 1]);
    while (s >> 32)
        s = (s & 0xffffffffu) + (s >> 32);
    return (uint32_t)s;
}
