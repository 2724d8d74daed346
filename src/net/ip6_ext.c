/*
 * IPv6 extension headers on input (RFC 8200 4): hop-by-hop options (only right after the
 * header, 4.1), destination options, routing (a host forwards nothing: segments left > 0 is a
 * parameter problem, 4.4), fragment (reassembly, atomic fragments delivered at once, RFC 6946).
 * An unknown option acts as its two high bits say (4.2); an unknown next header gets a
 * parameter problem (code 1). Call order: ip6_input -> ip6_ext_input -> ip6_reass_input |
 * ip6_deliver.
 */
#include "unic/ip6_stack.h"

#include <string.h>

#include "unic/inet_internal.h"
#include "unic/wire/icmp6.h"
#include "unic/wire/ip6.h"
#include "unic/wire/wire.h"

#define IP6_EXT_MAX 16 /* extension headers in one chain: more is an attack, not a packet */

static void ip6_ext_drop(struct inet *inet, struct netbuf *nb, uint8_t code, size_t pointer,
                         bool allow_multicast)
{
    icmp6_send_error(inet, ICMP6_PARAM_PROBLEM, code, (uint32_t)pointer, nb, allow_multicast);
    netbuf_free(nb);
}

/* The options of a hop-by-hop or destination options header at (off); true when the packet
 * goes on, false when it was dropped (and perhaps answered). */
static bool ip6_ext_options(struct inet *inet, struct netbuf *nb, const struct ip6_hdr *h,
                            size_t off, size_t len)
{
    struct ip6_opt_unknown u;
    size_t start = 2;
    int r;
    while ((r = ip6_opts_walk(nb->data + off, len, start, &u)) == 1) {
        uint8_t action = u.type >> 6;
        if (action == 0) { /* 00: skip over it */
            start = u.next;
            continue;
        }
        inet->ip6.stats.rx_unknown_option++;
        if (action == 1) /* 01: discard silently */
            netbuf_free(nb);
        else /* 10: parameter problem even to multicast; 11: only to unicast */
            ip6_ext_drop(inet, nb, ICMP6_PARAM_OPTION, off + u.offset, action == 2);
        return false;
    }
    if (r < 0) {
        inet->ip6.stats.rx_bad_ext++;
        netbuf_free(nb);
        return false;
    }
    (void)h;
    return true;
}

/* Does the first fragment's payload (p, len), starting with header (nh), hold the whole header
 * chain and the upper-layer header (RFC 7112)? Its fixed part is enough: TCP 20, UDP 8, ICMPv6
 * 4 bytes; an unknown next header ends the chain (it is refused after reassembly). */
static bool ip6_ext_chain_complete(const uint8_t *p, size_t len, uint8_t nh)
{
    size_t off = 0;
    for (int n = 0; n < IP6_EXT_MAX; n++) {
        size_t hl;
        switch (nh) {
        case IP6_NH_TCP:
            return len - off >= 20;
        case IP6_NH_UDP:
            return len - off >= 8;
        case IP6_NH_ICMP6:
            return len - off >= 4;
        case IP6_NH_HOPOPTS:
        case IP6_NH_DSTOPTS:
        case IP6_NH_ROUTING:
            if (ip6_ext_parse(p + off, len - off, &nh, &hl) < 0)
                return false;
            off += hl;
            break;
        default:
            return true;
        }
    }
    return false;
}

/* A fragment at (off): NULL while reassembly goes on (or the fragment was dropped), else the
 * whole packet (or the atomic fragment itself) with (*h), (*off), (*nh), (*nh_off) set to
 * resume the header chain. */
static struct netbuf *ip6_ext_fragment(struct inet *inet, struct netbuf *nb, struct ip6_hdr *h,
                                       size_t *off, uint8_t *nh, size_t *nh_off)
{
    struct ip6_stats *st = &inet->ip6.stats;
    struct ip6_frag_hdr fh;
    if (ip6_frag_parse(nb->data + *off, nb->len - *off, &fh) < 0) {
        st->rx_bad_ext++;
        netbuf_free(nb);
        return NULL;
    }
    size_t frag_len = nb->len - *off - IP6_FRAG_HDR_LEN;
    if (fh.offset == 0 && !fh.more) { /* atomic (RFC 6946): a packet on its own */
        st->rx_atomic_fragments++;
        *nh_off = *off;
        *off += IP6_FRAG_HDR_LEN;
        *nh = fh.next_header;
        return nb;
    }
    st->rx_fragments++;
    if (fh.more && (frag_len == 0 || (frag_len & 7))) { /* RFC 8200 4.5: pointer to length */
        st->rx_bad_ext++;
        ip6_ext_drop(inet, nb, ICMP6_PARAM_HEADER, 4, false);
        return NULL;
    }
    if ((size_t)fh.offset + frag_len > 65535) { /* pointer to the fragment offset */
        st->rx_bad_ext++;
        ip6_ext_drop(inet, nb, ICMP6_PARAM_HEADER, *off + 2, false);
        return NULL;
    }
    if (fh.offset == 0 &&
        !ip6_ext_chain_complete(nb->data + *off + IP6_FRAG_HDR_LEN, frag_len, fh.next_header)) {
        st->rx_bad_ext++; /* RFC 8200 4.5, RFC 7112: the header chain in the first fragment */
        ip6_ext_drop(inet, nb, ICMP6_PARAM_FIRST_FRAG, 0, false);
        return NULL;
    }
    nb = ip6_reass_input(inet, nb, h, *off, &fh);
    if (!nb)
        return NULL;
    st->rx_reassembled++;
    ip6_parse(nb->data, nb->len, h);
    *off = IP6_HDR_LEN;
    *nh = h->next_header;
    *nh_off = 6;
    return nb;
}

void ip6_ext_input(struct inet *inet, struct netbuf *nb, const struct ip6_hdr *hdr)
{
    struct ip6_stats *st = &inet->ip6.stats;
    struct ip6_hdr h = *hdr;
    size_t off = IP6_HDR_LEN, nh_off = 6;
    uint8_t nh = h.next_header;
    bool reassembled = false;
    for (int n = 0; n <= IP6_EXT_MAX; n++) {
        uint8_t next;
        size_t len;
        switch (nh) {
        case IP6_NH_ICMP6:
        case IP6_NH_UDP:
        case IP6_NH_TCP:
            ip6_deliver(inet, nb, &h, nh, off);
            return;
        case IP6_NH_NONE:
            st->rx_no_next_header++;
            netbuf_free(nb);
            return;
        case IP6_NH_HOPOPTS:
            if (off != IP6_HDR_LEN || reassembled) { /* RFC 8200 4.1: only first */
                st->rx_bad_ext++;
                ip6_ext_drop(inet, nb, ICMP6_PARAM_NEXT_HEADER, nh_off, false);
                return;
            }
            /* fall through */
        case IP6_NH_DSTOPTS:
            if (ip6_ext_parse(nb->data + off, nb->len - off, &next, &len) < 0) {
                st->rx_bad_ext++;
                netbuf_free(nb);
                return;
            }
            if (!ip6_ext_options(inet, nb, &h, off, len))
                return;
            break;
        case IP6_NH_ROUTING: {
            struct ip6_rh rh;
            if (ip6_ext_parse(nb->data + off, nb->len - off, &next, &len) < 0 ||
                ip6_rh_parse(nb->data + off, len, &rh) < 0) {
                st->rx_bad_ext++;
                netbuf_free(nb);
                return;
            }
            if (rh.segments_left) { /* 4.4: we route nothing: point at the routing type */
                st->rx_routing_header++;
                ip6_ext_drop(inet, nb, ICMP6_PARAM_HEADER, off + 2, false);
                return;
            }
            break;
        }
        case IP6_NH_FRAGMENT:
            if (reassembled) { /* a fragment inside a fragment */
                st->rx_bad_ext++;
                netbuf_free(nb);
                return;
            }
            nb = ip6_ext_fragment(inet, nb, &h, &off, &nh, &nh_off);
            if (!nb)
                return;
            reassembled = true;
            continue;
        default: /* unknown, or ESP/AH which we do not do: 4. parameter problem code 1 */
            st->rx_no_proto++;
            ip6_ext_drop(inet, nb, ICMP6_PARAM_NEXT_HEADER, nh_off, false);
            return;
        }
        nh_off = off;
        nh = next;
        off += len;
    }
    st->rx_bad_ext++;
    netbuf_free(nb);
}
