/* The Internet checksum (RFC 1071), with incremental update (RFC 1624). */
#ifndef UNIC_WIRE_CHECKSUM_H
#define UNIC_WIRE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add (len) bytes at (data) to a running 32-bit one's-complement sum (odd lengths padded). */
uint32_t csum_partial(const void *data, size_t len, uint32_t sum);

/* Fold a running sum into the final 16-bit checksum (complemented), host order. */
uint16_t csum_fold(uint32_t sum);

/* Sum of the IPv4 pseudo header for (proto) and (l4_len), host-order addresses. */
uint32_t csum_pseudo_ip4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t l4_len);

/* Sum of the IPv6 pseudo header (RFC 8200 8.1): (src) and (dst) 16 bytes each in network order,
 * the upper-layer length (32 bits: jumbograms aside, at most 65535) and the next header. */
uint32_t csum_pseudo_ip6(const uint8_t src[16], const uint8_t dst[16], uint8_t next_header,
                         uint32_t l4_len);

/* Checksum of (len) bytes: 0 on input means the stored checksum verifies. */
static inline uint16_t ip_checksum(const void *data, size_t len)
{
    return csum_fold(csum_partial(data, len, 0));
}

#endif
