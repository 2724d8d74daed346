/* struct unic_addr: constructors, comparison, parsing and formatting of both families, checked
 * against the host's inet_pton / inet_ntop (the same rules a service writer knows). */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unic/addr.h"

static void test_ip4_constructor_is_v4_mapped(void **state)
{
    (void)state;
    struct unic_addr a = unic_addr_ip4(0x0a000102);
    static const uint8_t want[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 1, 2};
    assert_memory_equal(a.bytes, want, 16);
    assert_true(unic_addr_is_ip4(a));
    assert_int_equal(unic_addr_to_ip4(a), 0x0a000102);
    char text[UNIC_ADDR_STRLEN];
    assert_string_equal(unic_addr_format(a, text), "10.0.1.2");
}

static void test_ip6_is_not_ip4(void **state)
{
    (void)state;
    uint8_t b[16] = {0xfd, 0, [15] = 1};
    struct unic_addr a = unic_addr_ip6(b);
    assert_false(unic_addr_is_ip4(a));
    assert_int_equal(unic_addr_to_ip4(a), 0);
    char text[UNIC_ADDR_STRLEN];
    assert_string_equal(unic_addr_format(a, text), "fd00::1");
}

static void test_equal_and_compare(void **state)
{
    (void)state;
    struct unic_addr a = unic_addr_ip4(0x0a000001), b = unic_addr_ip4(0x0a000002), c;
    assert_int_equal(unic_addr_parse("10.0.0.1", &c), 0);
    assert_true(unic_addr_equal(a, c));
    assert_false(unic_addr_equal(a, b));
    assert_true(unic_addr_compare(a, b) < 0);
    assert_true(unic_addr_compare(b, a) > 0);
    assert_int_equal(unic_addr_compare(a, c), 0);
    /* The IPv4 address and its explicit mapped IPv6 text are one value. */
    assert_int_equal(unic_addr_parse("::ffff:10.0.0.1", &c), 0);
    assert_true(unic_addr_equal(a, c));
    assert_int_equal(unic_addr_parse("::ffff:a00:1", &c), 0);
    assert_true(unic_addr_equal(a, c));
}

static void test_unspecified(void **state)
{
    (void)state;
    struct unic_addr a;
    assert_true(unic_addr_is_unspecified(unic_addr_ip4(0)));
    assert_int_equal(unic_addr_parse("::", &a), 0);
    assert_true(unic_addr_is_unspecified(a));
    assert_false(unic_addr_is_unspecified(unic_addr_ip4(1)));
    assert_int_equal(unic_addr_parse("::1", &a), 0);
    assert_false(unic_addr_is_unspecified(a));
    assert_false(unic_addr_equal(unic_addr_ip4(0), a));
}

/* Each text: unic_addr_parse accepts it exactly when inet_pton does, with the same bytes. */
static const char *const parse_cases[] = {"0.0.0.0",
                                          "255.255.255.255",
                                          "10.0.0.1",
                                          "1.2.3.4",
                                          "256.1.1.1",
                                          "1.2.3",
                                          "1.2.3.4.5",
                                          "01.2.3.4",
                                          "1..2.3",
                                          "1.2.3.4 ",
                                          " 1.2.3.4",
                                          "1.2.3.",
                                          ".1.2.3",
                                          "1.2.3.-4",
                                          "",
                                          "::",
                                          "::1",
                                          "1::",
                                          "1::2",
                                          "fd00::1",
                                          "FD00::ABCD",
                                          "2001:db8:0:0:1:0:0:1",
                                          "1:2:3:4:5:6:7:8",
                                          "1:2:3:4:5:6:7::",
                                          "::2:3:4:5:6:7:8",
                                          "1:2:3:4:5:6:7:8::",
                                          "::1:2:3:4:5:6:7:8",
                                          "1:2:3:4:5:6:7",
                                          "1:2:3:4:5:6:7:8:9",
                                          ":1::2",
                                          "1::2:",
                                          "1:::2",
                                          "1::2::3",
                                          "12345::",
                                          "g::",
                                          "::ffff:1.2.3.4",
                                          "::1.2.3.4",
                                          "1:2:3:4:5:6:1.2.3.4",
                                          "1:2:3:4:5:6:7:1.2.3.4",
                                          "::ffff:1.2.3",
                                          "::ffff:256.1.1.1",
                                          "1.2.3.4::",
                                          "::ffff:1.2.3.4:1",
                                          "0:0:0:0:0:0:0:0",
                                          "00000::",
                                          "0000::",
                                          "fe80::1%eth0",
                                          ":",
                                          ":::",
                                          "1:",
                                          "::1.2.3.04"};

static void test_parse_matches_inet_pton(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        const char *t = parse_cases[i];
        uint8_t v4[4], v6[16];
        struct unic_addr a, want;
        bool ok4 = inet_pton(AF_INET, t, v4) == 1, ok6 = !ok4 && inet_pton(AF_INET6, t, v6) == 1;
        if (ok4)
            want = unic_addr_ip4((uint32_t)v4[0] << 24 | (uint32_t)v4[1] << 16 |
                                 (uint32_t)v4[2] << 8 | v4[3]);
        else if (ok6)
            want = unic_addr_ip6(v6);
        int r = unic_addr_parse(t, &a);
        if (r != ((ok4 || ok6) ? 0 : -EINVAL) || (r == 0 && !unic_addr_equal(a, want)))
            fail_msg("\"%s\": unic_addr_parse %d, inet_pton %s", t, r, ok4 || ok6 ? "ok" : "no");
    }
}

/* RFC 5952 section 4 and its examples. */
static void test_format_rfc5952(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
        {"2001:db8:0:0:0:0:2:1", "2001:db8::2:1"},
        {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"}, /* one zero group: no "::" */
        {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},          /* the longest run */
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},    /* the first of equal runs */
        {"2001:DB8::AB", "2001:db8::ab"},
        {"0:0:0:0:0:0:0:0", "::"},
        {"0:0:0:0:0:0:0:1", "::1"},
        {"1:0:0:0:0:0:0:0", "1::"},
        {"fe80:0:0:0:0:0:0:0", "fe80::"},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
        {"::ffff:192.0.2.1", "192.0.2.1"}, /* IPv4 prints as IPv4 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct unic_addr a;
        char text[UNIC_ADDR_STRLEN];
        assert_int_equal(unic_addr_parse(cases[i][0], &a), 0);
        assert_string_equal(unic_addr_format(a, text), cases[i][1]);
    }
}

/* Random addresses (many zero groups, to exercise "::"): the text parses back to the value,
 * inet_pton reads the same bytes, and it is no longer than inet_ntop's. */
static void test_format_round_trip_random(void **state)
{
    (void)state;
    srand(12345);
    for (int n = 0; n < 20000; n++) {
        uint8_t b[16];
        for (int i = 0; i < 16; i += 2) {
            int kind = rand() % 4;
            b[i] = kind < 2 ? 0 : (uint8_t)rand();
            b[i + 1] = kind < 2 ? 0 : kind == 2 ? (uint8_t)rand() : 0;
        }
        struct unic_addr a = n % 5 == 0 ? unic_addr_ip4((uint32_t)rand() * 2654435761u)
                                        : unic_addr_ip6(b),
                         back;
        char text[UNIC_ADDR_STRLEN], host[INET6_ADDRSTRLEN];
        unic_addr_format(a, text);
        assert_true(strlen(text) < UNIC_ADDR_STRLEN);
        assert_int_equal(unic_addr_parse(text, &back), 0);
        assert_true(unic_addr_equal(a, back));
        if (unic_addr_is_ip4(a)) {
            assert_int_equal(inet_pton(AF_INET, text, b), 1);
            assert_memory_equal(b, a.bytes + 12, 4);
        } else {
            uint8_t v6[16];
            assert_int_equal(inet_pton(AF_INET6, text, v6), 1);
            assert_memory_equal(v6, a.bytes, 16);
            inet_ntop(AF_INET6, a.bytes, host, sizeof(host));
            if (memcmp(a.bytes, (uint8_t[12]){0}, 12) != 0) /* glibc writes ::a.b.c.d there */
                assert_string_equal(text, host);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ip4_constructor_is_v4_mapped),
        cmocka_unit_test(test_ip6_is_not_ip4),
        cmocka_unit_test(test_equal_and_compare),
        cmocka_unit_test(test_unspecified),
        cmocka_unit_test(test_parse_matches_inet_pton),
        cmocka_unit_test(test_format_rfc5952),
        cmocka_unit_test(test_format_round_trip_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
