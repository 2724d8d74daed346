/*
 * Ethernet: eth_input filters on destination (our MAC, broadcast, and IPv6 multicast 33:33:*
 * while IPv6 is on: ip6_input then checks the group is one we are in) and dispatches by
 * ethertype; eth_output prepends the header and pads
 * runts to the 60-byte minimum with zeros (no uninitialised bytes on the wire).
 */
#include "unic/eth.h"

#include <errno.h>
#include <string.h>

#include "unic/arp.h"
#include "unic/inet_internal.h"
#include "unic/ip4.h"
#include "unic/wire/eth.h"

void eth_input(struct inet *inet, struct netbuf *nb)
{
    struct eth_stats *st = &inet->eth.stats;
    struct eth_hdr h;
    st->rx++;
    if (eth_parse(nb->data, nb->len, &h) < 0) {
        st->rx_truncated++;
        netbuf_free(nb);
        return;
    }
    bool ip6_group = h.dst[0] == 0x33 && h.dst[1] == 0x33 && inet->ip6.enabled;
    if (memcmp(h.dst, inet->mac, 6) != 0 && memcmp(h.dst, eth_broadcast, 6) != 0 && !ip6_group) {
        st->rx_not_for_us++;
        netbuf_free(nb);
        return;
    }
    nb->l2_group = (h.dst[0] & 1) != 0; /* the group bit: broadcast or multicast */
    netbuf_pull(nb, ETH_HDR_LEN);
    switch (h.type) {
    case ETH_TYPE_IP4:
        ip4_input(inet, nb);
        break;
    case ETH_TYPE_ARP:
        arp_input(inet, nb);
        break;
    case ETH_TYPE_IP6:
        ip6_input(inet, nb);
        break;
    default:
        st->rx_unknown_type++;
        netbuf_free(nb);
    }
}

int eth_output(struct inet *inet, struct netbuf *nb, const uint8_t dst[6], uint16_t type)
{
    struct eth_stats *st = &inet->eth.stats;
    uint8_t *p = netbuf_push(nb, ETH_HDR_LEN);
    if (!p) {
        st->tx_no_headroom++;
        netbuf_free(nb);
        return -ENOBUFS;
    }
    struct eth_hdr h = {.type = type};
    memcpy(h.dst, dst, 6);
    memcpy(h.src, inet->mac, 6);
    eth_emit(p, ETH_HDR_LEN, &h);
    if (nb->len < ETH_MIN_FRAME) {
        size_t pad = ETH_MIN_FRAME - nb->len;
        uint8_t *tail = netbuf_put(nb, pad);
        if (tail)
            memset(tail, 0, pad);
    }
    st->tx++;
    int r = inet->link_output(inet->link_ctx, nb);
    if (r < 0)
        st->tx_link_error++;
    return r;
}
