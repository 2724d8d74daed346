/*
 * An address allow-list, as given on the command line: "ADDR[/N][,ADDR[/N]...]", IPv4 or IPv6
 * addresses with an optional prefix length (a bare address is the host alone). The dns
 * service's --axfr-allow: who may transfer the zone. An empty list allows nobody.
 */
#ifndef DNS_ACL_H
#define DNS_ACL_H

#include <stdbool.h>
#include <stddef.h>

#include "unic/addr.h"

#define ACL_MAX 16

struct acl {
    unsigned count;
    struct {
        struct unic_addr addr; /* host bits cleared */
        unsigned bits;         /* prefix length over the 128-bit form (IPv4: 96 + N) */
    } entry[ACL_MAX];
};

/* Parse (text) (NULL or "" for the empty list) into (acl). 0, or -EINVAL with one line in (err)
 * naming the bad item. */
int acl_parse(struct acl *acl, const char *text, char *err, size_t errlen);

bool acl_match(const struct acl *acl, struct unic_addr a);

#endif
