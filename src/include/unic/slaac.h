/*
 * Router discovery and stateless address autoconfiguration (RFC 4861 6.3, RFC 4862): router
 * solicitations at start, router advertisements giving the default routers, the on-link
 * prefixes, the hop limit, the link MTU, SLAAC addresses (prefix + modified EUI-64) and the
 * DNS servers of RDNSS options (RFC 8106) for the resolver.
 *
 * Call order: ip6_start -> slaac_start (RS, up to 3 at 4 s intervals);
 *             icmp6_input -> slaac_input_ra -> ip6_addr_add (DAD) | dns_resolver servers;
 *             ip6_next_hop -> slaac_router / slaac_on_link.
 * Lifetimes are checked when used and by one timer armed at the earliest expiry.
 */
#ifndef UNIC_SLAAC_H
#define UNIC_SLAAC_H

#include <stdbool.h>
#include <stdint.h>

#include "unic/addr.h"
#include "unic/netbuf.h"
#include "unic/stats.h"
#include "unic/timer.h"

struct inet;

#define SLAAC_MAX_ROUTERS 4
#define SLAAC_MAX_PREFIXES 8
#define SLAAC_MAX_RDNSS 3
#define SLAAC_MAX_RS 3                          /* MAX_RTR_SOLICITATIONS */
#define SLAAC_RS_INTERVAL_NS (4 * NSEC_PER_SEC) /* RTR_SOLICITATION_INTERVAL */
#define SLAAC_TWO_HOURS_S 7200                  /* RFC 4862 5.5.3 (e) */

/* clang-format off */
#define SLAAC_STATS(X)                                                                             \
    X(tx_rs) X(rx_ra) X(rx_ra_bad) X(routers) X(routers_full) X(prefixes) X(prefixes_full)       \
    X(addresses) X(rdnss) X(expired)
/* clang-format on */
struct slaac_stats {
    SLAAC_STATS(STATS_FIELD)
};

struct slaac_router {
    struct unic_addr addr; /* link-local */
    uint64_t expires;      /* 0: free */
};

struct slaac_prefix {
    uint8_t prefix[16];
    uint8_t len;
    uint64_t expires; /* 0: free; TIMER_NEVER: infinite */
};

struct slaac_rdnss {
    struct unic_addr addr;
    uint64_t expires; /* 0: free */
};

struct slaac {
    bool enabled; /* accept RAs for addresses (off with --no-slaac... and with --no-ip6) */
    uint8_t rs_sent;
    uint8_t next_router; /* round robin among routers of unknown reachability */
    struct timer rs_timer;
    struct timer expiry_timer;
    struct slaac_router routers[SLAAC_MAX_ROUTERS];
    struct slaac_prefix prefixes[SLAAC_MAX_PREFIXES];
    struct slaac_rdnss rdnss[SLAAC_MAX_RDNSS];
    struct slaac_stats stats;
};

void slaac_init(struct inet *inet);
void slaac_destroy(struct inet *inet);

/* Start soliciting routers (once the link-local address is usable, or at once from ::). */
void slaac_start(struct inet *inet);

/* A router advertisement (nb->data at the ICMPv6 header, validated by the caller: link-local
 * source, hop limit 255, checksum). Does not take ownership. */
void slaac_input_ra(struct inet *inet, const struct netbuf *nb, struct unic_addr src);

/* A live default router into (*out): true, else false. */
bool slaac_router(struct inet *inet, struct unic_addr *out);

/* Is (a) inside a live on-link prefix an RA announced? */
bool slaac_on_link(struct inet *inet, struct unic_addr a);

/* The live RDNSS servers into (out) (at most (max)); returns the count. */
unsigned slaac_dns_servers(struct inet *inet, struct unic_addr *out, unsigned max);

void slaac_print_stats(struct inet *inet, int all);

#endif
