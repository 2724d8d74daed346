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
 *   --port N        UDP port (default 53)
 *   --listen ADDR   the address to bind (dns-linux only; unic uses its --ip)
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
    const char *zone_file;
    const char *origin;
    const char *listen;
    uint16_t port;
};

/* The options of both programs. The last entry, --listen, is dns-linux's alone: the unic
 * service declares the first DNS_SERVICE_OPTION_COUNT. */
extern const struct option_spec dns_service_options[];
#define DNS_SERVICE_OPTION_COUNT 4
#define DNS_SERVICE_OPTION_COUNT_LINUX 5

/* The arguments from the parsed options (dns_service_options, with --listen when
 * (with_listen)). */
void dns_service_args_from(const struct option_set *o, bool with_listen,
                           struct dns_service_args *a);

/* Fill and finalize (z), already zone_init'ed: the zone file text (zone_text, zone_len) if
 * any (NULL otherwise), then the synthetic records. 0 or -errno with a message in (err). */
int dns_service_build_zone(struct dns_zone *z, const struct dns_service_args *a,
                           const char *zone_text, size_t zone_len, char *err, size_t errlen);

/* Synthetic host (i)'s name and addresses, for tests and benchmarks. */
int dns_service_synth_name(const struct dns_name *origin, uint32_t i, struct dns_name *out);
void dns_service_synth_addr6(uint32_t i, uint8_t out[16]);

#endif
