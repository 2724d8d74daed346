/*
 * Service arguments and zone set-up: see dns_service.h.
 */
#include "dns_service.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "unic/wire/bytes.h"
#include "zonefile.h"

#define SYNTH_TTL 3600

const char *dns_service_usage(void)
{
    return "dns service arguments: [--records N] [--zone FILE] [--origin NAME] [--port N]"
           " [--listen ADDR]";
}

static int parse_number(const char *s, uint32_t max, uint32_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return -EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -EINVAL;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > max)
            return -EINVAL;
    }
    *out = (uint32_t)v;
    return 0;
}

static int bad(char *err, size_t errlen, const char *what, const char *value)
{
    snprintf(err, errlen, "dns: %s '%s' (%s)", what, value, dns_service_usage());
    return -EINVAL;
}

static int parse_option(const char *opt, const char *val, struct dns_service_args *a, char *err,
                        size_t errlen)
{
    uint32_t v;
    if (strcmp(opt, "--records") == 0) {
        if (parse_number(val, DNS_SERVICE_MAX_RECORDS, &v))
            return bad(err, errlen, "--records must be 0..4000000, not", val);
        a->records = v;
        a->records_given = true;
    } else if (strcmp(opt, "--port") == 0) {
        if (parse_number(val, UINT16_MAX, &v) || v == 0)
            return bad(err, errlen, "--port must be 1..65535, not", val);
        a->port = (uint16_t)v;
    } else if (strcmp(opt, "--zone") == 0) {
        a->zone_file = val;
    } else if (strcmp(opt, "--origin") == 0) {
        a->origin = val;
    } else if (strcmp(opt, "--listen") == 0) {
        a->listen = val;
    } else {
        return bad(err, errlen, "unknown option", opt);
    }
    return 0;
}

int dns_service_parse_args(int argc, char **argv, struct dns_service_args *a, char *err,
                           size_t errlen)
{
    *a = (struct dns_service_args){.records = DNS_SERVICE_DEFAULT_RECORDS, .port = 53};
    for (int i = 1; i < argc; i += 2) { /* every option takes a value */
        if (strcmp(argv[i], "--help") == 0) {
            snprintf(err, errlen, "%s", dns_service_usage());
            return 1;
        }
        if (i + 1 >= argc)
            return bad(err, errlen, "missing value after", argv[i]);
        int rc = parse_option(argv[i], argv[i + 1], a, err, errlen);
        if (rc)
            return rc;
    }
    if (a->zone_file && !a->records_given)
        a->records = 0;
    return 0;
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
    for (uint32_t i = 0; i < count; i++) {
        struct dns_name name;
        uint8_t addr[4];
        wr32(addr, DNS_SERVICE_SYNTH_BASE + i);
        int err = dns_service_synth_name(origin, i, &name);
        if (!err)
            err = zone_add(z, &name, DNS_TYPE_A, SYNTH_TTL, addr, sizeof(addr));
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
    if (rc) {
        snprintf(err, errlen, "dns: cannot add the synthetic records (%s)",
                 rc == -ENOMEM ? "memory budget" : "name clash");
        return rc;
    }
    return finalize(z, err, errlen);
}
