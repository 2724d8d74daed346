/* The kvm platform's libc subset (src/platform/kvm/libc/printf.c and strtol.c, compiled here
 * with a kvm_libc_ prefix) against the host C library: every supported conversion with every
 * flag combination C defines for it, widths and precisions, edge values, random values, and
 * strtol/strtoul/strtoll/strtoull on signs, bases, overflow both ways and end pointers. */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
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
    SAME("[%-10.2f][%-8f][%-+9.3f][% f][% .2f]", 3.14159, -1.5, 2.0, 1.0, -1.0);
    SAME("[%010.3f][%+010.3f][%#.0f][%.0f]", -3.5, 3.5, 2.0, 2.0);
    SAME("[%f][%f][%f][%5f][%-6f|][%+f][% f]", INFINITY, -INFINITY, NAN, INFINITY, INFINITY,
         INFINITY, INFINITY);
    SAME("[%f][%010f][%.2f]", -NAN, INFINITY, -0.0);
    SAME("[%.0f][%.0f][%.0f][%.0f][%.2f][%.1f]", 0.5, 1.5, 2.5, 3.5, 0.125, 0.25);
    SAME("[%f][%.3f][%f]", 1e20, 1.8446744073709552e19, 1e300);
    SAME("[%f][%.9f][%f][%f]", DBL_MAX, DBL_MIN, 4.9e-324, 0.9999999);
    SAME("[%.9f][%.3f][%.1f]", 0.9999999999, 9.9995, -0.05);
    SAME("[%hhd][%hd][%lld][%zu][%5.3d][%-5.0d|][%.0d]", (signed char)-128, (short)-32768,
         LLONG_MIN, SIZE_MAX, 7, 0, 0);
    SAME("[%5s][%-5s][%.1s][%s]", "ab", "ab", "ab", "");
    SAME("[%*d][%-*d][%.*f]", 6, 42, 6, 42, 2, 1.005);
    assert_int_equal(mismatches, 0);
}

static double random_double(void)
{
    switch (rng() % 6) {
    case 0: /* a few decimals: exact ties and near-ties show up */
        return (double)((int64_t)(rng() % 2000001) - 1000000) / 8.0;
    case 1:
        return (double)((int64_t)(rng() % 20000001) - 10000000) / 1000.0;
    case 2: { /* any finite bit pattern */
        uint64_t bits = rng();
        double d;
        if (((bits >> 52) & 0x7ff) == 0x7ff)
            bits &= ~(1ull << 62);
        memcpy(&d, &bits, sizeof(d));
        return d;
    }
    case 3:
        return (double)(rng() >> (rng() % 64)) * ((rng() & 1) ? -1.0 : 1.0);
    case 4:
        return ldexp((double)(rng() >> 11), -(int)(rng() % 80));
    default:
        return (rng() & 1) ? INFINITY : ((rng() & 1) ? NAN : -NAN);
    }
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
        random_spec(fmt, sizeof(fmt), "-+ 0#", 9, 'f', "");
        double d = random_double();
        SAME(fmt, d);
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
