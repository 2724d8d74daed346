/*
 * strtoul/strtol and friends for the kvm platform (hand-written: see string.c for why).
 * Base 0 accepts 0x.. hex and 0.. octal like C; overflow saturates and sets errno to ERANGE.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

static int digit_value(char c)
{
    if (isdigit(c))
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

/* Parse the magnitude; (*neg) receives the sign. On overflow: ULLONG_MAX, errno ERANGE and
 * (*overflow) set. */
static unsigned long long parse_magnitude(const char *s, char **end, int base, bool *neg,
                                          bool *overflow)
{
    const char *p = s;
    while (isspace(*p))
        p++;
    *neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
        isxdigit(p[2])) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    const char *digits = p;
    unsigned long long v = 0;
    *overflow = false;
    for (int d; (d = digit_value(*p)) < base; p++) {
        if (v > (ULLONG_MAX - (unsigned)d) / (unsigned)base)
            *overflow = true;
        v = v * (unsigned)base + (unsigned)d;
    }
    if (end)
        *end = (char *)(p == digits ? s : p);
    if (*overflow) {
        errno = ERANGE;
        return ULLONG_MAX;
    }
    return v;
}

/* C11 7.22.1.4: a negative number is negated in the unsigned type, but a magnitude out of
 * range gives ULLONG_MAX whatever the sign. */
unsigned long long strtoull(const char *s, char **end, int base)
{
    bool neg, overflow;
    unsigned long long v = parse_magnitude(s, end, base, &neg, &overflow);
    return neg && !overflow ? -v : v;
}

unsigned long strtoul(const char *s, char **end, int base)
{
    return (unsigned long)strtoull(s, end, base);
}

long long strtoll(const char *s, char **end, int base)
{
    bool neg, overflow;
    unsigned long long v = parse_magnitude(s, end, base, &neg, &overflow);
    if (neg && v > (unsigned long long)LLONG_MAX + 1) {
        errno = ERANGE;
        return LLONG_MIN;
    }
    if (neg)
        return v == 0 ? 0 : -(long long)(v - 1) - 1;
    if (v > LLONG_MAX) {
        errno = ERANGE;
        return LLONG_MAX;
    }
    return (long long)v;
}

long strtol(const char *s, char **end, int base)
{
    return (long)strtoll(s, end, base); /* long is 64 bits, as long long */
}

int atoi(const char *s)
{
    return (int)strtol(s, NULL, 10);
}

int abs(int v)
{
    return v < 0 ? -v : v;
}

long labs(long v)
{
    return v < 0 ? -v : v;
}
