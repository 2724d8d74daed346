/*
 * The DNS service's arguments and zone set-up, shared by the unic service (main_unic.c) and the
 * Linux program (main_linux.c) so both serve the same data from the same command line:
 *
 *   --records N     N synthetic hosts host<i>.<origin>, each with A 10.128.0.0 + i and AAAA
 *                   fd00:10:128:: + i (default 10000, or 0 with --zone), as in the IncludeOS
 *                   paper's experiment (A only there)
 *   --zone FILE     a zone file (zonefile.h); not on kvm, which has no file system
 *   --origin NAME   the zone of the synthetic records and the initial origin of the file
 *                   (default example., or the file's SOA owner)
 *   --port N        UDP (and, for unic, TCP) port (default 53)
 *   --wide N        N A records on wide.<origin> (default 0): an RRset too large for UDP without
 *                   EDNS, to show truncation and the retry over TCP without a zone file (kvm)
 *   --listen ADDR   the address to bind (dns-linux only; unic uses its --ip)
 * and, for the unic service only (dns-linux has no TCP):
 *   --idle-timeout S   close a TCP connection idle this long (default 10)
 *   --max-conns N      TCP connections at once (default 256); more are reset
 *   --axfr-allow LIST      who may transfer the zone: ADDR[/N],... (default: nobody)
 */
#ifndef DNS_SERVICE_H
#define DNS_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unic/options.h"
#include "zone.h"

#define DNS_SERVICE_MAX_RECORDS 4000000u
#define DNS_SERVICE_DEFAULT_RECORDS 10000u
#define DNS_SERVICE_SYNTH_BASE 0x0a800000u /* 10.128.0.0 */
/* Synthetic host (i)'s AAAA: these 12 bytes, then (i) as 4 bytes (fd00:10:128::/96 + i, so
 * host4242 is fd00:10:128::1092). */
#define DNS_SERVICE_SYNTH_BASE6                                                                    \
    {                                                                                              \
        0xfd, 0, 0, 0x10, 0x01, 0x28, 0, 0, 0, 0, 0, 0                                             \
    }

struct dns_service_args {
    uint32_t records;
    bool records_given;
    uint32_t wide;
    const char *zone_file;
    const char *origin;
    const char *listen;
    uint16_t port;
    uint32_t tcp_idle_timeout_s;
    uint32_t tcp_max_conns;
    const char *axfr_allow;
};

/* The options of the unic service, and those of dns-linux (the same first ones, then
 * --listen; no TCP options). */
extern const struct option_spec dns_service_options[];
extern const struct option_spec dns_linux_options[];
#define DNS_SERVICE_OPTION_COUNT 8
#define DNS_LINUX_OPTION_COUNT 6
#define DNS_WIDE_MAX 1000u
#define DNS_SERVICE_WIDE_BASE 0x0a810000u /* 10.129.0.0 */

/* The arguments from the parsed options: dns_linux_options when (linux_table), else
 * dns_service_options. */
void dns_service_args_from(const struct option_set *o, bool linux_table,
                           struct dns_service_args *a);

/* Fill and finalize (z), already zone_init'ed: the zone file text (zone_text, zone_len) if
 * any (NULL otherwise), then the synthetic records. 0 or -errno with a message in (err). */
int dns_service_build_zone(struct dns_zone *z, const struct dns_service_args *a,
                           const char *zone_text, size_t zone_len, char *err, size_t errlen);

/* Synthetic host (i)'s name and addresses, for tests and benchmarks. */
int dns_service_synth_name(const struct dns_name *origin, uint32_t i, struct dns_name *out);
void dns_service_synth_addr6(uint32_t i, uint8_t out[16]);

#endif
