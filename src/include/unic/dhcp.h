/*
 * DHCP client (RFC 2131): used when no --ip is given. DISCOVER -> OFFER -> REQUEST -> ACK, with
 * retries and exponential backoff, renewal at T1, rebinding at T2, and a restart when the lease
 * ends. When bound it calls inet_set_addr() (which calls inet->on_up) and sets inet->dns from
 * the DNS option.
 */
#ifndef UNIC_DHCP_H
#define UNIC_DHCP_H

#include <stdint.h>

struct inet;

/* Attach a DHCP client to (inet) and start acquiring an address. 0 or -errno. */
int dhcp_start(struct inet *inet);

/* Value of DHCP counter (name) (e.g. "rx_nak"), 0 before dhcp_start, -1 if unknown: for tests
 * and the stats dump. */
int64_t dhcp_stat(const struct inet *inet, const char *name);

#endif
