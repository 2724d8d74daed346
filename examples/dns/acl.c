/* Address allow-lists: see acl.h. */
#include "acl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void clear_host_bits(struct unic_addr *a, unsigned bits)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned keep = bits > 8 * i ? bits - 8 * i : 0;
        if (keep < 8)
            a->bytes[i] &= (uint8_t)(0xff00u >> keep);
    }
}

/* One "ADDR[/N]" of (n) bytes at (item). */
static int parse_item(const char *item, size_t n, struct unic_addr *addr, unsigned *bits)
{
    char text[64];
    if (n == 0 || n >= sizeof(text))
        return -EINVAL;
    memcpy(text, item, n);
    text[n] = 0;
    char *slash = strchr(text, '/');
    unsigned long len = ~0ul;
    if (slash) {
        char *end;
        *slash = 0;
        if (slash[1] < '0' || slash[1] > '9')
            return -EINVAL;
        len = strtoul(slash + 1, &end, 10);
        if (*end)
            return -EINVAL;
    }
    if (unic_addr_parse(text, addr) != 0)
        return -EINVAL;
    unsigned max = unic_addr_is_ip4(*addr) ? 32 : 128;
    if (len == ~0ul)
        len = max;
    if (len > max)
        return -EINVAL;
    *bits = (unsigned)len + 128 - max;
    clear_host_bits(addr, *bits);
    return 0;
}

int acl_parse(struct acl *acl, const char *text, char *err, size_t errlen)
{
    acl->count = 0;
    while (text && *text) {
        const char *comma = strchr(text, ',');
        size_t n = comma ? (size_t)(comma - text) : strlen(text);
        if (acl->count == ACL_MAX) {
            snprintf(err, errlen, "more than %u addresses in the list", ACL_MAX);
            return -EINVAL;
        }
        if (parse_item(text, n, &acl->entry[acl->count].addr, &acl->entry[acl->count].bits)) {
            snprintf(err, errlen, "'%.*s' is not an address or ADDR/N", (int)(n < 64 ? n : 64),
                     text);
            return -EINVAL;
        }
        acl->count++;
        bool more = text[n] == ',';
        text += n + more;
        if (more && !*text) {
            snprintf(err, errlen, "an empty address after the last ','");
            return -EINVAL;
        }
    }
    return 0;
}

bool acl_match(const struct acl *acl, struct unic_addr a)
{
    for (unsigned i = 0; i < acl->count; i++) {
        struct unic_addr masked = a;
        clear_host_bits(&masked, acl->entry[i].bits);
        if (unic_addr_equal(masked, acl->entry[i].addr))
            return true;
    }
    return false;
}
