/*
 * DNS messages (RFC 1035), EDNS0 (RFC 6891): pure parse and emit on byte spans.
 *
 * Parsing works on the whole message (msg, len) because names may point back into it: every
 * parser takes the offset where its item starts and returns, in (*next), the offset just after
 * it. Names come out uncompressed in wire form (labels with length bytes, ending with the root
 * label) and are checked: labels of at most 63 bytes, names of at most 255, compression
 * pointers only backwards (RFC 1035 4.1.4: "a prior occurrence") and inside the message, so
 * that pointer loops cannot exist.
 *
 * Emitting goes through a struct dns_emitter, owned by the caller (usually on its stack), which
 * remembers where names were written so that later names can point at them. An emit that does
 * not fit returns WIRE_ENOSPACE and leaves the message as it was before the call, so a server
 * can stop at the first record that does not fit and set TC.
 *
 * Errors are the WIRE_E* reasons of wire.h:
 *   WIRE_ETRUNCATED   the message ends inside an item
 *   WIRE_ELENGTH      a label over 63 bytes, a name over 255, rdlength inconsistent with the type
 *   WIRE_EMALFORMED   a compression pointer forwards, to itself (a loop) or out of the message
 *   WIRE_EUNSUPPORTED the reserved label types 0x40 and 0x80 (RFC 6891 deprecates them)
 *   WIRE_EOPTION      an EDNS option runs past its record
 */
#ifndef UNIC_WIRE_DNS_H
#define UNIC_WIRE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_PORT 53
#define DNS_HDR_LEN 12
#define DNS_MAX_LABEL 63
#define DNS_MAX_NAME 255       /* wire bytes including the root label */
#define DNS_MAX_NAME_TEXT 1010 /* presentation form, worst case \DDD escapes, plus NUL */
#define DNS_UDP_MIN 512        /* largest answer without EDNS (RFC 1035 4.2.1)          */
#define DNS_RR_FIXED_LEN 10    /* type, class, ttl, rdlength after the owner name       */

enum dns_type {
    DNS_TYPE_A = 1,
    DNS_TYPE_NS = 2,
    DNS_TYPE_CNAME = 5,
    DNS_TYPE_SOA = 6,
    DNS_TYPE_PTR = 12,
    DNS_TYPE_MX = 15,
    DNS_TYPE_TXT = 16,
    DNS_TYPE_AAAA = 28,
    DNS_TYPE_OPT = 41,
    DNS_TYPE_IXFR = 251,
    DNS_TYPE_AXFR = 252,
    DNS_TYPE_ANY = 255,
};

#define DNS_CLASS_IN 1
#define DNS_CLASS_ANY 255

/* Header flags (the 16-bit word after the ID). */
#define DNS_FLAG_QR 0x8000
#define DNS_FLAG_AA 0x0400
#define DNS_FLAG_TC 0x0200
#define DNS_FLAG_RD 0x0100
#define DNS_FLAG_RA 0x0080
#define DNS_FLAG_AD 0x0020
#define DNS_FLAG_CD 0x0010
#define DNS_OPCODE_SHIFT 11
#define DNS_OPCODE_MASK 0x7800
#define DNS_RCODE_MASK 0x000f

enum dns_opcode { DNS_OPCODE_QUERY = 0, DNS_OPCODE_IQUERY = 1, DNS_OPCODE_STATUS = 2 };

enum dns_rcode {
    DNS_RCODE_NOERROR = 0,
    DNS_RCODE_FORMERR = 1,
    DNS_RCODE_SERVFAIL = 2,
    DNS_RCODE_NXDOMAIN = 3,
    DNS_RCODE_NOTIMP = 4,
    DNS_RCODE_REFUSED = 5,
    DNS_RCODE_BADVERS = 16, /* extended: upper 8 bits in the OPT record */
};

#define DNS_EDNS_DO 0x8000 /* DNSSEC OK, in the OPT record's flags */

struct dns_hdr {
    uint16_t id, flags;
    uint16_t qdcount, ancount, nscount, arcount;
};

static inline unsigned dns_hdr_opcode(const struct dns_hdr *h)
{
    return (h->flags & DNS_OPCODE_MASK) >> DNS_OPCODE_SHIFT;
}

static inline unsigned dns_hdr_rcode(const struct dns_hdr *h)
{
    return h->flags & DNS_RCODE_MASK;
}

/* A name in uncompressed wire form: (len) bytes of labels, the last one the root (0). */
struct dns_name {
    uint8_t len;    /* 1..255 */
    uint8_t labels; /* not counting the root label */
    uint8_t wire[DNS_MAX_NAME];
};

struct dns_question {
    struct dns_name name;
    uint16_t type, class_;
};

/* EDNS0 (RFC 6891): the OPT pseudo-record's fields, decoded. */
struct dns_opt {
    uint16_t udp_size;    /* the sender's UDP payload size (the record's class)  */
    uint8_t ext_rcode;    /* upper 8 bits of the 12-bit rcode                    */
    uint8_t version;      /* 0                                                   */
    uint16_t flags;       /* DNS_EDNS_DO and the rest of Z                       */
    uint16_t options_len; /* options are the raw rdata of the dns_rr            */
};

/* A resource record. (rdata_off, rdlength) locate the raw rdata in the message; the union holds
 * the decoded form of the types listed. For other types only the raw rdata is set. For TXT the
 * character-strings are checked to tile the rdata exactly; read them from (rdata). */
struct dns_rr {
    struct dns_name name;
    uint16_t type, class_;
    uint32_t ttl;
    uint16_t rdlength;
    size_t rdata_off;
    const uint8_t *rdata; /* parse: msg + rdata_off; emit: raw rdata for unknown types, TXT */
    union {
        uint8_t a[4];
        uint8_t aaaa[16];
        struct dns_name target; /* NS, CNAME, PTR */
        struct {
            uint16_t preference;
            struct dns_name exchange;
        } mx;
        struct {
            struct dns_name mname, rname;
            uint32_t serial, refresh, retry, expire, minimum;
        } soa;
        struct dns_opt opt;
    } u;
};

/* --- Parsing -------------------------------------------------------------------------------- */

int dns_hdr_parse(const uint8_t *msg, size_t len, struct dns_hdr *out);

/* The name at (off) in (msg, len), decompressed into (out); (*next) is the offset just after
 * it in place (after the first pointer if there is one). */
int dns_name_parse(const uint8_t *msg, size_t len, size_t off, struct dns_name *out, size_t *next);

int dns_question_parse(const uint8_t *msg, size_t len, size_t off, struct dns_question *out,
                       size_t *next);

/* A whole resource record with its typed rdata. The rdata of A, AAAA, NS, CNAME, PTR, MX, SOA
 * must have exactly the length its type implies (names inside compressed or not); OPT must be
 * owned by the root and its options must tile its rdata (WIRE_EOPTION). */
int dns_rr_parse(const uint8_t *msg, size_t len, size_t off, struct dns_rr *out, size_t *next);

/* Skip the (count) records starting at (off) without decoding them; faster than dns_rr_parse
 * when only the position of a later section matters. Names are still fully checked. */
int dns_rr_skip(const uint8_t *msg, size_t len, size_t off, unsigned count, size_t *next);

/* --- Names ---------------------------------------------------------------------------------- */

/* Lowercase ASCII letters of (name) in place (DNS compares names ASCII-case-insensitively). */
void dns_name_lower(struct dns_name *name);

bool dns_name_equal(const struct dns_name *a, const struct dns_name *b);

/* True if (name) is (zone) or below it. */
bool dns_name_is_subdomain(const struct dns_name *name, const struct dns_name *zone);

/* Offset in name->wire of the suffix that remains after dropping (n) leading labels; n must be
 * at most name->labels. */
size_t dns_name_suffix_offset(const struct dns_name *name, unsigned n);

/* Presentation form ("www.example.com.", "@", "\046" escapes, RFC 1035 5.1) to wire form.
 * A name without a final dot is relative: (origin) is appended (NULL: treated as absolute);
 * "@" alone is (origin). WIRE_ELENGTH for over-long labels/names, WIRE_EMALFORMED for empty
 * labels or bad escapes. (text, n): not NUL-terminated. */
int dns_name_from_text(const char *text, size_t n, const struct dns_name *origin,
                       struct dns_name *out);

/* Wire form to presentation form with a final dot, escaping '.', '\\' and non-printables.
 * Returns the length written (without the NUL), or WIRE_ENOSPACE. */
int dns_name_to_text(const struct dns_name *name, char *buf, size_t cap);

/* --- Emitting ------------------------------------------------------------------------------- */

#define DNS_COMPRESS_MAX 48 /* names remembered for compression; later ones are written whole */

struct dns_emitter {
    uint8_t *buf;
    size_t cap;                       /* the message may not grow past this */
    size_t len;                       /* bytes written so far, the header included */
    uint16_t names[DNS_COMPRESS_MAX]; /* offsets where a name (or a suffix of one) starts */
    unsigned nnames;
};

/* Start a message in (buf, cap) with room reserved for the header (written at the end with
 * dns_emit_hdr). WIRE_ENOSPACE if (cap) < DNS_HDR_LEN. */
int dns_emit_init(struct dns_emitter *e, uint8_t *buf, size_t cap);

/* Lower the limit (e.g. to 512 for a client without EDNS); never raises it. */
void dns_emit_set_limit(struct dns_emitter *e, size_t limit);

/* Write the header at offset 0 (the counts are the caller's). */
int dns_hdr_emit(uint8_t *p, size_t cap, const struct dns_hdr *h);

/* Append (name), pointing at an earlier copy of its longest known suffix when (compress). */
int dns_emit_name(struct dns_emitter *e, const struct dns_name *name, bool compress);

int dns_emit_question(struct dns_emitter *e, const struct dns_question *q);

/* Append a record from its typed fields (the union) for A, AAAA, NS, CNAME, PTR, MX, SOA and
 * OPT (OPT emits no options); for TXT and every other type from (rdata, rdlength). Names in
 * NS, CNAME, PTR, MX and SOA rdata are compressed (RFC 3597 section 4 allows exactly these). */
int dns_emit_rr(struct dns_emitter *e, const struct dns_rr *rr);

/* Append an OPT record: our UDP payload size, extended rcode, version 0, (flags). */
int dns_emit_opt(struct dns_emitter *e, uint16_t udp_size, uint8_t ext_rcode, uint16_t flags);

#endif
