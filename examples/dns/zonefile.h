/*
 * A simple zone file reader (a subset of RFC 1035 section 5): one record per line,
 *
 *   $ORIGIN example.
 *   $TTL 3600
 *   @        IN SOA  ns1 hostmaster 2024010101 3600 600 86400 60
 *   @           NS   ns1
 *   ns1   300   A    10.0.0.1
 *   www         AAAA 2001:db8::1        ; comment
 *   mail        MX   10 mx1.example.
 *   alias       CNAME www
 *   note        TXT  "hello world" "second string"
 *
 * Owner "@" is the origin; a line starting with blanks reuses the previous owner; names without
 * a final dot are relative to the origin; TTL (with optional s/m/h/d/w units) and class IN are
 * optional and may come in either order. Types: SOA, NS, A, AAAA, CNAME, PTR, MX, TXT.
 * Parentheses (multi-line records) and $INCLUDE are not supported and are reported as errors.
 * The text is parsed in memory (no file access), so it is the same on every platform.
 */
#ifndef DNS_ZONEFILE_H
#define DNS_ZONEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "zone.h"

#define ZONEFILE_MAX_LINE 4096
#define ZONEFILE_DEFAULT_TTL 3600

/* Add the records of (text, len) to (z). (origin): the origin before any $ORIGIN (NULL: none,
 * then relative names are errors until $ORIGIN). Returns 0, or -EINVAL / -ENOMEM / -EEXIST with
 * "line N: reason" in (err). */
int zonefile_load(struct dns_zone *z, const char *text, size_t len, const struct dns_name *origin,
                  char *err, size_t errlen);

/* Parsers for presentation forms, exposed for the tests. 0 or -EINVAL. */
int zonefile_parse_ip4(const char *s, size_t n, uint8_t out[4]);
int zonefile_parse_ip6(const char *s, size_t n, uint8_t out[16]);
int zonefile_parse_ttl(const char *s, size_t n, uint32_t *out);

#endif
