/*
 * Text forms of struct unic_addr: parsing both families (inet_pton's rules) and formatting
 * (dotted quad, RFC 5952 for IPv6). Written out here because the kvm kernel has no inet_pton.
 */
#include "unic/addr.h"
#include "unic/hex.h"

#include <errno.h>

bool unic_addr_is_unspecified(struct unic_addr a)
{
    static const uint8_t zero[16];
    return unic_addr_equal(a, unic_addr_ip4(0)) || memcmp(a.bytes, zero, sizeof(zero)) == 0;
}

/* The whole of (s) as a dotted quad: four parts 0..255 without leading zeros. */
static bool parse_ip4(const char *s, uint8_t out[4])
{
    for (int part = 0; part < 4; part++) {
        if (part > 0 && *s++ != '.')
            return false;
        unsigned v = 0, digits = 0;
        for (; *s >= '0' && *s <= '9'; s++, digits++) {
            if (digits > 0 && v == 0)
                return false; /* a leading zero */
            v = v * 10 + (unsigned)(*s - '0');
            if (v > 255)
                return false;
        }
        if (digits == 0)
            return false;
        out[part] = (uint8_t)v;
    }
    return *s == '\0';
}

/* Move the (n) groups written after the "::" at (gap) to the end, zeros in between. */
static void expand_gap(uint16_t words[8], int n, int gap)
{
    int tail = n - gap;
    for (int i = 0; i < tail; i++)
        words[7 - i] = words[n - 1 - i];
    for (int i = gap; i < 8 - tail; i++)
        words[i] = 0;
}

static bool parse_ip6(const char *s, uint8_t out[16])
{
    uint16_t words[8] = {0};
    int n = 0, gap = -1;
    if (s[0] == ':') {
        if (s[1] != ':')
            return false;
        gap = 0;
        s += 2;
    }
    while (*s) {
        const char *group = s;
        unsigned v = 0;
        int digits = 0;
        for (int d; (d = hex_digit(*s)) >= 0; s++, digits++)
            v = (v << 4 | (unsigned)d) & 0xfffff;
        if (*s == '.') { /* an IPv4 tail takes the last two groups */
            uint8_t q[4];
            if (n > 6 || !parse_ip4(group, q))
                return false;
            words[n++] = (uint16_t)(q[0] << 8 | q[1]);
            words[n++] = (uint16_t)(q[2] << 8 | q[3]);
            break;
        }
        if (digits == 0 || digits > 4 || n == 8)
            return false;
        words[n++] = (uint16_t)v;
        if (*s == '\0')
            break;
        if (*s++ != ':' || *s == '\0')
            return false;
        if (*s == ':') {
            if (gap >= 0)
                return false;
            gap = n;
            s++;
        }
    }
    if (gap >= 0 ? n > 7 : n != 8)
        return false;
    if (gap >= 0)
        expand_gap(words, n, gap);
    for (int i = 0; i < 8; i++) {
        out[2 * i] = (uint8_t)(words[i] >> 8);
        out[2 * i + 1] = (uint8_t)words[i];
    }
    return true;
}

int unic_addr_parse(const char *text, struct unic_addr *out)
{
    uint8_t q[4], b[16];
    if (parse_ip4(text, q)) {
        *out =
            unic_addr_ip4((uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3]);
        return 0;
    }
    if (parse_ip6(text, b)) {
        *out = unic_addr_ip6(b);
        return 0;
    }
    return -EINVAL;
}

static char *put_decimal(char *p, unsigned v)
{
    if (v >= 100)
        *p++ = (char)('0' + v / 100);
    if (v >= 10)
        *p++ = (char)('0' + v / 10 % 10);
    *p++ = (char)('0' + v % 10);
    return p;
}

static char *put_hex(char *p, unsigned v)
{
    static const char digits[] = "0123456789abcdef";
    int shift = 12;
    while (shift > 0 && !(v >> shift))
        shift -= 4;
    for (; shift >= 0; shift -= 4)
        *p++ = digits[(v >> shift) & 0xf];
    return p;
}

/* The first longest run of two or more zero groups: its start, or -1 (and its length). */
static int longest_zero_run(const uint16_t words[8], int *len)
{
    int best = -1, best_len = 1;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && words[j] == 0)
            j++;
        if (j - i > best_len)
            best = i, best_len = j - i;
        i = j > i ? j : i + 1;
    }
    *len = best >= 0 ? best_len : 0;
    return best;
}

char *unic_addr_format(struct unic_addr a, char buf[UNIC_ADDR_STRLEN])
{
    char *p = buf;
    if (unic_addr_is_ip4(a)) {
        for (int i = 12; i < 16; i++) {
            if (i > 12)
                *p++ = '.';
            p = put_decimal(p, a.bytes[i]);
        }
        *p = '\0';
        return buf;
    }
    uint16_t words[8];
    for (int i = 0; i < 8; i++)
        words[i] = (uint16_t)(a.bytes[2 * i] << 8 | a.bytes[2 * i + 1]);
    int run_len, run = longest_zero_run(words, &run_len);
    for (int i = 0; i < 8;) {
        if (i == run) {
            *p++ = ':';
            *p++ = ':';
            i += run_len;
            continue;
        }
        if (i > 0 && i != run + run_len)
            *p++ = ':';
        p = put_hex(p, words[i++]);
    }
    *p = '\0';
    return buf;
}
