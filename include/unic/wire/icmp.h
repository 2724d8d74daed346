/* ICMP for IPv4 (RFC 792). */
#ifndef UNIC_WIRE_ICMP_H
#define UNIC_WIRE_ICMP_H

#include <stddef.h>
#include <stdint.h>

#define ICMP_HDR_LEN 8
#define ICMP_ECHO_REPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO_REQUEST 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAM_PROBLEM 12

#define ICMP_UNREACH_NET 0
#define ICMP_UNREACH_HOST 1
#define ICMP_UNREACH_PROTOCOL 2
#define ICMP_UNREACH_PORT 3
#define ICMP_UNREACH_NEEDFRAG 4
#define ICMP_UNREACH_SRCFAIL 5 /* source route failed */

struct icmp_hdr {
    uint8_t type, code;
    uint16_t checksum;
    uint32_t rest; /* id/seq for echo, unused/MTU for unreachable */
};

/* Verifies the checksum over all (len) bytes (WIRE_ECHECKSUM). */
int icmp_parse(const uint8_t *p, size_t len, struct icmp_hdr *out);

/* Writes the 8-byte header; the checksum covers the header and the (payload_len) bytes that
 * already follow it in (p). */
int icmp_emit(uint8_t *p, size_t cap, const struct icmp_hdr *h, size_t payload_len);

#endif
