/* Ethernet II header. */
#ifndef UNIC_WIRE_ETH_H
#define UNIC_WIRE_ETH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETH_HDR_LEN 14
#define ETH_ADDR_LEN 6
#define ETH_TYPE_IP4 0x0800
#define ETH_TYPE_ARP 0x0806
#define ETH_TYPE_IP6 0x86dd
#define ETH_TYPE_VLAN 0x8100
#define ETH_MIN_FRAME 60 /* without FCS */

struct eth_hdr {
    uint8_t dst[ETH_ADDR_LEN];
    uint8_t src[ETH_ADDR_LEN];
    uint16_t type;
};

extern const uint8_t eth_broadcast[ETH_ADDR_LEN];

int eth_parse(const uint8_t *p, size_t len, struct eth_hdr *out);
int eth_emit(uint8_t *p, size_t cap, const struct eth_hdr *h);

static inline bool eth_is_multicast(const uint8_t *mac)
{
    return mac[0] & 1;
}

#endif
