/*
 * vsnprintf/snprintf for the kvm platform (hand-written: see string.c for why).
 *
 * Supports what the OS prints: flags "-0+ ", width and precision (numbers or *), length
 * modifiers hh h l ll z j t, conversions d i u x X o p s c f %. %f is plain fixed-point with
 * at most 9 decimals (enough for probabilities and rates; no exponent form).
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
    bool left, zero, plus, space;
    int width, precision; /* precision -1: none */
    int length;           /* 0, 'H' (hh), 'h', 'l', 'L' (ll and wider) */
};

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

static void put_str(struct out *o, const struct spec *sp, const char *s)
{
    if (!s)
        s = "(null)";
    size_t n = sp->precision >= 0 ? strnlen(s, (size_t)sp->precision) : strlen(s);
    int fill = sp->width > (int)n ? sp->width - (int)n : 0;
    if (!sp->left)
        pad(o, ' ', fill);
    for (size_t i = 0; i < n; i++)
        put(o, s[i]);
    if (sp->left)
        pad(o, ' ', fill);
}

/* Digits of (v) in (base), then sign/prefix, zero padding and width. */
static void put_num(struct out *o, const struct spec *sp, uint64_t v, unsigned base, bool upper,
                    const char *prefix)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    if (sp->precision == 0 && n == 1 && tmp[0] == '0')
        n = 0;
    int zeros = sp->precision > n ? sp->precision - n : 0;
    int plen = (int)strlen(prefix);
    int total = plen + zeros + n;
    if (sp->zero && !sp->left && sp->precision < 0 && sp->width > total) {
        zeros += sp->width - total;
        total = sp->width;
    }
    if (!sp->left)
        pad(o, ' ', sp->width - total);
    for (int i = 0; i < plen; i++)
        put(o, prefix[i]);
    pad(o, '0', zeros);
    while (n)
        put(o, tmp[--n]);
    if (sp->left)
        pad(o, ' ', sp->width - total);
}

static void put_signed(struct out *o, const struct spec *sp, int64_t v)
{
    const char *prefix = v < 0 ? "-" : sp->plus ? "+" : sp->space ? " " : "";
    uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
    put_num(o, sp, mag, 10, false, prefix);
}

static void put_double(struct out *o, const struct spec *sp, double v)
{
    int prec = sp->precision < 0 ? 6 : sp->precision > 9 ? 9 : sp->precision;
    bool neg = v < 0;
    if (neg)
        v = -v;
    uint64_t scale = 1;
    for (int i = 0; i < prec; i++)
        scale *= 10;
    uint64_t whole = (uint64_t)v;
    uint64_t frac = (uint64_t)((v - (double)whole) * (double)scale + 0.5);
    if (frac >= scale) {
        whole++;
        frac -= scale;
    }
    struct spec ip = *sp;
    ip.precision = -1;
    ip.width = sp->width - (prec ? prec + 1 : 0);
    ip.left = false;
    put_num(o, &ip, whole, 10, false, neg ? "-" : sp->plus ? "+" : "");
    if (prec) {
        put(o, '.');
        struct spec fp = {.zero = true, .width = prec, .precision = -1};
        put_num(o, &fp, frac, 10, false, "");
    }
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
        else if (*f != '#')
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
    case 'c':
        put(o, (char)va_arg(*ap, int));
        break;
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
