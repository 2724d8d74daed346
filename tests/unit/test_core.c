/* Core utilities: packet buffers and their pool, the command line, random, siphash. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unic/config.h"
#include "unic/netbuf.h"
#include "unic/random.h"

static void test_pool_exhaustion_returns_null_and_counts(void **state)
{
    (void)state;
    struct netbuf_pool pool;
    struct netbuf *bufs[4];
    assert_int_equal(netbuf_pool_init(&pool, 4, 0), 0);
    for (int i = 0; i < 4; i++)
        assert_non_null(bufs[i] = netbuf_alloc(&pool));
    assert_null(netbuf_alloc(&pool));
    assert_int_equal(pool.stats.exhausted, 1);
    netbuf_free(bufs[2]);
    assert_ptr_equal(netbuf_alloc(&pool), bufs[2]);
    for (int i = 0; i < 4; i++)
        netbuf_free(bufs[i]);
    assert_int_equal(pool.in_use, 0);
    netbuf_pool_destroy(&pool);
}

static void test_push_pull_put_respect_bounds(void **state)
{
    (void)state;
    struct netbuf_pool pool;
    assert_int_equal(netbuf_pool_init(&pool, 1, 0), 0);
    struct netbuf *nb = netbuf_alloc(&pool);
    assert_int_equal(netbuf_headroom(nb), NETBUF_HEADROOM);
    assert_non_null(netbuf_put(nb, 100));
    assert_non_null(netbuf_push(nb, 20));
    assert_int_equal(nb->len, 120);
    assert_null(netbuf_push(nb, NETBUF_HEADROOM)); /* only HEADROOM-20 left */
    assert_null(netbuf_pull(nb, 121));
    assert_non_null(netbuf_pull(nb, 120));
    assert_int_equal(nb->len, 0);
    assert_null(netbuf_put(nb, NETBUF_POOL_BUF_SIZE));
    netbuf_free(nb);
    netbuf_pool_destroy(&pool);
}

static void test_large_buffers_respect_budget(void **state)
{
    (void)state;
    struct netbuf_pool pool;
    assert_int_equal(netbuf_pool_init(&pool, 2, 20000), 0);
    struct netbuf *a = netbuf_alloc_size(&pool, 9000);
    assert_non_null(a);
    assert_true(a->large);
    assert_true(netbuf_tailroom(a) >= 9000);
    assert_null(netbuf_alloc_size(&pool, 12000)); /* would exceed 20000 */
    assert_int_equal(pool.stats.large_refused, 1);
    netbuf_free(a);
    struct netbuf *b = netbuf_alloc_size(&pool, 12000);
    assert_non_null(b);
    netbuf_free(b);
    assert_null(netbuf_alloc_size(&pool, 70000)); /* beyond any IPv4 datagram */
    assert_int_equal(pool.large_bytes, 0);
    netbuf_pool_destroy(&pool);
}

/* netbuf_alloc_size at every size boundary: the pool/large border, the largest buffer, and sizes
 * near SIZE_MAX whose headroom sum wraps (a wrap once gave a tiny buffer claiming a huge
 * tailroom). Whatever comes back is written in full, so ASan sees any lie about its room. */
static void test_alloc_size_boundaries(void **state)
{
    (void)state;
    const size_t pool_room = NETBUF_POOL_BUF_SIZE - NETBUF_HEADROOM;
    const size_t max_room = NETBUF_MAX_SIZE - NETBUF_HEADROOM;
    const struct {
        size_t size;
        bool served, large;
    } cases[] = {
        {0, true, false},
        {pool_room, true, false},
        {pool_room + 1, true, true},
        {max_room, true, true},
        {max_room + 1, false, false},
        {SIZE_MAX / 2, false, false},
        {SIZE_MAX - NETBUF_HEADROOM - sizeof(struct netbuf), false, false},
        {SIZE_MAX - NETBUF_HEADROOM, false, false},
        {SIZE_MAX - NETBUF_HEADROOM + 1, false, false},
        {SIZE_MAX, false, false},
    };
    struct netbuf_pool pool;
    assert_int_equal(netbuf_pool_init(&pool, 2, NETBUF_MAX_SIZE), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t refused = pool.stats.large_refused;
        struct netbuf *nb = netbuf_alloc_size(&pool, cases[i].size);
        if (!cases[i].served) {
            assert_null(nb);
            assert_int_equal(pool.stats.large_refused, refused + 1);
            continue;
        }
        assert_non_null(nb);
        assert_int_equal(nb->large, cases[i].large);
        assert_true(netbuf_tailroom(nb) >= cases[i].size);
        assert_true(netbuf_tailroom(nb) <= max_room);
        memset(netbuf_put(nb, netbuf_tailroom(nb)), 0xa5, nb->len);
        netbuf_free(nb);
    }
    /* The budget is checked without overflow too: exactly the budget fits, one more does not. */
    struct netbuf *whole = netbuf_alloc_size(&pool, max_room);
    assert_non_null(whole);
    assert_null(netbuf_alloc_size(&pool, pool_room + 1));
    netbuf_free(whole);
    assert_int_equal(pool.large_bytes, 0);
    netbuf_pool_destroy(&pool);
}

/* A pool whose byte size does not fit a size_t is refused before anything is allocated. */
static void test_pool_init_size_overflow(void **state)
{
    (void)state;
    struct netbuf_pool pool;
    assert_int_equal(netbuf_pool_init(&pool, SIZE_MAX / NETBUF_POOL_BUF_SIZE + 1, 0), -ENOMEM);
    assert_int_equal(netbuf_pool_init(&pool, SIZE_MAX, 0), -ENOMEM);
    assert_int_equal(netbuf_pool_init(&pool, 1, 0), 0);
    netbuf_pool_destroy(&pool);
}

static int parse(struct unic_config *cfg, const char *line, char *err)
{
    static char buf[512];
    static char *argv[64];
    strcpy(buf, line);
    int argc = config_split(buf, argv, 64);
    return config_parse(cfg, argc, argv, err, 128);
}

static void test_config_parses_all_options(void **state)
{
    (void)state;
    struct unic_config cfg;
    char err[128];
    assert_int_equal(
        parse(&cfg,
              "dns --ip 10.1.0.2/16 --gw 10.1.0.1 --mac 02:aa:bb:cc:dd:0e --tap t0 "
              "--loss 0.02 --reorder .5 --seed 7 --verbose --no-offload -- --records 42",
              err),
        0);
    assert_true(cfg.have_ip);
    assert_int_equal(cfg.ip, 0x0a010002);
    assert_int_equal(cfg.prefix_len, 16);
    assert_int_equal(cfg.gateway, 0x0a010001);
    assert_int_equal(cfg.mac[5], 0x0e);
    assert_string_equal(cfg.tap, "t0");
    assert_int_equal(cfg.fault.loss_ppb, 20000000);
    assert_int_equal(cfg.fault.reorder_ppb, 500000000);
    assert_true(cfg.fault.seeded);
    assert_int_equal(cfg.verbosity, 1);
    assert_true(cfg.no_offload);
    assert_int_equal(cfg.service_argc, 3);
    assert_string_equal(cfg.service_argv[0], "dns");
    assert_string_equal(cfg.service_argv[1], "--records");
    assert_string_equal(cfg.service_argv[2], "42");
    assert_null(cfg.service_argv[3]);
}

static void test_config_ip6_options(void **state)
{
    (void)state;
    struct unic_config cfg;
    char err[128];
    assert_int_equal(
        parse(&cfg, "x --ip6 fd00::2/48 --ip6 2001:db8::5 --gw6 fe80::1 --no-dhcp", err), 0);
    assert_int_equal(cfg.ip6_count, 2);
    assert_int_equal(cfg.ip6[0].prefix_len, 48);
    assert_int_equal(cfg.ip6[1].prefix_len, 64); /* the default */
    assert_int_equal(cfg.ip6[1].addr.bytes[15], 5);
    assert_int_equal(cfg.gw6.bytes[0], 0xfe);
    assert_true(cfg.no_dhcp);
    assert_false(cfg.no_ip6);
    assert_int_equal(parse(&cfg, "x --no-ip6", err), 0);
    assert_true(cfg.no_ip6);
    const char *bad[] = {"x --ip6 10.0.0.1/24",
                         "x --ip6 ff02::1",
                         "x --ip6 fd00::1/129",
                         "x --ip6 ::/64",
                         "x --gw6 10.0.0.1",
                         "x --no-ip6 --ip6 fd00::1",
                         "x --ip6 fd00::1 --ip6 fd00::2 --ip6 fd00::3 --ip6 fd00::4 --ip6 fd00::5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        assert_int_not_equal(parse(&cfg, bad[i], err), 0);
        assert_true(strlen(err) > 5);
    }
}

/* Probabilities are exact parts per billion, 0 and 1 included (no floating point on kvm). */
static void test_config_probability_is_fixed_point(void **state)
{
    (void)state;
    struct unic_config cfg;
    char err[128];
    assert_int_equal(
        parse(&cfg, "x --loss 1 --duplicate .000000001 --reorder 0 --corrupt 1.0", err), 0);
    assert_int_equal(cfg.fault.loss_ppb, FAULT_PPB_ONE);
    assert_int_equal(cfg.fault.duplicate_ppb, 1);
    assert_int_equal(cfg.fault.reorder_ppb, 0);
    assert_int_equal(cfg.fault.corrupt_ppb, FAULT_PPB_ONE);
    assert_int_not_equal(parse(&cfg, "x --loss 1.000000001", err), 0);
    assert_int_not_equal(parse(&cfg, "x --loss 0.0000000001", err), 0);
}

static void test_config_rejects_bad_input_with_message(void **state)
{
    (void)state;
    struct unic_config cfg;
    char err[128];
    const char *bad[] = {
        "x --ip 10.0.0.300/24", "x --ip 10.0.0.1/33",        "x --bogus", "x --loss 1.5",
        "x --loss abc",         "x --mac 01:00:00:00:00:00", "x --gw",    "x --seed -1",
        "x --ip 10.0.0/24",     "x --no-offload=yes"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        assert_int_not_equal(parse(&cfg, bad[i], err), 0);
        assert_true(strlen(err) > 5);
        assert_null(strchr(err, '\n'));
    }
}

static void test_config_split_handles_quotes(void **state)
{
    (void)state;
    char line[] = "  a 'b c'  \"d\"e  ";
    char *argv[8];
    assert_int_equal(config_split(line, argv, 8), 3);
    assert_string_equal(argv[0], "a");
    assert_string_equal(argv[1], "b c");
    assert_string_equal(argv[2], "de");
    char many[] = "1 2 3 4";
    assert_int_equal(config_split(many, argv, 3), -7 /* -E2BIG */);
}

static void test_random_uniform_stays_in_bound(void **state)
{
    (void)state;
    int seen[10] = {0};
    for (int i = 0; i < 10000; i++) {
        uint32_t v = random_uniform(10);
        assert_true(v < 10);
        seen[v]++;
    }
    for (int i = 0; i < 10; i++)
        assert_true(seen[i] > 800 && seen[i] < 1200);
    assert_int_not_equal(random_u64(), random_u64());
}

static void test_siphash_reference_vector(void **state)
{
    (void)state;
    /* From the SipHash paper, appendix A: key 00..0f, message 00..0e. */
    uint8_t key[16], msg[15];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 15; i++)
        msg[i] = (uint8_t)i;
    assert_true(siphash24(key, msg, 15) == 0xa129ca6149be45e5ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_exhaustion_returns_null_and_counts),
        cmocka_unit_test(test_push_pull_put_respect_bounds),
        cmocka_unit_test(test_large_buffers_respect_budget),
        cmocka_unit_test(test_alloc_size_boundaries),
        cmocka_unit_test(test_pool_init_size_overflow),
        cmocka_unit_test(test_config_parses_all_options),
        cmocka_unit_test(test_config_ip6_options),
        cmocka_unit_test(test_config_rejects_bad_input_with_message),
        cmocka_unit_test(test_config_split_handles_quotes),
        cmocka_unit_test(test_config_probability_is_fixed_point),
        cmocka_unit_test(test_random_uniform_stays_in_bound),
        cmocka_unit_test(test_siphash_reference_vector),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
