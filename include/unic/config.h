/*
 * The command line, the same on both platforms:
 *
 *   NAME [--ip A.B.C.D/N] [--gw A.B.C.D] [--dns A.B.C.D] [--mac M] [--tap IF] [--pcap FILE]
 *        [--replay FILE] [--loss P] [--duplicate P] [--reorder P] [--corrupt P] [--seed N]
 *        [--no-offload] [--verbose] [--quiet] [--help] [-- service args]
 *
 * Hosted passes main()'s argv; kvm splits the kernel command line with config_split() first.
 * Bad input gives a one-line message in (err) and a negative return; the caller prints it and
 * exits with status 2.
 */
#ifndef UNIC_CONFIG_H
#define UNIC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_ARGS 64

struct fault_config {
    double loss, duplicate, reorder, corrupt; /* probabilities 0..1, each direction */
    uint64_t seed;
    bool seeded; /* --seed given: reproducible; else seeded from plat_random */
};

struct unic_config {
    bool have_ip;
    uint32_t ip; /* host byte order */
    uint8_t prefix_len;
    uint32_t gateway; /* 0 = none */
    uint32_t dns;     /* 0 = none (DHCP may provide one) */
    bool have_mac;
    uint8_t mac[6];
    const char *tap;    /* hosted only */
    const char *pcap;   /* hosted only */
    const char *replay; /* hosted only: a pcap fed in as a NIC */
    struct fault_config fault;
    bool no_offload; /* hosted: the TAP without receive offloads (one wire frame per read) */
    int verbosity;   /* -1 quiet, 0 normal, 1 verbose */
    bool help;
    int service_argc; /* service_argv[0] is the program name */
    char *service_argv[CONFIG_MAX_ARGS + 1];
};

/* Parse (argc, argv). Returns 0 or -EINVAL with a message in (err). */
int config_parse(struct unic_config *cfg, int argc, char **argv, char *err, size_t errlen);

/* Split (line) in place at spaces (single and double quotes group words) into at most (max)
 * words; returns the count or -E2BIG. */
int config_split(char *line, char **argv, int max);

/* Parse "A.B.C.D" into host-order (*addr). 0 or -EINVAL. */
int config_parse_ip4(const char *s, uint32_t *addr);

/* The --help text. */
const char *config_usage(void);

#endif
