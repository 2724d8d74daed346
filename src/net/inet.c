/*
 * Wires the modules of one stack together (cf. IncludeOS's Inet) and owns its configuration.
 * Call order: see src/include/unic/inet_internal.h.
 */
#include "unic/inet_internal.h"

#include <errno.h>
#include <string.h>

#include "unic/log.h"

int inet_init(struct inet *inet, const struct inet_config *cfg, struct netbuf_pool *pool,
              struct timer_queue *timers, inet_link_output_fn out, void *out_ctx)
{
    if (cfg->mtu < 576 || cfg->mtu > 9000 || (cfg->mac[0] & 1))
        return -EINVAL;
    memset(inet, 0, sizeof(*inet));
    inet->timers = timers;
    inet->pool = pool;
    inet->link_output = out;
    inet->link_ctx = out_ctx;
    memcpy(inet->mac, cfg->mac, 6);
    inet->mtu = cfg->mtu;
    inet->dns = cfg->dns;
    arp_init(inet);
    ip4_init(inet);
    icmp_init(inet);
    ip6_init(inet);
    if (cfg->addr)
        inet_set_addr(inet, cfg->addr, cfg->prefix_len, cfg->gateway);
    return 0;
}

void inet_destroy(struct inet *inet)
{
    struct inet_module *m = inet->modules;
    inet->modules = NULL;
    while (m) {
        struct inet_module *next = m->next;
        if (m->destroy)
            m->destroy(inet); /* may free m itself */
        m = next;
    }
    ip6_destroy(inet);
    ip4_destroy(inet);
    arp_destroy(inet);
}

void inet_input(struct inet *inet, struct netbuf *nb)
{
    eth_input(inet, nb);
}

void inet_set_addr(struct inet *inet, uint32_t addr, uint32_t prefix_len, uint32_t gateway)
{
    if (prefix_len > 32)
        prefix_len = 32;
    inet->addr = addr;
    inet->netmask = prefix_len ? ~0u << (32 - prefix_len) : 0;
    inet->gateway = gateway;
    if (!addr)
        return;
    arp_announce(inet);
    if (inet->on_up)
        inet->on_up(inet, inet->on_up_arg);
}

struct unic_addr inet_address(const struct inet *inet)
{
    return unic_addr_ip4(inet->addr);
}

void inet_on_up(struct inet *inet, inet_up_fn fn, void *arg)
{
    inet->on_up = fn;
    inet->on_up_arg = arg;
}

void inet_add_module(struct inet *inet, struct inet_module *m)
{
    struct inet_module **pp = &inet->modules;
    while (*pp)
        pp = &(*pp)->next;
    m->next = NULL;
    *pp = m;
}

void inet_print_stats(struct inet *inet, int all)
{
    eth_print_stats(inet, all);
    arp_print_stats(inet, all);
    ip4_print_stats(inet, all);
    ip4_reass_print_stats(inet, all);
    icmp_print_stats(inet, all);
    ip6_print_stats(inet, all);
    ip6_reass_print_stats(inet, all);
    icmp6_print_stats(inet, all);
    nd6_print_stats(inet, all);
    mld_print_stats(inet, all);
    slaac_print_stats(inet, all);
    for (struct inet_module *m = inet->modules; m; m = m->next)
        if (m->print_stats)
            m->print_stats(inet, all);
}

static const char *const eth_names[] = {ETH_STATS(STATS_NAME)};
static const char *const arp_names[] = {ARP_STATS(STATS_NAME)};
static const char *const ip4_names[] = {IP4_STATS(STATS_NAME)};
static const char *const reass_names[] = {IP4_REASS_STATS(STATS_NAME)};
static const char *const icmp_names[] = {ICMP_STATS(STATS_NAME)};
static const char *const ip6_names[] = {IP6_STATS(STATS_NAME)};
static const char *const reass6_names[] = {IP6_REASS_STATS(STATS_NAME)};
static const char *const icmp6_names[] = {ICMP6_STATS(STATS_NAME)};
static const char *const nd6_names[] = {ND6_STATS(STATS_NAME)};
static const char *const mld_names[] = {MLD_STATS(STATS_NAME)};
static const char *const slaac_names[] = {SLAAC_STATS(STATS_NAME)};

int64_t inet_stat(struct inet *inet, const char *module_dot_name)
{
    const char *dot = strchr(module_dot_name, '.');
    if (!dot)
        return -1;
    size_t n = (size_t)(dot - module_dot_name);
    const char *name = dot + 1;
#define LOOKUP(mod, names, stats)                                                                  \
    if (n == strlen(mod) && !strncmp(module_dot_name, mod, n))                                     \
        return stats_lookup(names, stats, STATS_COUNT(names), name);
    LOOKUP("eth", eth_names, &inet->eth.stats)
    LOOKUP("arp", arp_names, &inet->arp.stats)
    LOOKUP("ip4", ip4_names, &inet->ip4.stats)
    LOOKUP("reass", reass_names, &inet->ip4.reass_stats)
    LOOKUP("icmp", icmp_names, &inet->icmp.stats)
    LOOKUP("ip6", ip6_names, &inet->ip6.stats)
    LOOKUP("reass6", reass6_names, &inet->ip6.reass_stats)
    LOOKUP("icmp6", icmp6_names, &inet->ip6.icmp6.stats)
    LOOKUP("nd6", nd6_names, &inet->ip6.nd.stats)
    LOOKUP("mld", mld_names, &inet->ip6.mld.stats)
    LOOKUP("slaac", slaac_names, &inet->ip6.slaac.stats)
#undef LOOKUP
    for (struct inet_module *m = inet->modules; m; m = m->next)
        if (m->stat && n == strlen(m->name) && !strncmp(module_dot_name, m->name, n))
            return m->stat(inet, name);
    return -1;
}

void eth_print_stats(struct inet *inet, int all)
{
    stats_print("eth", eth_names, &inet->eth.stats, STATS_COUNT(eth_names), all);
}

void arp_print_stats(struct inet *inet, int all)
{
    stats_print("arp", arp_names, &inet->arp.stats, STATS_COUNT(arp_names), all);
}

void ip4_print_stats(struct inet *inet, int all)
{
    stats_print("ip4", ip4_names, &inet->ip4.stats, STATS_COUNT(ip4_names), all);
}

void ip4_reass_print_stats(struct inet *inet, int all)
{
    stats_print("reass", reass_names, &inet->ip4.reass_stats, STATS_COUNT(reass_names), all);
}

void icmp_print_stats(struct inet *inet, int all)
{
    stats_print("icmp", icmp_names, &inet->icmp.stats, STATS_COUNT(icmp_names), all);
}
