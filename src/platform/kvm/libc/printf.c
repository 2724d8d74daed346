/*
 * vsnprintf/snprintf for the kvm platform (hand-written: see string.c for why).
 *
 * Supports what the OS prints: flags "-0+ #", width and precision (numbers or *), length
 * modifiers hh h l ll z j t, conversions d i u x X o p s c f %. %f is fixed-point with at most
 * 9 decimals (enough for probabilities and rates; no exponent form), correctly rounded, with
 * inf and nan. tests/unit/test_kvm_libc.c compares all of it with the host's C library.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct out {
    char *buf;
    size_t size;
    size_t len; /* would-be length, may exceed size */
};

struct spec {
    bool left, zero, plus, space, alt;
    int width, precision; /* precision -1: none */
    int length;           /* 0, 'H' (hh), 'h', 'l', 'L' (ll and wider) */
};

/* The integer part of DBL_MAX has 309 digits. */
#define DOUBLE_DIGITS_MAX 330

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void pad(struct out *o, char c, int n)
{
    for (int i = 0; i < n; i++)
        put(o, c);
}

/* One field: (prefix) (sign, 0x), then (zeros) '0's, then (n) bytes of (body), padded to the
 * width with spaces (left or right) or, when (zero_fill), with '0's after the prefix. */
static void put_field(struct out *o, const struct spec *sp, const char *prefix, int zeros,
                      const char *body, int n, bool zero_fill)
{
    int plen = (int)strlen(prefix);
    int fill = sp->width - (plen + zeros + n);
    if (fill < 0)
        fill = 0;
    if (zero_fill && !sp->left) {
        zeros += fill;
        fill = 0;
    }
    if (!sp->left)
        pad(o, ' ', fill);
    for (int i = 0; i < plen; i++)
        put(o, prefix[i]);
    pad(o, '0', zeros);
    for (int i = 0; i < n; i++)
        put(o, body[i]);
    if (sp->left)
        pad(o, ' ', fill);
}

static void put_str(struct out *o, const struct spec *sp, const char *s)
{
    if (!s)
        s = "(null)";
    size_t n = sp->precision >= 0 ? strnlen(s, (size_t)sp->precision) : strlen(s);
    put_field(o, sp, "", 0, s, (int)n, false);
}

/* Digits of (v) in (base) with sign/prefix, precision, '#', zero padding and width. */
static void put_num(struct out *o, const struct spec *sp, uint64_t v, unsigned base, bool upper,
                    const char *prefix)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = (int)sizeof(tmp);
    uint64_t rest = v;
    do {
        tmp[--n] = digits[rest % base];
        rest /= base;
    } while (rest);
    int len = (int)sizeof(tmp) - n;
    if (sp->precision == 0 && v == 0)
        len = 0;
    int zeros = sp->precision > len ? sp->precision - len : 0;
    if (sp->alt && base == 8 && zeros == 0 && (len == 0 || tmp[n] != '0'))
        zeros = 1; /* '#' with %o: the first digit is a 0 */
    if (sp->alt && base == 16 && v != 0)
        prefix = upper ? "0X" : "0x";
    put_field(o, sp, prefix, zeros, tmp + n, len, sp->zero && sp->precision < 0);
}

static void put_signed(struct out *o, const struct spec *sp, int64_t v)
{
    const char *prefix = v < 0 ? "-" : sp->plus ? "+" : sp->space ? " " : "";
    uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
    put_num(o, sp, mag, 10, false, prefix);
}

/* Decimal digits of mant * 2^shift (a whole number of up to 309 digits) at the end of
 * buf[0..DOUBLE_DIGITS_MAX); returns the index of the first. */
static int whole_digits(char *buf, uint64_t mant, int shift)
{
    enum { LIMBS = 36, LIMB = 1000000000 };
    uint32_t limb[LIMBS] = {(uint32_t)(mant % LIMB), (uint32_t)(mant / LIMB % LIMB),
                            (uint32_t)(mant / LIMB / LIMB)};
    int used = 3;
    for (int s = 0; s < shift; s++) {
        uint32_t carry = 0;
        for (int i = 0; i < used; i++) {
            uint32_t d = limb[i] * 2 + carry;
            carry = d >= LIMB;
            limb[i] = carry ? d - LIMB : d;
        }
        if (carry && used < LIMBS)
            limb[used++] = 1;
    }
    int at = DOUBLE_DIGITS_MAX;
    for (int i = 0; i < used; i++)
        for (int k = 0; k < 9; k++) {
            buf[--at] = (char)('0' + limb[i] % 10);
            limb[i] /= 10;
        }
    while (at < DOUBLE_DIGITS_MAX - 1 && buf[at] == '0')
        at++;
    return at;
}

/* mant * 2^e2 (e2 < 11, so the whole part fits 64 bits) split into its whole part (returned)
 * and (*decimals), the first (prec) <= 9 decimals, rounded exactly (to even on a tie) like C
 * libraries do. The fraction is taken from the bits as a 96-bit fixed-point number: exact for
 * values >= 2^-44; smaller ones are below 10^-13 and round to 0 at 9 decimals anyway. */
static uint64_t round_fixed(uint64_t mant, int e2, int prec, uint64_t *decimals)
{
    uint64_t whole = 0;
    unsigned __int128 frac = 0; /* the fraction times 2^96 */
    if (e2 >= 0) {
        whole = mant << e2;
    } else if (e2 > -64) {
        whole = mant >> -e2;
        frac = (unsigned __int128)(mant & ((1ull << -e2) - 1)) << (96 + e2);
    } else if (e2 >= -96) {
        frac = (unsigned __int128)mant << (96 + e2);
    } else if (e2 > -96 - 53) {
        frac = mant >> (-96 - e2);
    }
    uint64_t scale = 1;
    for (int i = 0; i < prec; i++)
        scale *= 10;
    unsigned __int128 scaled = frac * scale, half = (unsigned __int128)1 << 95;
    uint64_t q = (uint64_t)(scaled >> 96);
    unsigned __int128 rem = scaled & ((half << 1) - 1);
    bool odd = prec ? (q & 1) : (whole & 1);
    if ((rem > half || (rem == half && odd)) && ++q == scale) {
        q = 0;
        whole++;
    }
    *decimals = q;
    return whole;
}

/* A finite, non-negative (v) in %f form with (prec) <= 9 decimals and a point when (prec) or
 * (point); returns the length written to (buf). */
static int fixed_digits(char *buf, double v, int prec, bool point)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    int exp = (int)((bits >> 52) & 0x7ff);
    uint64_t mant = bits & ((1ull << 52) - 1);
    if (exp)
        mant |= 1ull << 52;
    int e2 = (exp ? exp : 1) - 1075; /* v = mant * 2^e2 */
    char digits[DOUBLE_DIGITS_MAX];
    uint64_t decimals = 0;
    int first = e2 >= 11 ? whole_digits(digits, mant, e2)
                         : whole_digits(digits, round_fixed(mant, e2, prec, &decimals), 0);
    int n = DOUBLE_DIGITS_MAX - first;
    memcpy(buf, digits + first, (size_t)n);
    if (prec || point)
        buf[n++] = '.';
    for (int i = prec - 1; i >= 0; i--, decimals /= 10)
        buf[n + i] = (char)('0' + decimals % 10);
    return n + prec;
}

static void put_double(struct out *o, const struct spec *sp, double v)
{
    int prec = sp->precision < 0 ? 6 : sp->precision > 9 ? 9 : sp->precision;
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    bool neg = bits >> 63;
    const char *prefix = neg ? "-" : sp->plus ? "+" : sp->space ? " " : "";
    if (((bits >> 52) & 0x7ff) == 0x7ff) {
        put_field(o, sp, prefix, 0, (bits << 12) ? "nan" : "inf", 3, false);
        return;
    }
    char body[DOUBLE_DIGITS_MAX + 12];
    int n = fixed_digits(body, neg ? -v : v, prec, sp->alt);
    put_field(o, sp, prefix, 0, body, n, sp->zero);
}

static uint64_t arg_unsigned(const struct spec *sp, va_list *ap)
{
    switch (sp->length) {
    case 'L':
    case 'l':
        return va_arg(*ap, unsigned long);
    case 'h':
        return (unsigned short)va_arg(*ap, unsigned);
    case 'H':
        return (unsigned char)va_arg(*ap, unsigned);
    default:
        return va_arg(*ap, unsigned);
    }
}

static int64_t arg_signed(const struct spec *sp, va_list *ap)
{
    switch (sp->length) {
    case 'L':
    case 'l':
        return va_arg(*ap, long);
    case 'h':
        return (short)va_arg(*ap, int);
    case 'H':
        return (signed char)va_arg(*ap, int);
    default:
        return va_arg(*ap, int);
    }
}

/* Parse flags, width, precision and length at (*fmt); advances it to the conversion. */
static void parse_spec(const char **fmt, struct spec *sp, va_list *ap)
{
    const char *f = *fmt;
    *sp = (struct spec){.precision = -1};
    for (;; f++) {
        if (*f == '-')
            sp->left = true;
        else if (*f == '0')
            sp->zero = true;
        else if (*f == '+')
            sp->plus = true;
        else if (*f == ' ')
            sp->space = true;
        else if (*f == '#')
            sp->alt = true;
        else
            break;
    }
    if (*f == '*') {
        sp->width = va_arg(*ap, int);
        if (sp->width < 0) {
            sp->left = true;
            sp->width = -sp->width;
        }
        f++;
    }
    while (*f >= '0' && *f <= '9')
        sp->width = sp->width * 10 + (*f++ - '0');
    if (*f == '.') {
        f++;
        sp->precision = 0;
        if (*f == '*') {
            sp->precision = va_arg(*ap, int);
            f++;
        }
        while (*f >= '0' && *f <= '9')
            sp->precision = sp->precision * 10 + (*f++ - '0');
    }
    for (;; f++) {
        if (*f == 'h')
            sp->length = sp->length == 'h' ? 'H' : 'h';
        else if (*f == 'l')
            sp->length = sp->length == 'l' ? 'L' : 'l';
        else if (*f == 'z' || *f == 'j' || *f == 't')
            sp->length = 'L';
        else
            break;
    }
    *fmt = f;
}

static void convert(struct out *o, const struct spec *sp, char conv, va_list *ap)
{
    switch (conv) {
    case 'd':
    case 'i':
        put_signed(o, sp, arg_signed(sp, ap));
        break;
    case 'u':
        put_num(o, sp, arg_unsigned(sp, ap), 10, false, "");
        break;
    case 'x':
    case 'X':
        put_num(o, sp, arg_unsigned(sp, ap), 16, conv == 'X', "");
        break;
    case 'o':
        put_num(o, sp, arg_unsigned(sp, ap), 8, false, "");
        break;
    case 'p':
        put_num(o, sp, (uintptr_t)va_arg(*ap, void *), 16, false, "0x");
        break;
    case 's':
        put_str(o, sp, va_arg(*ap, const char *));
        break;
    case 'c': {
        char c = (char)va_arg(*ap, int);
        put_field(o, sp, "", 0, &c, 1, false);
        break;
    }
    case 'f':
        put_double(o, sp, va_arg(*ap, double));
        break;
    default:
        put(o, '%');
        if (conv)
            put(o, conv);
    }
}

int vsnprintf(char *restrict buf, size_t size, const char *restrict format, va_list ap)
{
    struct out o = {buf, size, 0};
    const char *fmt = format;
    va_list args;
    va_copy(args, ap);
    while (*fmt) {
        if (*fmt != '%') {
            put(&o, *fmt++);
            continue;
        }
        fmt++;
        if (*fmt == '%') {
            put(&o, *fmt++);
            continue;
        }
        struct spec sp;
        parse_spec(&fmt, &sp, &args);
        char conv = *fmt;
        if (conv)
            fmt++;
        convert(&o, &sp, conv, &args);
    }
    va_end(args);
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return o.len > INT32_MAX ? INT32_MAX : (int)o.len;
}

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
