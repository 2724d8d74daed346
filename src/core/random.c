/*
 * A fast key-erasure CSPRNG (ChaCha20 block function, as OpenBSD's arc4random and Linux's
 * get_random_bytes): keyed from plat_random(), each block's first 32 bytes become the next key
 * so earlier outputs cannot be recomputed; rekeyed from the platform every RANDOM_RESEED_BLOCKS.
 * Hand-written because the kvm kernel has no libc to borrow it from; it is ~60 lines.
 */
#include "unic/random.h"

#include <string.h>

#include "unic/platform.h"

#define RANDOM_RESEED_BLOCKS 16384

struct random_state {
    uint32_t key[8];
    uint32_t counter;
    uint8_t out[32]; /* unused output bytes of the last block */
    size_t out_left;
    unsigned blocks_since_seed;
    int seeded;
};

static struct random_state rng;

static inline uint32_t rotl32(uint32_t v, int n)
{
    return (v << n) | (v >> (32 - n));
}

#define QR(a, b, c, d)                                                                             \
    a += b, d ^= a, d = rotl32(d, 16), c += d, b ^= c, b = rotl32(b, 12), a += b, d ^= a,          \
                    d = rotl32(d, 8), c += d, b ^= c, b = rotl32(b, 7)

static void chacha20_block(const uint32_t key[8], uint32_t counter, uint32_t out[16])
{
    uint32_t in[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, key[0], key[1],
                       key[2],     key[3],     key[4],     key[5],     key[6], key[7],
                       counter,    0,          0,          0};
    uint32_t x[16];
    memcpy(x, in, sizeof(x));
    for (int i = 0; i < 10; i++) {
        QR(x[0], x[4], x[8], x[12]), QR(x[1], x[5], x[9], x[13]);
        QR(x[2], x[6], x[10], x[14]), QR(x[3], x[7], x[11], x[15]);
        QR(x[0], x[5], x[10], x[15]), QR(x[1], x[6], x[11], x[12]);
        QR(x[2], x[7], x[8], x[13]), QR(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++)
        out[i] = x[i] + in[i];
}

static void random_refill(void)
{
    if (!rng.seeded || rng.blocks_since_seed >= RANDOM_RESEED_BLOCKS) {
        uint32_t fresh[8];
        plat_random(fresh, sizeof(fresh));
        for (int i = 0; i < 8; i++)
            rng.key[i] ^= fresh[i];
        rng.seeded = 1;
        rng.blocks_since_seed = 0;
    }
    uint32_t block[16];
    chacha20_block(rng.key, rng.counter++, block);
    memcpy(rng.key, block, 32); /* key erasure */
    memcpy(rng.out, block + 8, 32);
    memset(block, 0, sizeof(block));
    rng.out_left = 32;
    rng.blocks_since_seed++;
}

void random_bytes(void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n) {
        if (!rng.out_left)
            random_refill();
        size_t take = n < rng.out_left ? n : rng.out_left;
        uint8_t *src = rng.out + (32 - rng.out_left);
        memcpy(p, src, take);
        memset(src, 0, take);
        rng.out_left -= take;
        p += take;
        n -= take;
    }
}

uint32_t random_u32(void)
{
    uint32_t v;
    random_bytes(&v, sizeof(v));
    return v;
}

uint64_t random_u64(void)
{
    uint64_t v;
    random_bytes(&v, sizeof(v));
    return v;
}

uint32_t random_uniform(uint32_t bound)
{
    if (bound < 2)
        return 0;
    uint32_t min = (uint32_t)(-bound) % bound; /* reject the biased low values */
    for (;;) {
        uint32_t r = random_u32();
        if (r >= min)
            return r % bound;
    }
}

/* SipHash-2-4 (Aumasson & Bernstein), reference algorithm. */
static inline uint64_t rotl64(uint64_t v, int n)
{
    return (v << n) | (v >> (64 - n));
}

static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

#define SIPROUND(v0, v1, v2, v3)                                                                   \
    v0 += v1, v1 = rotl64(v1, 13), v1 ^= v0, v0 = rotl64(v0, 32), v2 += v3, v3 = rotl64(v3, 16),   \
              v3 ^= v2, v0 += v3, v3 = rotl64(v3, 21), v3 ^= v0, v2 += v1, v1 = rotl64(v1, 17),    \
              v1 ^= v2, v2 = rotl64(v2, 32)

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
    uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
    size_t full = len & ~(size_t)7;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = load_le64(p + i);
        v3 ^= m;
        SIPROUND(v0, v1, v2, v3);
        SIPROUND(v0, v1, v2, v3);
        v0 ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t i = 0; i < (len & 7); i++)
        b |= (uint64_t)p[full + i] << (8 * i);
    v3 ^= b;
    SIPROUND(v0, v1, v2, v3);
    SIPROUND(v0, v1, v2, v3);
    v0 ^= b;
    v2 ^= 0xff;
    for (int i = 0; i < 4; i++)
        SIPROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}
