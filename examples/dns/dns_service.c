/*
 * Service arguments and zone set-up: see dns_service.h.
 */
#include "dns_service.h"

#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "unic/wire/bytes.h"
#include "zonefile.h"

#define SYNTH_TTL 3600

/* clang-format off */
#define COMMON_OPTIONS                                                                             \
    {"--records", OPTION_UINT, "N", "10000", 0, DNS_SERVICE_MAX_RECORDS,                           \
     "synthetic hosts host<i>.<origin>: A 10.128.0.0+i, AAAA fd00:10:128::+i (none with --zone)"}, \
    {"--zone", OPTION_STRING, "FILE", NULL, 0, 0, "a zone file (hosted only)"},                    \
    {"--origin", OPTION_STRING, "NAME", NULL, 0, 0,                                                \
     "zone of the synthetic records (default example., or the file's SOA owner)"},                 \
    {"--port", OPTION_UINT, "N", "53", 1, 65535, "UDP and TCP port"},                              \
    {"--wide", OPTION_UINT, "N", "0", 0, DNS_WIDE_MAX,                                             \
     "N A records 10.129.0.0+i on wide.<origin> (an answer too large for UDP)"}
/* clang-format on */

const struct option_spec dns_service_options[DNS_SERVICE_OPTION_COUNT] = {
    COMMON_OPTIONS,
    {"--idle-timeout", OPTION_UINT, "S", "10", 1, 86400,
     "seconds a TCP connection may stay idle before it is closed"},
    {"--max-conns", OPTION_UINT, "N", "256", 1, 100000, "TCP connections at once"},
    {"--axfr-allow", OPTION_STRING, "LIST", NULL, 0, 0,
     "ADDR[/N],... allowed to transfer the zone (AXFR, IXFR); default nobody"},
};

const struct option_spec dns_linux_options[DNS_LINUX_OPTION_COUNT] = {
    COMMON_OPTIONS,
    {"--listen", OPTION_STRING, "ADDR", "0.0.0.0", 0, 0, "the address to bind"},
};

void dns_service_args_from(const struct option_set *o, bool linux_table, struct dns_service_args *a)
{
    *a = (struct dns_service_args){
        .records = (uint32_t)options_uint(o, "--records"),
        .records_given = options_given(o, "--records"),
        .wide = (uint32_t)options_uint(o, "--wide"),
        .zone_file = options_string(o, "--zone"),
        .origin = options_string(o, "--origin"),
        .port = (uint16_t)options_uint(o, "--port"),
    };
    if (linux_table) {
        a->listen = options_string(o, "--listen");
    } else {
        a->tcp_idle_timeout_s = (uint32_t)options_uint(o, "--idle-timeout");
        a->tcp_max_conns = (uint32_t)options_uint(o, "--max-conns");
        a->axfr_allow = options_string(o, "--axfr-allow");
    }
    if (a->zone_file && !a->records_given)
        a->records = 0;
}

static int bad(char *err, size_t errlen, const char *what, const char *value)
{
    snprintf(err, errlen, "dns: %s '%s'", what, value);
    return -EINVAL;
}

int dns_service_synth_name(const struct dns_name *origin, uint32_t i, struct dns_name *out)
{
    char label[16];
    int n = snprintf(label, sizeof(label), "host%u", (unsigned)i);
    if (n < 0 || (size_t)n + 1 + origin->len > DNS_MAX_NAME)
        return -EINVAL;
    out->wire[0] = (uint8_t)n;
    memcpy(out->wire + 1, label, (size_t)n);
    memcpy(out->wire + 1 + n, origin->wire, origin->len);
    out->len = (uint8_t)(1 + n + origin->len);
    out->labels = (uint8_t)(origin->labels + 1);
    return 0;
}

void dns_service_synth_addr6(uint32_t i, uint8_t out[16])
{
    static const uint8_t base[12] = DNS_SERVICE_SYNTH_BASE6;
    memcpy(out, base, sizeof(base));
    wr32(out + 12, i);
}

/* SOA and NS at the apex, for a zone made of synthetic records only. */
static int add_synth_apex(struct dns_zone *z, const struct dns_name *origin)
{
    struct dns_name ns, mbox;
    uint8_t rd[2 * DNS_MAX_NAME + 20];
    if (dns_name_from_text("ns1", 3, origin, &ns) ||
        dns_name_from_text("hostmaster", 10, origin, &mbox))
        return -EINVAL;
    memcpy(rd, ns.wire, ns.len);
    memcpy(rd + ns.len, mbox.wire, mbox.len);
    uint8_t *nums = rd + ns.len + mbox.len;
    static const uint32_t soa_times[5] = {1, 3600, 600, 86400, 60};
    for (int k = 0; k < 5; k++)
        wr32(nums + 4 * k, soa_times[k]);
    int err = zone_add(z, origin, DNS_TYPE_SOA, SYNTH_TTL, rd, (size_t)(nums + 20 - rd));
    return err ? err : zone_add(z, origin, DNS_TYPE_NS, SYNTH_TTL, ns.wire, ns.len);
}

static int add_synth_hosts(struct dns_zone *z, const struct dns_name *origin, uint32_t count)
{
    /* Each host: its name (a label "host<i>", then the origin) and the rdata of A and AAAA. */
    size_t digits = 1;
    for (uint32_t last = count ? count - 1 : 0; last >= 10; last /= 10)
        digits++;
    size_t per_host = 1 + 4 + digits + origin->len + 4 + 16;
    if (count > SIZE_MAX / per_host)
        return -ENOMEM;
    int reserved = zone_reserve(z, count, 2 * (size_t)count, count * per_host);
    if (reserved)
        return reserved;
    for (uint32_t i = 0; i < count; i++) {
        struct dns_name name;
        uint8_t addr[4], addr6[16];
        wr32(addr, DNS_SERVICE_SYNTH_BASE + i);
        dns_service_synth_addr6(i, addr6);
        int err = dns_service_synth_name(origin, i, &name);
        if (!err)
            err = zone_add(z, &name, DNS_TYPE_A, SYNTH_TTL, addr, sizeof(addr));
        if (!err)
            err = zone_add(z, &name, DNS_TYPE_AAAA, SYNTH_TTL, addr6, sizeof(addr6));
        if (err)
            return err;
    }
    return 0;
}

/* (count) A records on wide.<origin>: one RRset larger than a UDP answer can be. */
static int add_synth_wide(struct dns_zone *z, const struct dns_name *origin, uint32_t count)
{
    struct dns_name name;
    if (count == 0)
        return 0;
    if (dns_name_from_text("wide", 4, origin, &name))
        return -EINVAL;
    for (uint32_t i = 0; i < count; i++) {
        uint8_t addr[4];
        wr32(addr, DNS_SERVICE_WIDE_BASE + i);
        int err = zone_add(z, &name, DNS_TYPE_A, SYNTH_TTL, addr, sizeof(addr));
        if (err)
            return err;
    }
    return 0;
}

static int origin_of(const struct dns_zone *z, const struct dns_service_args *a,
                     struct dns_name *out, char *err, size_t errlen)
{
    const char *text = a->origin ? a->origin : "example.";
    if (!a->origin && z->soa_node != ZONE_NONE) { /* the zone file's apex */
        const struct zone_node *n = zone_node_at(z, z->soa_node);
        size_t next;
        return dns_name_parse(z->data + n->name_off, n->name_len, 0, out, &next) ? -EINVAL : 0;
    }
    if (dns_name_from_text(text, strlen(text), NULL, out) != 0)
        return bad(err, errlen, "bad --origin", text);
    return 0;
}

static int finalize(struct dns_zone *z, char *err, size_t errlen)
{
    struct dns_name bad_owner;
    int rc = zone_finalize(z, &bad_owner);
    char name[DNS_MAX_NAME_TEXT];
    if (rc == -ENOENT)
        snprintf(err, errlen, "dns: the zone has no SOA record");
    else if (rc == -EDOM && dns_name_to_text(&bad_owner, name, sizeof(name)) >= 0)
        snprintf(err, errlen, "dns: %s is outside the zone", name);
    else if (rc)
        snprintf(err, errlen, "dns: zone exceeds its memory budget");
    return rc;
}

int dns_service_build_zone(struct dns_zone *z, const struct dns_service_args *a,
                           const char *zone_text, size_t zone_len, char *err, size_t errlen)
{
    struct dns_name origin;
    int rc = 0;
    if (zone_text) {
        char why[200];
        bool have = a->origin != NULL;
        if (have && origin_of(z, a, &origin, err, errlen))
            return -EINVAL;
        rc = zonefile_load(z, zone_text, zone_len, have ? &origin : NULL, why, sizeof(why));
        if (rc) {
            snprintf(err, errlen, "dns: %s: %s", a->zone_file ? a->zone_file : "zone", why);
            return rc;
        }
    }
    if (origin_of(z, a, &origin, err, errlen))
        return -EINVAL;
    if (!zone_text)
        rc = add_synth_apex(z, &origin);
    if (!rc)
        rc = add_synth_hosts(z, &origin, a->records);
    if (!rc)
        rc = add_synth_wide(z, &origin, a->wide);
    if (rc) {
        snprintf(err, errlen, "dns: cannot add the synthetic records (%s)",
                 rc == -ENOMEM ? "memory budget" : "name clash");
        return rc;
    }
    return finalize(z, err, errlen);
}
