/*
 * Duplicate address detection (RFC 4862 5.4): a new address is TENTATIVE, its solicited-node
 * group is joined (MLD report first, 5.4.2), and after a random delay up to
 * MAX_RTR_SOLICITATION_DELAY (1 s) DupAddrDetectTransmits solicitations go out from :: one
 * RetransTimer apart; with no answer it becomes PREFERRED. An NA for it, or another node's
 * probe for it, makes it DUPLICATE (5.4.5): it is never used and the operator is told.
 * Call order: ip6_addr_add -> ip6_dad_start; the address timer -> ip6_dad_step;
 *             nd6_input_ns / nd6_input_na -> ip6_addr_conflict.
 */
#include "unic/ip6_stack.h"

#include <stdio.h>
#include <string.h>

#include "unic/inet_internal.h"
#include "unic/log.h"
#include "unic/random.h"
#include "unic/wire/ip6.h"

#define DAD_MAX_DELAY_MS 1000 /* MAX_RTR_SOLICITATION_DELAY (RFC 4861 10) */

static const char *const ip6_origin_names[] = {"link-local", "static", "SLAAC"};

void ip6_dad_start(struct inet *inet, struct ip6_ifaddr *ia)
{
    uint8_t g[16];
    ia->state = IP6_ADDR_TENTATIVE;
    ia->dad_left = IP6_DAD_TRANSMITS;
    ia->dad_at = inet_now(inet) + (uint64_t)random_uniform(DAD_MAX_DELAY_MS) * NSEC_PER_MSEC;
    inet->ip6.stats.dad_started++;
    ip6_solicited_node(ia->addr.bytes, g);
    mld_join(inet, g);
    ip6_addr_timer_rearm(inet);
}

static void ip6_dad_done(struct inet *inet, struct ip6_ifaddr *ia)
{
    char text[UNIC_ADDR_STRLEN];
    ia->state = IP6_ADDR_PREFERRED;
    inet->ip6.stats.dad_ok++;
    log_info("ip6: %s/%u (%s) is ours", unic_addr_format(ia->addr, text), ia->prefix_len,
             ip6_origin_names[ia->origin]);
    /* Routers are asked once the link-local address can be the source (RFC 4861 6.3.7). */
    if (ia->origin == IP6_ORIGIN_LINK_LOCAL && inet->ip6.slaac.enabled)
        slaac_start(inet);
}

void ip6_dad_step(struct inet *inet, struct ip6_ifaddr *ia, uint64_t now)
{
    if (!ia->dad_left) {
        ip6_dad_done(inet, ia);
        return;
    }
    struct unic_addr unspec = {{0}}, group;
    ip6_solicited_node(ia->addr.bytes, group.bytes);
    ia->dad_left--;
    ia->dad_at = now + inet->ip6.nd.retrans_ns;
    nd6_send_ns(inet, unspec, group, ia->addr);
}

void ip6_addr_conflict(struct inet *inet, struct unic_addr a, const uint8_t mac[6])
{
    struct ip6_ifaddr *ia = ip6_addr_find(inet, a);
    char text[UNIC_ADDR_STRLEN], who[24] = "another node";
    if (!ia)
        return;
    if (mac)
        snprintf(who, sizeof(who), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                 mac[4], mac[5]);
    inet->ip6.stats.dad_conflicts++;
    unic_addr_format(a, text);
    if (ia->state != IP6_ADDR_TENTATIVE) {
        /* After DAD (5.4.4 leaves it to us): keep the address, as ARP does, and say so. */
        if (ia->state != IP6_ADDR_DUPLICATE)
            log_warn("ip6: %s is claimed by %s: keeping it", text, who);
        return;
    }
    uint8_t g[16];
    ip6_solicited_node(a.bytes, g);
    mld_leave(inet, g);
    ia->state = IP6_ADDR_DUPLICATE;
    if (ia->origin != IP6_ORIGIN_LINK_LOCAL) {
        log_error("ip6: duplicate address %s (%s) in use by %s: not used", text,
                  ip6_origin_names[ia->origin], who);
        ip6_addr_timer_rearm(inet);
        return;
    }
    /* 5.4.5: a duplicate link-local address from the MAC means another node has our MAC
     * (SLAAC addresses would be duplicates too): IPv6 stops on the interface. */
    log_error("ip6: duplicate link-local address %s in use by %s: IPv6 is off (RFC 4862 "
              "5.4.5; give --mac another MAC)",
              text, who);
    ip6_disable(inet);
}
