/*
 * A network stack as a service sees it: a handle (unic_inet() gives the one on NIC 0) to pass
 * to udp_bind(), tcp_listen(), tcp_connect(), dns_resolve(), ...; its address; a callback for
 * when it gets one; its counters. The inside is the OS's (src/include/unic/inet_internal.h).
 *
 * Receive path:  NIC -> Ethernet -> ARP | IPv4, IPv6 (each with reassembly) -> ICMP, ICMPv6 |
 * UDP | TCP -> service.
 * UDP, TCP, DHCP and the resolver are attached on first use, so a service that never calls a
 * tcp_ function links no TCP code.
 */
#ifndef UNIC_INET_H
#define UNIC_INET_H

#include <stdint.h>

#include "unic/addr.h"

struct inet;

typedef void (*inet_up_fn)(struct inet *inet, void *arg);

/* The stack's IPv4 address; 0.0.0.0 while it has none (DHCP not bound yet, or the lease ended,
 * or IPv6 only). Its IPv6 addresses are logged as they become usable (docs/ipv6.md). */
struct unic_addr inet_address(const struct inet *inet);

/* Call (fn)(inet, arg) from the event loop each time the stack gets an IPv4 address: with --ip
 * during start-up (before service_start() is called, so check inet_address() there first), with
 * DHCP when a lease is bound or a renewal changed it. One callback per stack: a second call
 * replaces it; (fn) NULL removes it. */
void inet_on_up(struct inet *inet, inet_up_fn fn, void *arg);

/* Print every counter of every module ("stats MODULE: name=value ..."; the non-zero ones unless
 * (all)). */
void inet_print_stats(struct inet *inet, int all);

/* A counter by "module.name" (e.g. "ip4.bad_checksum", "tcp.tx_rst"): the fixed modules and
 * every attached module with a stat hook (named as it prints). -1 if unknown. */
int64_t inet_stat(struct inet *inet, const char *module_dot_name);

#endif
