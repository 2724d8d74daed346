/*
 * Answering DNS queries from a zone: everything an authoritative server does between receiving
 * a datagram and sending one, with no sockets, so it runs the same under unic, under Linux and
 * in unit tests.
 *
 *   dns_answer -> parse header, question, EDNS OPT -> zone lookup (CNAME chain) -> emit
 *
 * Answers carry AA; a missing name gets NXDOMAIN with the SOA in the authority section (its TTL
 * the SOA minimum, RFC 2308), an existing name without the type NODATA the same way, a name
 * outside the zone REFUSED, a malformed query FORMERR, an opcode other than QUERY NOTIMP, an
 * EDNS version other than 0 BADVERS. An answer larger than the client accepts (512 bytes
 * without EDNS, else its advertised size up to DNS_ANSWER_EDNS_MAX) is sent empty with TC.
 * The additional section takes each RRset whole or leaves it out (RFC 2181 9), without TC,
 * except a referral's in-domain glue: when that does not fit the answer goes out empty with TC
 * (RFC 9471 3). Over TCP (dns_answer_stream) the limit is the message's 65535 bytes.
 */
#ifndef DNS_ANSWER_H
#define DNS_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "unic/stats.h"
#include "zone.h"

/* The UDP payload size we advertise and accept at most (DNS flag day 2020). */
#define DNS_ANSWER_EDNS_MAX 1232
#define DNS_ANSWER_MAX_CNAME_CHAIN 8

#define DNS_ANSWER_STATS(X)                                                                        \
    X(queries)                                                                                     \
    X(noerror)                                                                                     \
    X(nodata)                                                                                      \
    X(nxdomain)                                                                                    \
    X(referral)                                                                                    \
    X(refused)                                                                                     \
    X(formerr)                                                                                     \
    X(notimp)                                                                                      \
    X(badvers)                                                                                     \
    X(truncated)                                                                                   \
    X(edns)                                                                                        \
    X(cname_chain_too_long)                                                                        \
    X(drop_short)                                                                                  \
    X(drop_response)                                                                               \
    X(drop_no_space)

struct dns_answer_stats {
    DNS_ANSWER_STATS(STATS_FIELD)
};

extern const char *const dns_answer_stat_names[];
extern const size_t dns_answer_stat_count;

/* Build the response to (query, qlen) in (out, cap). Returns its length, or 0 when nothing is
 * to be sent (shorter than a header, a response, or (cap) below a header): counted in (st). */
size_t dns_answer(const struct dns_zone *z, const uint8_t *query, size_t qlen, uint8_t *out,
                  size_t cap, struct dns_answer_stats *st);

/* The same for a query that came over TCP (RFC 7766): the answer may fill all of (cap) (at
 * most 65535, the two-byte length), whatever the EDNS size or its absence; TC only when even
 * that is too small. Zone transfers are not answered here (REFUSED): see xfr.h. */
size_t dns_answer_stream(const struct dns_zone *z, const uint8_t *query, size_t qlen, uint8_t *out,
                         size_t cap, struct dns_answer_stats *st);

#endif
