/*
 * The command line, the same on both platforms:
 *
 *   NAME [--ip A.B.C.D/N] [--gw A.B.C.D] [--dns A.B.C.D] [--ip6 ADDR/N]... [--gw6 ADDR]
 *        [--no-ip6] [--no-dhcp] [--mac M] [--tap IF] [--tap-create]
 *        [--pcap FILE] [--replay FILE] [--loss P] [--duplicate P] [--reorder P] [--corrupt P]
 *        [--ce P] [--seed N] [--no-offload] [--user NAME] [--no-sandbox] [--stats-interval S]
 *        [--verbose] [--quiet] [--help] [-- service options and arguments]
 *
 * The words after `--` belong to the service: config_parse collects them, and
 * config_parse_service checks them against the options the service declared (unic.h: struct
 * unic_service). Hosted passes main()'s argv; kvm splits the kernel command line with
 * config_split() first. Both platforms do both steps before any device is opened. Bad input
 * gives a one-line message in (err) and a negative return; the platform prints "NAME: message"
 * and exits with status 2.
 *
 * A service reads the result through unic_config() and unic_options() (unic.h); the functions
 * below are the platforms' (and the tests').
 */
#ifndef UNIC_CONFIG_H
#define UNIC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unic/addr.h"
#include "unic/options.h"

#define CONFIG_MAX_ARGS 64
#define CONFIG_STATS_INTERVAL_MAX 86400
#define CONFIG_MAX_IP6 4 /* --ip6 given this many times at most */

/* A probability in parts per billion (FAULT_PPB_ONE is 1): fixed-point, so the kvm image needs
 * no floating point and a seeded run is the same on both platforms. */
#define FAULT_PPB_ONE 1000000000u
/* (x), a constant probability 0..1, in parts per billion (for hosted code and tests). */
#define FAULT_PPB(x) ((uint32_t)((x)*1e9 + 0.5))

struct fault_config {
    uint32_t loss_ppb, duplicate_ppb, reorder_ppb, corrupt_ppb; /* each direction */
    uint32_t ce_ppb; /* ECN-capable IP packets marked Congestion Experienced (--ce) */
    uint64_t seed;
    bool seeded; /* --seed given: reproducible; else seeded from plat_random */
};

struct unic_config {
    bool have_ip;
    uint32_t ip; /* host byte order */
    uint8_t prefix_len;
    uint32_t gateway;   /* 0 = none */
    uint32_t dns;       /* 0 = none (DHCP may provide one) */
    bool no_dhcp;       /* --no-dhcp: no IPv4 address unless --ip (an IPv6-only service) */
    unsigned ip6_count; /* --ip6 ADDR/N, static IPv6 addresses (besides link-local, SLAAC) */
    struct {
        struct unic_addr addr;
        uint8_t prefix_len;
    } ip6[CONFIG_MAX_IP6];
    struct unic_addr gw6; /* --gw6; :: = none (routers from RAs) */
    bool no_ip6;          /* --no-ip6: IPv4 only (no link-local address, no SLAAC) */
    bool have_mac;
    uint8_t mac[6];
    const char *tap;    /* hosted only */
    bool tap_create;    /* hosted only: create --tap when it does not exist */
    const char *pcap;   /* hosted only */
    const char *replay; /* hosted only: a pcap fed in as a NIC */
    struct fault_config fault;
    bool no_offload;  /* NIC offloads off: frames as on a wire (hosted TAP, kvm virtio-net) */
    const char *user; /* hosted only: the user a root process becomes (NULL: nobody)      */
    bool no_sandbox;  /* hosted only: keep root and make any system call (docs/sandbox.md) */
    const char *sandbox_selftest; /* hosted only, tests: the forbidden call to make      */
    bool allow_weak_random; /* kvm: run on without an entropy source (RDRAND/RDSEED, virtio-rng) */
    int verbosity;          /* -1 quiet, 0 normal, 1 verbose */
    uint32_t stats_interval_s; /* --stats-interval: print every counter this often; 0 = never */
    bool help;
    /* The words after `--`: config_parse puts them here (service_argv[0] is the program name);
     * config_parse_service moves the declared options into (service) and leaves the program
     * name and the operands, which service_start() receives. */
    int service_argc;
    char *service_argv[CONFIG_MAX_ARGS + 1];
    struct option_set service;
};

/* Parse (argc, argv). Returns 0 or -EINVAL with a message in (err). */
int config_parse(struct unic_config *cfg, int argc, char **argv, char *err, size_t errlen);

/* Split (line) in place at spaces (single and double quotes group words) into at most (max)
 * words; returns the count or -E2BIG. */
int config_split(char *line, char **argv, int max);

/* Parse "A.B.C.D" into host-order (*addr). 0 or -EINVAL. */
int config_parse_ip4(const char *s, uint32_t *addr);

/* The --help text of the OS options. */
const char *config_usage(void);

/* May the NIC use offloads (checksums, TCP super-packets)? Not with --no-offload, nor with a
 * fault option: faults are drawn per wire frame. */
bool config_offload(const struct unic_config *cfg);

/* The first hosted-only option (--tap, --tap-create, --pcap, --replay, --user, --no-sandbox,
 * --sandbox-selftest) that (cfg) has, or NULL: the kvm platform refuses them (status 2) rather
 * than ignoring them. */
const char *config_hosted_only(const struct unic_config *cfg);

/* After config_parse: check the service's words against its declared options (the service's
 * unic_service descriptor; none declared: it takes no options and no operands). "--help" among
 * them sets (help) when the service did not declare it. 0 or -EINVAL with a message in (err). */
int config_parse_service(struct unic_config *cfg, char *err, size_t errlen);

/* The whole --help text for program (name): the OS options, then the service's summary,
 * options and operands, into (buf) (terminated, truncated to fit). Returns the length needed. */
size_t config_help(const char *name, char *buf, size_t len);

#endif
