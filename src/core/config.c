/*
 * The command line shared by both platforms (see include/unic/config.h). Pure string handling:
 * numbers are parsed by hand so the kvm libc subset stays small (no strtod).
 */
#include "unic/addr.h"
#include "unic/config.h"
#include "unic/hex.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: NAME [options] [-- service args]\n"
    "  --ip A.B.C.D/N     static address and prefix (default: DHCP)\n"
    "  --gw A.B.C.D       default gateway\n"
    "  --dns A.B.C.D      DNS server for the resolver\n"
    "  --ip6 ADDR/N       static IPv6 address and prefix (default /64; repeatable, up to 4);\n"
    "                     a link-local address and SLAAC (router advertisements) are on anyway\n"
    "  --gw6 ADDR         IPv6 default router (default: from router advertisements)\n"
    "  --no-ip6           IPv4 only: no IPv6 at all\n"
    "  --no-dhcp          no DHCP: no IPv4 address unless --ip (IPv6 only)\n"
    "  --mac M            MAC address aa:bb:cc:dd:ee:ff (default: random, locally administered)\n"
    "  --tap IF           TAP interface (hosted); it must exist unless --tap-create\n"
    "  --tap-create       create --tap IF when it does not exist, for the process's lifetime\n"
    "                     (hosted, needs CAP_NET_ADMIN)\n"
    "  --pcap FILE        write every frame in and out to FILE (hosted)\n"
    "  --replay FILE      feed the frames of a pcap FILE into the stack (hosted)\n"
    "  --loss P --duplicate P --reorder P --corrupt P   fault injection, 0 <= P <= 1\n"
    "  --ce P             mark that share of ECN-capable IP packets Congestion Experienced,\n"
    "                     each way, as an AQM router does (RFC 3168)\n"
    "  --seed N           seed of the fault injector (reproducible runs)\n"
    "  --no-offload       no NIC offloads (hosted TAP, kvm virtio-net): frames as on a wire\n"
    "                     both ways, checksums complete, no TCP super-packets (also off with\n"
    "                     any fault option, and with --replay)\n"
    "  --user NAME        started as root: become NAME once the devices are open (default\n"
    "                     nobody; root keeps root, with a warning) (hosted)\n"
    "  --no-sandbox       keep the privileges and allow every system call (hosted; for\n"
    "                     debugging: by default a seccomp allowlist, docs/sandbox.md)\n"
    "  --sandbox-selftest CALL  tests: make the forbidden call CALL (execve, open or\n"
    "                     socket) once the sandbox is on, which must kill the process (hosted)\n"
    "  --allow-weak-random  kvm: run on without an entropy source (no RDRAND/RDSEED, no\n"
    "                     virtio-rng): TCP ISNs, SYN cookies, ports and DNS IDs then come from\n"
    "                     weak seeds (otherwise an error, status 1)\n"
    "  --stats-interval S print every counter every S seconds (1..86400)\n"
    "  --verbose --quiet  more or less logging\n"
    "  --help             this text, then the service's own options\n"
    "Hosted only (an error on kvm): --tap, --tap-create, --pcap, --replay, --user,\n"
    "--no-sandbox, --sandbox-selftest.\n"
    "Hosted: SIGUSR1 prints every counter; SIGINT/SIGTERM stop (counters printed).\n";

const char *config_usage(void)
{
    return usage_text;
}

const char *config_hosted_only(const struct unic_config *cfg)
{
    if (cfg->tap)
        return "--tap";
    if (cfg->tap_create)
        return "--tap-create";
    if (cfg->pcap)
        return "--pcap";
    if (cfg->replay)
        return "--replay";
    if (cfg->user)
        return "--user";
    if (cfg->no_sandbox)
        return "--no-sandbox";
    if (cfg->sandbox_selftest)
        return "--sandbox-selftest";
    return NULL;
}

bool config_offload(const struct unic_config *cfg)
{
    const struct fault_config *f = &cfg->fault;
    bool faults = f->loss_ppb || f->duplicate_ppb || f->reorder_ppb || f->corrupt_ppb || f->ce_ppb;
    return !cfg->no_offload && !faults;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;
    if (!*s)
        return -EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -EINVAL;
        unsigned long d = (unsigned long)(*s - '0');
        if (v > (max - d) / 10)
            return -EINVAL;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* One parser for dotted quads: unic_addr_parse's (no leading zeros, as inet_pton). */
int config_parse_ip4(const char *s, uint32_t *addr)
{
    struct unic_addr a;
    if (unic_addr_parse(s, &a) < 0 || !unic_addr_is_ip4(a))
        return -EINVAL;
    *addr = unic_addr_to_ip4(a);
    return 0;
}

static int parse_cidr(const char *s, uint32_t *addr, uint8_t *prefix)
{
    char buf[32];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n >= sizeof(buf))
        return -EINVAL;
    memcpy(buf, s, n);
    buf[n] = 0;
    unsigned long len = 24;
    if (slash && (parse_uint(slash + 1, 32, &len) < 0 || len == 0))
        return -EINVAL;
    if (config_parse_ip4(buf, addr) < 0)
        return -EINVAL;
    *prefix = (uint8_t)len;
    return 0;
}

/* "ADDR[/N]" of IPv6 (N 1..128, default 64) into (*out, *prefix). */
static int parse_cidr6(const char *s, struct unic_addr *out, uint8_t *prefix)
{
    char buf[UNIC_ADDR_STRLEN];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    unsigned long len = 64;
    struct unic_addr a;
    if (n >= sizeof(buf))
        return -EINVAL;
    memcpy(buf, s, n);
    buf[n] = 0;
    if (slash && (parse_uint(slash + 1, 128, &len) < 0 || len == 0))
        return -EINVAL;
    if (unic_addr_parse(buf, &a) < 0 || unic_addr_is_ip4(a) || unic_addr_is_unspecified(a) ||
        a.bytes[0] == 0xff)
        return -EINVAL;
    *out = a;
    *prefix = (uint8_t)len;
    return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++) {
        int hi = hex_digit(s[0]), lo = hex_digit(s[1]);
        if (hi < 0 || lo < 0)
            return -EINVAL;
        mac[i] = (uint8_t)(hi << 4 | lo);
        s += 2;
        if (i < 5 && *s++ != ':')
            return -EINVAL;
    }
    return *s ? -EINVAL : 0;
}

/* A probability "0", "1", "0.25", ".5" (up to 9 decimals) into (*p), parts per billion. */
static int parse_probability(const char *s, uint32_t *p)
{
    unsigned long whole = 0, frac = 0, scale = 1;
    const char *dot = strchr(s, '.');
    char buf[24];
    size_t n = dot ? (size_t)(dot - s) : strlen(s);
    if (n >= sizeof(buf) || (n == 0 && !dot))
        return -EINVAL;
    memcpy(buf, s, n);
    buf[n] = 0;
    if (n && parse_uint(buf, 1, &whole) < 0)
        return -EINVAL;
    if (dot) {
        size_t digits = strlen(dot + 1);
        if (digits == 0 || digits > 9 || parse_uint(dot + 1, 999999999, &frac) < 0)
            return -EINVAL;
        while (digits--)
            scale *= 10;
    }
    unsigned long ppb = whole * FAULT_PPB_ONE + frac * (FAULT_PPB_ONE / scale);
    if (ppb > FAULT_PPB_ONE)
        return -EINVAL;
    *p = (uint32_t)ppb;
    return 0;
}

static uint32_t *fault_field(struct fault_config *f, const char *opt)
{
    if (!strcmp(opt, "--loss"))
        return &f->loss_ppb;
    if (!strcmp(opt, "--duplicate"))
        return &f->duplicate_ppb;
    if (!strcmp(opt, "--reorder"))
        return &f->reorder_ppb;
    if (!strcmp(opt, "--corrupt"))
        return &f->corrupt_ppb;
    if (!strcmp(opt, "--ce"))
        return &f->ce_ppb;
    return NULL;
}

/* Options that take a value; returns 0, 1 (not such an option) or -EINVAL. */
static int parse_valued(struct unic_config *cfg, const char *opt, const char *val, char *err,
                        size_t errlen)
{
    uint32_t *prob = fault_field(&cfg->fault, opt);
    if (prob) {
        if (parse_probability(val, prob) < 0)
            return fail(err, errlen, "%s: '%s' is not a probability between 0 and 1", opt, val);
    } else if (!strcmp(opt, "--ip")) {
        if (parse_cidr(val, &cfg->ip, &cfg->prefix_len) < 0)
            return fail(err, errlen, "--ip: '%s' is not A.B.C.D/N", val);
        cfg->have_ip = true;
    } else if (!strcmp(opt, "--gw") || !strcmp(opt, "--dns")) {
        uint32_t *dst = opt[2] == 'g' ? &cfg->gateway : &cfg->dns;
        if (config_parse_ip4(val, dst) < 0)
            return fail(err, errlen, "%s: '%s' is not an IPv4 address", opt, val);
    } else if (!strcmp(opt, "--ip6")) {
        if (cfg->ip6_count >= CONFIG_MAX_IP6)
            return fail(err, errlen, "--ip6: at most %d addresses", CONFIG_MAX_IP6);
        if (parse_cidr6(val, &cfg->ip6[cfg->ip6_count].addr, &cfg->ip6[cfg->ip6_count].prefix_len) <
            0)
            return fail(err, errlen, "--ip6: '%s' is not a unicast IPv6 ADDR/N", val);
        cfg->ip6_count++;
    } else if (!strcmp(opt, "--gw6")) {
        struct unic_addr a;
        if (unic_addr_parse(val, &a) < 0 || unic_addr_is_ip4(a) || unic_addr_is_unspecified(a) ||
            a.bytes[0] == 0xff)
            return fail(err, errlen, "--gw6: '%s' is not a unicast IPv6 address", val);
        cfg->gw6 = a;
    } else if (!strcmp(opt, "--mac")) {
        if (parse_mac(val, cfg->mac) < 0 || (cfg->mac[0] & 1))
            return fail(err, errlen, "--mac: '%s' is not a unicast aa:bb:cc:dd:ee:ff", val);
        cfg->have_mac = true;
    } else if (!strcmp(opt, "--seed")) {
        unsigned long seed;
        if (parse_uint(val, ~0ul, &seed) < 0)
            return fail(err, errlen, "--seed: '%s' is not a number", val);
        cfg->fault.seed = seed;
        cfg->fault.seeded = true;
    } else if (!strcmp(opt, "--stats-interval")) {
        unsigned long s;
        if (parse_uint(val, CONFIG_STATS_INTERVAL_MAX, &s) < 0 || s == 0)
            return fail(err, errlen, "--stats-interval: '%s' is not a number of seconds in 1..%d",
                        val, CONFIG_STATS_INTERVAL_MAX);
        cfg->stats_interval_s = (uint32_t)s;
    } else if (!strcmp(opt, "--tap")) {
        cfg->tap = val;
    } else if (!strcmp(opt, "--pcap")) {
        cfg->pcap = val;
    } else if (!strcmp(opt, "--replay")) {
        cfg->replay = val;
    } else if (!strcmp(opt, "--user")) {
        cfg->user = val;
    } else if (!strcmp(opt, "--sandbox-selftest")) {
        cfg->sandbox_selftest = val;
    } else {
        return 1;
    }
    return 0;
}

static int parse_flag(struct unic_config *cfg, const char *opt)
{
    if (!strcmp(opt, "--verbose"))
        cfg->verbosity = 1;
    else if (!strcmp(opt, "--quiet"))
        cfg->verbosity = -1;
    else if (!strcmp(opt, "--no-offload"))
        cfg->no_offload = true;
    else if (!strcmp(opt, "--allow-weak-random"))
        cfg->allow_weak_random = true;
    else if (!strcmp(opt, "--tap-create"))
        cfg->tap_create = true;
    else if (!strcmp(opt, "--no-ip6"))
        cfg->no_ip6 = true;
    else if (!strcmp(opt, "--no-dhcp"))
        cfg->no_dhcp = true;
    else if (!strcmp(opt, "--no-sandbox"))
        cfg->no_sandbox = true;
    else if (!strcmp(opt, "--help") || !strcmp(opt, "-h"))
        cfg->help = true;
    else
        return 1;
    return 0;
}

int config_parse(struct unic_config *cfg, int argc, char **argv, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->service_argv[cfg->service_argc++] = argc > 0 ? argv[0] : "unic";
    int i = 1;
    for (; i < argc; i++) {
        const char *opt = argv[i];
        if (!strcmp(opt, "--")) {
            i++;
            break;
        }
        if (parse_flag(cfg, opt) == 0)
            continue;
        if (i + 1 >= argc && fault_field(&cfg->fault, opt) == NULL &&
            parse_valued(cfg, opt, "", err, errlen) == 1)
            return fail(err, errlen, "unknown option '%s' (try --help)", opt);
        if (i + 1 >= argc)
            return fail(err, errlen, "%s needs a value", opt);
        int r = parse_valued(cfg, opt, argv[i + 1], err, errlen);
        if (r < 0)
            return r;
        if (r == 1)
            return fail(err, errlen, "unknown option '%s' (try --help)", opt);
        i++;
    }
    for (; i < argc; i++) {
        if (cfg->service_argc >= CONFIG_MAX_ARGS)
            return fail(err, errlen, "too many service arguments (at most %d)", CONFIG_MAX_ARGS);
        cfg->service_argv[cfg->service_argc++] = argv[i];
    }
    cfg->service_argv[cfg->service_argc] = NULL;
    if (cfg->no_ip6 && (cfg->ip6_count || !unic_addr_is_unspecified(cfg->gw6)))
        return fail(err, errlen, "--no-ip6 cannot go with --ip6 or --gw6");
    return 0;
}

int config_split(char *line, char **argv, int max)
{
    int argc = 0;
    char *r = line, *w = line;
    while (*r) {
        while (*r == ' ' || *r == '\t' || *r == '\n')
            r++;
        if (!*r)
            break;
        if (argc >= max)
            return -E2BIG;
        argv[argc++] = w;
        char quote = 0;
        for (; *r; r++) {
            if (quote) {
                if (*r == quote)
                    quote = 0;
                else
                    *w++ = *r;
            } else if (*r == '"' || *r == '\'') {
                quote = *r;
            } else if (*r == ' ' || *r == '\t' || *r == '\n') {
                break;
            } else {
                *w++ = *r;
            }
        }
        if (*r)
            r++;
        *w++ = 0;
    }
    return argc;
}
