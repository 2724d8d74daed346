/*
 * A stub resolver in the stack (RFC 1035 7, RFC 2308 for negative caching): addresses by name
 * (A records by default; AAAA, RFC 3596, or AAAA then A with dns_resolve_type), asked over UDP of
 * the DNS server from --dns or DHCP, or, without one, of the first DNS server an IPv6 router
 * announced (RDNSS, RFC 8106).
 *
 * Each query gets its own random source port and a random ID (RFC 5452), is retried
 * DNS_RESOLVER_TRIES times with a doubling timeout (1 s, 2 s, 4 s: 7 s in all), and follows a
 * CNAME chain within the answer. Answers and NXDOMAIN/NODATA are kept in a cache of
 * DNS_CACHE_SIZE entries for their TTL (at most DNS_CACHE_MAX_TTL; negative answers for the SOA
 * minimum, at most DNS_CACHE_NEG_MAX_TTL); when it is full the entry expiring first is evicted.
 * At most DNS_RESOLVER_MAX_PENDING resolutions are in progress at once.
 *
 * The resolver is attached to the stack by the first dns_resolve(); a service that never
 * resolves links none of it.
 */
#ifndef UNIC_DNS_RESOLVER_H
#define UNIC_DNS_RESOLVER_H

#include <stdbool.h>
#include <stdint.h>

#include "unic/addr.h"

struct inet;

#define DNS_RESOLVER_TRIES 3
#define DNS_RESOLVER_TIMEOUT_NS 1000000000ull /* first try; doubles on each retry */
#define DNS_RESOLVER_MAX_PENDING 32
#define DNS_CACHE_SIZE 64
#define DNS_CACHE_MAX_TTL 86400u
#define DNS_CACHE_NEG_MAX_TTL 300u

/* The outcome of one dns_resolve(). (status): 0 with (addr) (IPv4 from an A record, IPv6 from an
 * AAAA record) and the (ttl) left in seconds; on an error (addr) is 0.0.0.0. -ENOENT when the name
 * does not exist or has no record of the type asked; -ETIMEDOUT when no answer came after every
 * try; -EIO when the server failed (SERVFAIL, REFUSED, a truncated answer without an address, a
 * malformed answer). (name) is the name as given, valid during the call. The callback may call
 * dns_resolve() again. */
typedef void (*dns_resolve_fn)(struct inet *inet, const char *name, int status,
                               struct unic_addr addr, uint32_t ttl, void *arg);

/* Resolve (name) to an IPv4 address ("host.example.com", a final dot optional; an address
 * literal resolves to itself). On 0, (cb)(..., arg) is called exactly once, later, from the event
 * loop: never from inside dns_resolve(), even for a cached name. Otherwise nothing is called and
 * the return is -EINVAL (not a valid name), -EDESTADDRREQ (no DNS server known), -EAGAIN (too many
 * resolutions pending) or -ENOMEM. */
int dns_resolve(struct inet *inet, const char *name, dns_resolve_fn cb, void *arg);

/* What dns_resolve_type() asks for. */
enum dns_want {
    DNS_WANT_A,     /* an IPv4 address (what dns_resolve asks)                          */
    DNS_WANT_AAAA,  /* an IPv6 address                                                  */
    DNS_WANT_AAAA_A /* IPv6 if the name has one, else IPv4: AAAA first, A on NODATA     */
};

/* dns_resolve() asking for (want). Answers are cached per name and type. An address literal of
 * either family resolves to itself whatever (want) says. Returns as dns_resolve(), and -EINVAL
 * for an unknown (want). */
int dns_resolve_type(struct inet *inet, const char *name, enum dns_want want, dns_resolve_fn cb,
                     void *arg);

/* Forget the pending resolutions that would call (cb) with (arg) (their callbacks are not
 * called). Returns how many. For an owner about to go away. */
unsigned dns_cancel(struct inet *inet, dns_resolve_fn cb, void *arg);

/* Drop every cached answer (e.g. when the DNS server changes). */
void dns_cache_flush(struct inet *inet);

/* Value of resolver counter (name), 0 before the resolver is attached, -1 if unknown. */
int64_t dns_resolver_stat(const struct inet *inet, const char *name);

#endif
