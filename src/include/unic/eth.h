/* Ethernet: dispatch by ethertype, filter on our MAC / broadcast; prepend headers on output. */
#ifndef UNIC_ETH_H
#define UNIC_ETH_H

#include <stdint.h>

#include "unic/netbuf.h"
#include "unic/stats.h"

struct inet;

#define ETH_STATS(X)                                                                               \
    X(rx)                                                                                          \
    X(tx) X(rx_truncated) X(rx_not_for_us) X(rx_unknown_type) X(tx_no_headroom) X(tx_link_error)
struct eth_stats {
    ETH_STATS(STATS_FIELD)
};

struct eth {
    struct eth_stats stats;
};

/* Takes ownership of (nb), data at the Ethernet header. */
void eth_input(struct inet *inet, struct netbuf *nb);

/* Prepend an Ethernet header to (nb) and send it; takes ownership. Pads to 60 bytes. */
int eth_output(struct inet *inet, struct netbuf *nb, const uint8_t dst[6], uint16_t type);

void eth_print_stats(struct inet *inet, int all);

#endif
