/* The Internet checksum against a plain RFC 1071 reference (big-endian 16-bit words, one at a
 * time): random data at every alignment, odd and even lengths, running sums, chained calls, long
 * runs of 0xff that carry on every word, and the verify-to-zero property of a stored checksum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unic/wire/checksum.h"

#define BUF_SIZE (65536 + 64)

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

/* RFC 1071 as written: sum big-endian words into 32 bits, folding whenever bit 31 is set. */
static uint16_t reference_checksum(const uint8_t *p, size_t len, uint32_t sum)
{
    uint64_t acc = sum;
    for (size_t i = 0; i + 1 < len; i += 2)
        acc += (uint32_t)p[i] << 8 | p[i + 1];
    if (len & 1)
        acc += (uint32_t)p[len - 1] << 8;
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)~acc;
}

static uint8_t *random_buffer(void)
{
    uint8_t *buf = malloc(BUF_SIZE);
    assert_non_null(buf);
    for (size_t i = 0; i < BUF_SIZE; i++)
        buf[i] = (uint8_t)rng();
    return buf;
}

static void test_random_lengths_and_alignments(void **state)
{
    (void)state;
    uint8_t *buf = random_buffer();
    for (int i = 0; i < 20000; i++) {
        size_t offset = rng() % 64;
        size_t len = i < 4000 ? (size_t)(i % 200) : rng() % (i % 10 ? 1600 : 65536);
        uint32_t sum = i % 3 ? rng() : (i % 2 ? 0 : 0xffffffffu);
        assert_int_equal(csum_fold(csum_partial(buf + offset, len, sum)),
                         reference_checksum(buf + offset, len, sum));
    }
    free(buf);
}

static void test_all_ones_and_zeros(void **state)
{
    (void)state;
    uint8_t *buf = malloc(BUF_SIZE);
    assert_non_null(buf);
    memset(buf, 0xff, BUF_SIZE);
    for (size_t len = 0; len < 300; len++)
        for (size_t offset = 0; offset < 9; offset++)
            assert_int_equal(csum_fold(csum_partial(buf + offset, len, 0xfffe)),
                             reference_checksum(buf + offset, len, 0xfffe));
    assert_int_equal(csum_fold(csum_partial(buf + 1, 65535, 0)),
                     reference_checksum(buf + 1, 65535, 0));
    memset(buf, 0, BUF_SIZE);
    assert_int_equal(csum_fold(csum_partial(buf, 65535, 0)), 0xffff);
    assert_int_equal(csum_fold(csum_partial(buf + 3, 1501, 0x1234)), (uint16_t)~0x1234);
    free(buf);
}

/* A sum carried from one call into the next equals one call over both pieces (even first). */
static void test_chained_calls(void **state)
{
    (void)state;
    uint8_t *buf = random_buffer();
    for (int i = 0; i < 5000; i++) {
        size_t offset = rng() % 32, first = (rng() % 800) & ~(size_t)1, second = rng() % 800;
        uint32_t sum = csum_pseudo_ip4(rng(), rng(), 6, (uint16_t)(first + second));
        uint32_t chained =
            csum_partial(buf + offset + first, second, csum_partial(buf + offset, first, sum));
        assert_int_equal(csum_fold(chained), reference_checksum(buf + offset, first + second, sum));
    }
    free(buf);
}

/* Storing the checksum in the data makes the whole verify to 0, at any alignment. */
static void test_stored_checksum_verifies(void **state)
{
    (void)state;
    uint8_t *buf = random_buffer();
    for (int i = 0; i < 2000; i++) {
        size_t offset = rng() % 16, len = 20 + rng() % 1480;
        uint8_t *p = buf + offset;
        uint32_t pseudo = csum_pseudo_ip4(rng(), rng(), 17, (uint16_t)len);
        p[16] = p[17] = 0;
        uint16_t c = csum_fold(csum_partial(p, len, pseudo));
        p[16] = (uint8_t)(c >> 8);
        p[17] = (uint8_t)c;
        assert_int_equal(csum_fold(csum_partial(p, len, pseudo)), 0);
        p[rng() % len] ^= (uint8_t)(1u << (rng() % 8)); /* one flipped bit is always caught */
        assert_int_not_equal(csum_fold(csum_partial(p, len, pseudo)), 0);
    }
    free(buf);
}

/* The IPv6 pseudo header summed as RFC 8200 8.1 lays it out in front of the data. */
static void test_pseudo_ip6_matches_layout(void **state)
{
    (void)state;
    for (int i = 0; i < 2000; i++) {
        uint8_t block[40 + 64];
        for (size_t k = 0; k < sizeof(block); k++)
            block[k] = (uint8_t)rng();
        uint32_t len = i == 0 ? 0xffffffffu : rng() % 70000;
        uint8_t nh = (uint8_t)rng();
        block[32] = (uint8_t)(len >> 24), block[33] = (uint8_t)(len >> 16);
        block[34] = (uint8_t)(len >> 8), block[35] = (uint8_t)len;
        block[36] = block[37] = block[38] = 0, block[39] = nh;
        uint32_t pseudo = csum_pseudo_ip6(block, block + 16, nh, len);
        assert_int_equal(csum_fold(csum_partial(block + 40, 64, pseudo)),
                         reference_checksum(block, sizeof(block), 0));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_lengths_and_alignments),
        cmocka_unit_test(test_all_ones_and_zeros),
        cmocka_unit_test(test_chained_calls),
        cmocka_unit_test(test_stored_checksum_verifies),
        cmocka_unit_test(test_pseudo_ip6_matches_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
