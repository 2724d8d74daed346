/*
 * Zone transfer out of a dns_zone: AXFR (RFC 5936), and IXFR (RFC 1995) answered the way RFC
 * 1995 section 4 allows a server without history: the whole zone, AXFR-style, or the SOA alone
 * when the client already has our serial. Pure message building, no sockets: the TCP session
 * (dns_tcp.h) sends the messages and decides who may ask.
 *
 *   dns_xfr_request (is this query a transfer of our zone?) -> dns_xfr_next ... -> 0 (done)
 *
 * The response is SOA, every other record of the zone (delegations and glue included), SOA,
 * in as many messages as it takes. Each message is AA with the query's ID; the first carries
 * the question, the others none (QDCOUNT 0, RFC 5936 2.2.1); an OPT record closes each one
 * when the query had EDNS. Names are compressed. A message stops near (soft) bytes (16 KiB by
 * default: every offset in it is still a target for a compression pointer, which reaches
 * 16383); a single record larger than that goes alone in a message of up to (cap) bytes, and
 * one that not even (cap) holds ends the transfer with a SERVFAIL message.
 */
#ifndef DNS_XFR_H
#define DNS_XFR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zone.h"

#define DNS_XFR_SOFT_MAX 16384u

enum dns_xfr_kind { DNS_XFR_NONE, DNS_XFR_AXFR, DNS_XFR_IXFR };

enum dns_xfr_phase { DNS_XFR_SOA_FIRST, DNS_XFR_RECORDS, DNS_XFR_SOA_LAST, DNS_XFR_DONE };

/* One transfer under way: plain data, copied freely (a sender that cannot send a message yet
 * builds it from a copy and keeps the original). */
struct dns_xfr {
    struct dns_question q; /* as asked (the question of the first message) */
    uint16_t id, flags;    /* the query's ID, and its RD and CD bits */
    bool edns;             /* the query had an OPT record */
    bool soa_only;         /* IXFR from a client that has our serial already */
    enum dns_xfr_kind kind;
    enum dns_xfr_phase phase;
    uint32_t node, rr; /* DNS_XFR_RECORDS: the next record, rr of node (ZONE_NONE: node done) */
    uint32_t messages; /* built so far */
    uint64_t records;  /* records in them */
};

/* Whether (msg, len) asks for a transfer of (z): a well-formed query (opcode QUERY, QR 0, one
 * question, at most one OPT of version 0) of type AXFR or IXFR, class IN, for the apex. Then
 * (x) is set up to start and the kind is returned; DNS_XFR_NONE for anything else (which
 * dns_answer_stream answers, or refuses). For IXFR the SOA in the authority section gives the
 * client's serial: at or after ours (RFC 1982) the response is our SOA alone. */
enum dns_xfr_kind dns_xfr_request(const struct dns_zone *z, const uint8_t *msg, size_t len,
                                  struct dns_xfr *x);

/* The next message of the transfer into (out, cap) (cap >= DNS_HDR_LEN + 11): as many records
 * as fit in (soft) bytes (at least one, in up to (cap)); (x) moves past them. Returns its length,
 * or 0 when the transfer is complete. */
size_t dns_xfr_next(const struct dns_zone *z, struct dns_xfr *x, uint8_t *out, size_t cap,
                    size_t soft);

#endif
