/*
 * vsnprintf/snprintf for the kvm platform (hand-written: see string.c for why).
 *
 * Supports what the OS prints: flags "-0+ #", width and precision (numbers or *), length
 * modifiers hh h l ll z j t, conversions d i u x X o p s c %. No floating point: the image is
 * built with -mgeneral-regs-only, so no caller can pass a double (%f would not compile there).
 * tests/unit/test_kvm_libc.c compares all of it with the host's C library.
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
