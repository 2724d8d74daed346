/* The kvm platform's libc subset (src/platform/kvm/libc/printf.c and strtol.c, compiled here
 * with a kvm_libc_ prefix) against the host C library: every supported conversion (no %f: the
 * image has no floating point) with every flag combination C defines for it, widths and
 * precisions, edge values, random values, and strtol/strtoul/strtoll/strtoull on signs, bases,
 * overflow both ways and end pointers. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

int kvm_libc_snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
    __attribute__((format(printf, 3, 4)));
unsigned long kvm_libc_strtoul(const char *s, char **end, int base);
unsigned long long kvm_libc_strtoull(const char *s, char **end, int base);
long kvm_libc_strtol(const char *s, char **end, int base);
long long kvm_libc_strtoll(const char *s, char **end, int base);

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static unsigned mismatches;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Both libraries format the same values (each argument is evaluated twice); a difference is
 * printed and counted. */
#define SAME(fmt, ...)                                                                             \
    do {                                                                                           \
        char want_[512], got_[512];                                                                \
        int nw_ = snprintf(want_, sizeof(want_), fmt, __VA_ARGS__);                                \
        int ng_ = kvm_libc_snprintf(got_, sizeof(got_), fmt, __VA_ARGS__);                         \
        if (nw_ != ng_ || strcmp(want_, got_) != 0) {                                              \
            if (mismatches++ < 40)                                                                 \
                print_error("\"%s\": host \"%s\" (%d), subset \"%s\" (%d)\n", fmt, want_, nw_,     \
                            got_, ng_);                                                            \
        }                                                                                          \
    } while (0)

/* A conversion specification: "%" + some of (flags) + maybe a width + maybe a precision. */
static void random_spec(char *out, size_t size, const char *flags, int max_precision, char conv,
                        const char *length)
{
    char f[8];
    size_t n = 0;
    for (const char *p = flags; *p; p++)
        if (rng() & 1)
            f[n++] = *p;
    f[n] = 0;
    char width[16] = "", prec[16] = "";
    if (rng() & 1)
        snprintf(width, sizeof(width), "%d", (int)(rng() % 24));
    if (max_precision >= 0 && (rng() & 1))
        snprintf(prec, sizeof(prec), ".%d", (int)(rng() % (unsigned)(max_precision + 1)));
    snprintf(out, size, "[%%%s%s%s%s%c]", f, width, prec, length, conv);
}

static void test_printf_fixed_cases(void **state)
{
    (void)state;
    mismatches = 0;
    SAME("[%5c][%-5c][%c]", 'x', 'y', 'z');
    SAME("[%#x][%#X][%#o][%#x][%#o][%#.0o]", 255u, 255u, 8u, 0u, 0u, 0u);
    SAME("[%#08x][%#-8x][%#.5x]", 0x1fu, 0x1fu, 0x1fu);
    SAME("[% d][% d][% 5d][% 05d]", 5, -5, 5, 5);
    SAME("[%hhd][%hd][%lld][%zu][%5.3d][%-5.0d|][%.0d]", (signed char)-128, (short)-32768,
         LLONG_MIN, SIZE_MAX, 7, 0, 0);
    SAME("[%5s][%-5s][%.1s][%s]", "ab", "ab", "ab", "");
    SAME("[%*d][%-*d][%.*d]", 6, 42, 6, 42, 3, 7);
    assert_int_equal(mismatches, 0);
}

static void test_printf_random(void **state)
{
    (void)state;
    mismatches = 0;
    char fmt[64];
    for (int i = 0; i < 20000; i++) {
        int64_t v = (int64_t)rng() >> (rng() % 64);
        random_spec(fmt, sizeof(fmt), "-+ 0", 24, (rng() & 1) ? 'd' : 'i', "ll");
        SAME(fmt, (long long)v);
        random_spec(fmt, sizeof(fmt), "-+ 0", 24, 'd', "");
        SAME(fmt, (int)v);
        static const char unsigned_convs[] = "uxXo";
        char conv = unsigned_convs[rng() % 4];
        random_spec(fmt, sizeof(fmt), conv == 'u' ? "-0" : "-0#", 24, conv, "l");
        SAME(fmt, (unsigned long)v);
        random_spec(fmt, sizeof(fmt), "-0#", 24, conv == 'u' ? 'x' : conv, "hh");
        SAME(fmt, (unsigned char)v);
        random_spec(fmt, sizeof(fmt), "-", -1, 'c', "");
        int ch = (int)(' ' + rng() % 95);
        SAME(fmt, ch);
        random_spec(fmt, sizeof(fmt), "-", 8, 's', "");
        SAME(fmt, "unic kvm");
    }
    assert_int_equal(mismatches, 0);
}

static void test_snprintf_truncation(void **state)
{
    (void)state;
    char small[6];
    for (size_t size = 0; size <= sizeof(small); size++) {
        memset(small, 'X', sizeof(small));
        int n = kvm_libc_snprintf(small, size, "%-4c|%#x", 'a', 0xabu);
        assert_int_equal(n, 9);
        if (size)
            assert_int_equal(strncmp(small, "a   |0xab", size - 1), 0);
        if (size)
            assert_int_equal(small[size - 1], '\0');
        if (size < sizeof(small))
            assert_int_equal(small[size], 'X');
    }
}

struct strtol_case {
    const char *s;
    int base;
};

static const struct strtol_case strtol_cases[] = {
    {"0", 10},
    {"-1", 10},
    {"+1", 10},
    {"  -0x10", 16},
    {"-0x10", 0},
    {"017", 0},
    {"-017", 0},
    {"0x", 0},
    {"0xg", 16},
    {"zz", 36},
    {"-zz", 36},
    {"   ", 10},
    {"-", 10},
    {"18446744073709551615", 10},
    {"18446744073709551616", 10},
    {"-18446744073709551615", 10},
    {"-18446744073709551616", 10},
    {"-99999999999999999999", 10},
    {"99999999999999999999", 10},
    {"9223372036854775807", 10},
    {"9223372036854775808", 10},
    {"-9223372036854775808", 10},
    {"-9223372036854775809", 10},
    {"-ffffffffffffffff", 16},
    {"-10000000000000000", 16},
    {"1111111111111111111111111111111111111111111111111111111111111111", 2},
    {"-11111111111111111111111111111111111111111111111111111111111111111", 2},
    {"12abc", 10},
    {"\t\n 42 ", 10},
};

#define SAME_STRTO(fn, type)                                                                       \
    do {                                                                                           \
        char *we, *ge;                                                                             \
        errno = 0;                                                                                 \
        type w = fn(c->s, &we, c->base);                                                           \
        int werr = errno;                                                                          \
        errno = 0;                                                                                 \
        type g = kvm_libc_##fn(c->s, &ge, c->base);                                                \
        int gerr = errno;                                                                          \
        if (w != g || we != ge || werr != gerr) {                                                  \
            if (mismatches++ < 40)                                                                 \
                print_error(#fn "(\"%s\", %d): host %lld end+%td errno %d, subset %lld end+%td "   \
                                "errno %d\n",                                                      \
                            c->s, c->base, (long long)w, we - c->s, werr, (long long)g, ge - c->s, \
                            gerr);                                                                 \
        }                                                                                          \
    } while (0)

static void test_strtol_family(void **state)
{
    (void)state;
    mismatches = 0;
    for (size_t i = 0; i < sizeof(strtol_cases) / sizeof(strtol_cases[0]); i++) {
        const struct strtol_case *c = &strtol_cases[i];
        SAME_STRTO(strtoul, unsigned long);
        SAME_STRTO(strtoull, unsigned long long);
        SAME_STRTO(strtol, long);
        SAME_STRTO(strtoll, long long);
    }
    for (int i = 0; i < 20000; i++) {
        char s[32];
        int64_t v = (int64_t)rng() >> (rng() % 64);
        static const int bases[] = {0, 8, 10, 16, 36};
        struct strtol_case rc = {s, bases[rng() % 5]};
        const struct strtol_case *c = &rc;
        snprintf(s, sizeof(s), rc.base == 16 ? "%s%llx" : "%s%llu", v < 0 ? "-" : "",
                 v < 0 ? -(unsigned long long)v : (unsigned long long)v);
        SAME_STRTO(strtoul, unsigned long);
        SAME_STRTO(strtoll, long long);
    }
    assert_int_equal(mismatches, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_printf_fixed_cases),
        cmocka_unit_test(test_printf_random),
        cmocka_unit_test(test_snprintf_truncation),
        cmocka_unit_test(test_strtol_family),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
