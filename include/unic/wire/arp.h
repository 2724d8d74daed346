/* ARP for IPv4 over Ethernet (RFC 826). */
#ifndef UNIC_WIRE_ARP_H
#define UNIC_WIRE_ARP_H

#include <stddef.h>
#include <stdint.h>

#define ARP_PKT_LEN 28
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

struct arp_pkt {
    uint16_t op;
    uint8_t sha[6];
    uint32_t spa; /* host order */
    uint8_t tha[6];
    uint32_t tpa; /* host order */
};

/* Rejects anything but htype 1 / ptype 0x0800 / hlen 6 / plen 4 (WIRE_EVERSION). */
int arp_parse(const uint8_t *p, size_t len, struct arp_pkt *out);
int arp_emit(uint8_t *p, size_t cap, const struct arp_pkt *a);

#endif
