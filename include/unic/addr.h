/*
 * Network addresses in the service API: one type for IPv4 and IPv6.
 *
 * A struct unic_addr is an IPv6 address, 16 bytes in network order; an IPv4 address a.b.c.d is
 * held in its IPv4-mapped form ::ffff:a.b.c.d (RFC 4291 2.5.5.2). So a value carries its family
 * in itself (no separate field to get out of step), two values compare with memcmp, and a table
 * for both families can key on it. It is small enough to pass by value (two registers on
 * x86-64), which every function here and in the API does.
 *
 * Functions that send to an address (tcp_connect, udp_sendto, ...) use IPv4 or IPv6 as the
 * address is; an IPv4-mapped address is always IPv4 (it never appears in an IPv6 header).
 *
 *   struct unic_addr a = unic_addr_ip4(0x0a000001);      // 10.0.0.1 (host-order value)
 *   if (unic_addr_parse("fd00::1", &a) < 0) ...           // either family
 *   char text[UNIC_ADDR_STRLEN];
 *   unic_printf("peer %s", unic_addr_format(a, text));
 */
#ifndef UNIC_ADDR_H
#define UNIC_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct unic_addr {
    uint8_t bytes[16]; /* network order; IPv4 as ::ffff:a.b.c.d */
};

/* Room for any text unic_addr_format() writes, with its NUL (as INET6_ADDRSTRLEN). */
#define UNIC_ADDR_STRLEN 46

/* The IPv4 address whose value in host byte order is (ip4): 0x0a000001 is 10.0.0.1. */
static inline struct unic_addr unic_addr_ip4(uint32_t ip4)
{
    struct unic_addr a = {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, (uint8_t)(ip4 >> 24),
                           (uint8_t)(ip4 >> 16), (uint8_t)(ip4 >> 8), (uint8_t)ip4}};
    return a;
}

/* The IPv6 address with these 16 bytes (network order). */
static inline struct unic_addr unic_addr_ip6(const uint8_t bytes[16])
{
    struct unic_addr a;
    memcpy(a.bytes, bytes, sizeof(a.bytes));
    return a;
}

/* True for an IPv4 address (the ::ffff:0:0/96 range). Word compares rather than memcmp, which
 * compilers leave as a libc call: TCP asks this for every segment. */
static inline bool unic_addr_is_ip4(struct unic_addr a)
{
    uint64_t head;
    memcpy(&head, a.bytes, sizeof(head));
    return head == 0 && a.bytes[8] == 0 && a.bytes[9] == 0 && a.bytes[10] == 0xff &&
           a.bytes[11] == 0xff;
}

/* The host-order value of an IPv4 address (0 for an IPv6 one: check unic_addr_is_ip4). */
static inline uint32_t unic_addr_to_ip4(struct unic_addr a)
{
    if (!unic_addr_is_ip4(a))
        return 0;
    return (uint32_t)a.bytes[12] << 24 | (uint32_t)a.bytes[13] << 16 | (uint32_t)a.bytes[14] << 8 |
           a.bytes[15];
}

static inline bool unic_addr_equal(struct unic_addr a, struct unic_addr b)
{
    uint64_t a0, a1, b0, b1;
    memcpy(&a0, a.bytes, 8);
    memcpy(&a1, a.bytes + 8, 8);
    memcpy(&b0, b.bytes, 8);
    memcpy(&b1, b.bytes + 8, 8);
    return a0 == b0 && a1 == b1;
}

/* A total order (<0, 0, >0): bytewise, so every IPv4 address sorts within ::ffff:0:0/96. */
static inline int unic_addr_compare(struct unic_addr a, struct unic_addr b)
{
    return memcmp(a.bytes, b.bytes, sizeof(a.bytes));
}

/* 0.0.0.0 or :: (no address). */
bool unic_addr_is_unspecified(struct unic_addr a);

/* Parse text in either family: a dotted quad "10.0.0.1" (four decimal parts 0..255, no leading
 * zeros, as inet_pton), or IPv6 text (RFC 4291 2.2: hex groups, one "::", an optional dotted
 * quad at the end). Returns 0 with (*out) set, or -EINVAL (then (*out) is untouched). */
int unic_addr_parse(const char *text, struct unic_addr *out);

/* Write (a) as text into (buf) (UNIC_ADDR_STRLEN bytes) and return (buf): an IPv4 address as the
 * dotted quad, an IPv6 one as RFC 5952 says (lower case, no leading zeros, the longest run of two
 * or more zero groups as "::", the first of equal runs). */
char *unic_addr_format(struct unic_addr a, char buf[UNIC_ADDR_STRLEN]);

#endif
