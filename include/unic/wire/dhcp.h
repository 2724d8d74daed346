/*
 * DHCP messages (RFC 2131) and the options a client and a test server need (RFC 2132): the
 * BOOTP fixed part, the magic cookie, then options. The parser also reads options moved into
 * the file/sname fields by option 52 (overload), and joins every instance of an option, in the
 * order options field, file, sname, before reading it (RFC 3396 7). Addresses are host order; a
 * zero address, time or type means "absent" (none of them is meaningful as zero).
 */
#ifndef UNIC_WIRE_DHCP_H
#define UNIC_WIRE_DHCP_H

#include <stddef.h>
#include <stdint.h>

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_FIXED_LEN 236 /* BOOTP header up to the options */
#define DHCP_MAGIC 0x63825363u
#define DHCP_MIN_LEN (DHCP_FIXED_LEN + 4)
#define DHCP_BOOTP_MIN_LEN 300 /* RFC 1542 2.1: some relays drop shorter messages */
#define DHCP_MAX_LEN 576       /* what we build and what we say we accept (option 57) */
#define DHCP_OP_REQUEST 1
#define DHCP_OP_REPLY 2
#define DHCP_HTYPE_ETH 1
#define DHCP_FLAG_BROADCAST 0x8000
#define DHCP_LEASE_INFINITE 0xffffffffu
#define DHCP_MAX_DNS 3
#define DHCP_MAX_PARAMS 16

enum dhcp_msg_type {
    DHCP_DISCOVER = 1,
    DHCP_OFFER = 2,
    DHCP_REQUEST = 3,
    DHCP_DECLINE = 4,
    DHCP_ACK = 5,
    DHCP_NAK = 6,
    DHCP_RELEASE = 7,
    DHCP_INFORM = 8,
};

enum dhcp_option {
    DHCP_OPT_PAD = 0,
    DHCP_OPT_SUBNET_MASK = 1,
    DHCP_OPT_ROUTER = 3,
    DHCP_OPT_DNS = 6,
    DHCP_OPT_REQUESTED_IP = 50,
    DHCP_OPT_LEASE_TIME = 51,
    DHCP_OPT_OVERLOAD = 52,
    DHCP_OPT_MSG_TYPE = 53,
    DHCP_OPT_SERVER_ID = 54,
    DHCP_OPT_PARAM_LIST = 55,
    DHCP_OPT_MAX_SIZE = 57,
    DHCP_OPT_T1 = 58,
    DHCP_OPT_T2 = 59,
    DHCP_OPT_CLIENT_ID = 61,
    DHCP_OPT_END = 255,
};

struct dhcp_msg {
    /* fixed part */
    uint8_t op, htype, hlen, hops;
    uint32_t xid;
    uint16_t secs, flags;
    uint32_t ciaddr, yiaddr, siaddr, giaddr;
    uint8_t chaddr[16];
    /* options (0 = absent) */
    uint8_t type; /* enum dhcp_msg_type */
    uint32_t subnet_mask, router, requested_ip, server_id;
    uint32_t lease_time, t1, t2; /* seconds */
    uint32_t dns[DHCP_MAX_DNS];
    uint8_t dns_count;
    uint16_t max_size;
    uint8_t params[DHCP_MAX_PARAMS]; /* parameter request list (extra entries are ignored) */
    uint8_t param_count;
    uint8_t client_id_mac; /* emit: 1 = send option 61 as type 1 + chaddr[0..5] */
};

/* Parse a whole message. WIRE_ETRUNCATED below DHCP_MIN_LEN, WIRE_EVERSION without the magic
 * cookie, WIRE_EOPTION when an option runs past the end or its joined instances have a wrong
 * length for its kind (each known option has a fixed length or a multiple of 4), WIRE_EMALFORMED
 * without a message type or with a hlen over 16. Unknown options are skipped. */
int dhcp_parse(const uint8_t *p, size_t len, struct dhcp_msg *out);

/* Write (m) with its non-zero options, padded with zeros to DHCP_BOOTP_MIN_LEN. Returns the
 * length or WIRE_ENOSPACE (cap below DHCP_MAX_LEN always suffices: at most ~330 bytes). */
int dhcp_emit(uint8_t *p, size_t cap, const struct dhcp_msg *m);

/* Prefix length of a contiguous (mask); -1 if it is not contiguous. */
int dhcp_mask_prefix(uint32_t mask);

#endif
