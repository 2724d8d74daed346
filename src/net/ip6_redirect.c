/*
 * Redirects (RFC 4861 8): a router on the link tells us a better first hop for a destination
 * (another router, or the destination itself, on the link). Validated as 8.1 says, kept in a
 * small table (IP6_REDIRECTS, the oldest replaced) for IP6_REDIRECT_EXPIRE_NS, consulted by
 * ip6_next_hop for destinations that are not on-link. Call order: icmp6_input ->
 * ip6_redirect_input -> nd6_learn (target link-layer address); ip6_next_hop ->
 * ip6_redirect_lookup.
 */
#include "unic/ip6_stack.h"

#include <string.h>

#include "unic/inet_internal.h"
#include "unic/wire/icmp6.h"
#include "unic/wire/ip6.h"

#define ND_REDIRECT_LEN 40 /* ICMPv6 header, target, destination */

bool ip6_redirect_lookup(struct inet *inet, struct unic_addr dst, struct unic_addr *hop)
{
    uint64_t now = inet_now(inet);
    for (int i = 0; i < IP6_REDIRECTS; i++) {
        const struct ip6_redirect *r = &inet->ip6.redirects[i];
        if (r->expires > now && unic_addr_equal(r->dst, dst)) {
            *hop = r->hop;
            return true;
        }
    }
    return false;
}

static void ip6_redirect_store(struct inet *inet, struct unic_addr dst, struct unic_addr hop)
{
    struct ip6_redirect *slot = NULL;
    for (int i = 0; i < IP6_REDIRECTS; i++) {
        struct ip6_redirect *r = &inet->ip6.redirects[i];
        if (r->expires && unic_addr_equal(r->dst, dst)) {
            slot = r;
            break;
        }
        if (!slot || r->expires < slot->expires)
            slot = r; /* a free one (0) or the oldest */
    }
    slot->dst = dst;
    slot->hop = hop;
    slot->expires = inet_now(inet) + IP6_REDIRECT_EXPIRE_NS;
}

void ip6_redirect_input(struct inet *inet, const struct netbuf *nb, struct unic_addr src)
{
    struct ip6_stats *st = &inet->ip6.stats;
    struct nd_opts o;
    st->rx_redirects++;
    if (nb->len < ND_REDIRECT_LEN ||
        nd_opts_parse(nb->data + ND_REDIRECT_LEN, nb->len - ND_REDIRECT_LEN, &o) < 0) {
        st->rx_redirect_bad++;
        return;
    }
    struct unic_addr target = unic_addr_ip6(nb->data + 8), dst = unic_addr_ip6(nb->data + 24);
    struct unic_addr current;
    /* 8.1: from a link-local source that is our current first hop for dst; dst not multicast;
     * target link-local (a router) or dst itself (on the link). */
    bool on_link = unic_addr_equal(target, dst);
    if (!ip6_addr_is_link_local(src.bytes) || ip6_addr_is_multicast(dst.bytes) ||
        (!on_link && !ip6_addr_is_link_local(target.bytes)) ||
        ip6_next_hop(inet, dst, &current) < 0 || !unic_addr_equal(current, src)) {
        st->rx_redirect_bad++;
        return;
    }
    ip6_redirect_store(inet, dst, target);
    if (o.has_tgt_lladdr) /* 8.3: the target's link-layer address, as an unsolicited NA */
        nd6_learn(inet, target, o.tgt_lladdr, !on_link);
}
