/* ARP packet parse/emit (Ethernet + IPv4 only). */
#include "unic/wire/arp.h"

#include <string.h>

#include "unic/wire/bytes.h"
#include "unic/wire/wire.h"

int arp_parse(const uint8_t *p, size_t len, struct arp_pkt *out)
{
    if (len < ARP_PKT_LEN)
        return WIRE_ETRUNCATED;
    if (rd16(p) != 1 || rd16(p + 2) != 0x0800 || p[4] != 6 || p[5] != 4)
        return WIRE_EVERSION;
    out->op = rd16(p + 6);
    memcpy(out->sha, p + 8, 6);
    out->spa = rd32(p + 14);
    memcpy(out->tha, p + 18, 6);
    out->tpa = rd32(p + 24);
    return WIRE_OK;
}

int arp_emit(uint8_t *p, size_t cap, const struct arp_pkt *a)
{
    if (cap < ARP_PKT_LEN)
        return WIRE_ENOSPACE;
    wr16(p, 1);
    wr16(p + 2, 0x0800);
    p[4] = 6;
    p[5] = 4;
    wr16(p + 6, a->op);
    memcpy(p + 8, a->sha, 6);
    wr32(p + 14, a->spa);
    memcpy(p + 18, a->tha, 6);
    wr32(p + 24, a->tpa);
    return ARP_PKT_LEN;
}
