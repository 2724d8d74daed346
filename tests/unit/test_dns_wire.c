/* DNS wire format: header, names (compression both ways, loops, out-of-bounds pointers, length
 * limits, presentation form), every record type, EDNS0, truncation at every byte, the emitter's
 * limits and rollback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "unic/wire/dns.h"
#include "unic/wire/wire.h"

static struct dns_name name_of(const char *text)
{
    struct dns_name n;
    assert_int_equal(dns_name_from_text(text, strlen(text), NULL, &n), WIRE_OK);
    return n;
}

/* Parse a whole message: header, questions, every record. WIRE_OK or the first error. */
static int walk(const uint8_t *msg, size_t len, unsigned *records)
{
    struct dns_hdr h;
    size_t pos = DNS_HDR_LEN;
    int err = dns_hdr_parse(msg, len, &h);
    for (unsigned i = 0; !err && i < h.qdcount; i++) {
        struct dns_question q;
        err = dns_question_parse(msg, len, pos, &q, &pos);
    }
    unsigned total = (unsigned)h.ancount + h.nscount + h.arcount;
    for (unsigned i = 0; !err && i < total; i++) {
        struct dns_rr rr;
        err = dns_rr_parse(msg, len, pos, &rr, &pos);
    }
    if (!err && records)
        *records = total;
    return err;
}

/* --- Header --------------------------------------------------------------------------------- */

static void test_header_roundtrip(void **state)
{
    (void)state;
    uint8_t buf[DNS_HDR_LEN];
    struct dns_hdr h = {.id = 0xbeef,
                        .flags = DNS_FLAG_QR | DNS_FLAG_AA | DNS_RCODE_NXDOMAIN,
                        .qdcount = 1,
                        .ancount = 2,
                        .nscount = 3,
                        .arcount = 4};
    assert_int_equal(dns_hdr_emit(buf, sizeof(buf), &h), DNS_HDR_LEN);
    const uint8_t want[] = {0xbe, 0xef, 0x84, 0x03, 0, 1, 0, 2, 0, 3, 0, 4};
    assert_memory_equal(buf, want, sizeof(want));
    struct dns_hdr back;
    assert_int_equal(dns_hdr_parse(buf, sizeof(buf), &back), WIRE_OK);
    assert_int_equal(back.id, 0xbeef);
    assert_int_equal(dns_hdr_rcode(&back), DNS_RCODE_NXDOMAIN);
    assert_int_equal(back.arcount, 4);
    assert_int_equal(dns_hdr_parse(buf, DNS_HDR_LEN - 1, &back), WIRE_ETRUNCATED);
    assert_int_equal(dns_hdr_emit(buf, DNS_HDR_LEN - 1, &h), WIRE_ENOSPACE);
    h.flags = (uint16_t)(DNS_OPCODE_STATUS << DNS_OPCODE_SHIFT);
    assert_int_equal(dns_hdr_opcode(&h), DNS_OPCODE_STATUS);
}

/* --- Names ---------------------------------------------------------------------------------- */

/* 12 bytes of header, then names placed at known offsets. */
static void test_name_plain_and_compressed(void **state)
{
    (void)state;
    uint8_t msg[64] = {0};
    const uint8_t name1[] = {3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
    memcpy(msg + 12, name1, sizeof(name1));                    /* 12..24: www.example. */
    const uint8_t name2[] = {4, 'm', 'a', 'i', 'l', 0xc0, 16}; /* mail + -> example. (16) */
    memcpy(msg + 25, name2, sizeof(name2));                    /* 25..31 */
    const uint8_t name3[] = {1, 'a', 0xc0, 25};                /* a + -> mail.example. : two hops */
    memcpy(msg + 32, name3, sizeof(name3));                    /* 32..35 */
    struct dns_name n;
    size_t next;
    assert_int_equal(dns_name_parse(msg, sizeof(msg), 12, &n, &next), WIRE_OK);
    assert_int_equal(next, 25);
    assert_int_equal(n.len, 13);
    assert_int_equal(n.labels, 2);
    assert_int_equal(dns_name_parse(msg, sizeof(msg), 25, &n, &next), WIRE_OK);
    assert_int_equal(next, 32); /* just after the pointer */
    assert_true(dns_name_equal(&n, &(struct dns_name){0}) == false);
    struct dns_name want = name_of("mail.example.");
    assert_true(dns_name_equal(&n, &want));
    assert_int_equal(dns_name_parse(msg, sizeof(msg), 32, &n, &next), WIRE_OK);
    assert_int_equal(next, 36);
    want = name_of("a.mail.example.");
    assert_true(dns_name_equal(&n, &want));
    assert_int_equal(n.labels, 3);
}

static void test_name_pointer_loops_rejected(void **state)
{
    (void)state;
    struct dns_name n;
    size_t next;
    /* A pointer to itself. */
    uint8_t self[16] = {[12] = 0xc0, [13] = 12};
    assert_int_equal(dns_name_parse(self, 14, 12, &n, &next), WIRE_EMALFORMED);
    /* A label, then a pointer back to that label: a loop through one backward jump. */
    uint8_t back[20] = {[12] = 1, [13] = 'a', [14] = 0xc0, [15] = 12};
    assert_int_equal(dns_name_parse(back, 16, 12, &n, &next), WIRE_EMALFORMED);
    /* Two pointers pointing at each other. */
    uint8_t pair[20] = {[12] = 0xc0, [13] = 14, [14] = 0xc0, [15] = 12};
    assert_int_equal(dns_name_parse(pair, 16, 12, &n, &next), WIRE_EMALFORMED);
    assert_int_equal(dns_name_parse(pair, 16, 14, &n, &next), WIRE_EMALFORMED);
    /* A forward pointer to a valid name is still refused (RFC 1035: a prior occurrence). */
    uint8_t fwd[20] = {[12] = 0xc0, [13] = 14, [14] = 1, [15] = 'b', [16] = 0};
    assert_int_equal(dns_name_parse(fwd, 17, 12, &n, &next), WIRE_EMALFORMED);
}

static void test_name_out_of_bounds_pointer(void **state)
{
    (void)state;
    struct dns_name n;
    size_t next;
    uint8_t msg[16] = {[12] = 0xc0 | 0x3f, [13] = 0xff}; /* 0x3fff: far past the end */
    assert_int_equal(dns_name_parse(msg, 14, 12, &n, &next), WIRE_EMALFORMED);
    uint8_t cut[16] = {[12] = 0xc0}; /* the pointer's second byte is missing */
    assert_int_equal(dns_name_parse(cut, 13, 12, &n, &next), WIRE_ETRUNCATED);
    uint8_t label[16] = {[12] = 5, [13] = 'a'}; /* label runs past the end */
    assert_int_equal(dns_name_parse(label, 14, 12, &n, &next), WIRE_ETRUNCATED);
    assert_int_equal(dns_name_parse(label, 12, 12, &n, &next), WIRE_ETRUNCATED);
}

static void test_name_length_limits(void **state)
{
    (void)state;
    uint8_t msg[600] = {0};
    struct dns_name n;
    size_t next;
    /* Four 63-byte labels: 4 * 64 + 1 = 257 bytes > 255. */
    size_t pos = 12;
    for (int l = 0; l < 4; l++) {
        msg[pos++] = 63;
        memset(msg + pos, 'x', 63);
        pos += 63;
    }
    msg[pos++] = 0;
    assert_int_equal(dns_name_parse(msg, pos, 12, &n, &next), WIRE_ELENGTH);
    /* Three 63-byte labels and one of 61: exactly 255, accepted. */
    msg[12 + 3 * 64] = 61;
    msg[12 + 3 * 64 + 62] = 0;
    assert_int_equal(dns_name_parse(msg, 12 + 3 * 64 + 63, 12, &n, &next), WIRE_OK);
    assert_int_equal(n.len, 255);
    /* Reaching over 255 through pointers is caught too: 254 bytes, then 2 more via a pointer. */
    uint8_t chain[600] = {0};
    memcpy(chain + 12, (uint8_t[]){1, 'z', 0}, 3); /* z. at 12 */
    pos = 15;
    for (int l = 0; l < 3; l++) {
        chain[pos++] = 63;
        memset(chain + pos, 'y', 63);
        pos += 63;
    }
    chain[pos++] = 61;
    memset(chain + pos, 'y', 61);
    pos += 61;
    chain[pos++] = 0xc0;
    chain[pos++] = 12;
    assert_int_equal(dns_name_parse(chain, pos, 15, &n, &next), WIRE_ELENGTH);
    /* The reserved label types 0x40 and 0x80. */
    uint8_t ext[16] = {[12] = 0x41, [13] = 0};
    assert_int_equal(dns_name_parse(ext, 14, 12, &n, &next), WIRE_EUNSUPPORTED);
    ext[12] = 0x80;
    assert_int_equal(dns_name_parse(ext, 14, 12, &n, &next), WIRE_EUNSUPPORTED);
}

static void test_name_text_forms(void **state)
{
    (void)state;
    struct dns_name n, origin = name_of("example.com.");
    char text[DNS_MAX_NAME_TEXT];
    assert_int_equal(dns_name_from_text("www", 3, &origin, &n), WIRE_OK);
    assert_int_equal(dns_name_to_text(&n, text, sizeof(text)), 16);
    assert_string_equal(text, "www.example.com.");
    assert_int_equal(dns_name_from_text("@", 1, &origin, &n), WIRE_OK);
    assert_true(dns_name_equal(&n, &origin));
    assert_int_equal(dns_name_from_text("abs.", 4, &origin, &n), WIRE_OK);
    assert_int_equal(n.labels, 1);
    assert_int_equal(dns_name_from_text(".", 1, &origin, &n), WIRE_OK);
    assert_int_equal(n.len, 1);
    assert_int_equal(dns_name_to_text(&n, text, sizeof(text)), 1);
    assert_string_equal(text, ".");
    /* Escapes: a dot inside a label, \DDD, and the way back out. */
    const char *esc = "a\\.b.c\\032d.";
    assert_int_equal(dns_name_from_text(esc, strlen(esc), NULL, &n), WIRE_OK);
    assert_int_equal(n.labels, 2);
    assert_int_equal(n.wire[0], 3);
    assert_int_equal(n.wire[2], '.');
    assert_int_equal(n.wire[6], ' ');
    assert_int_equal(dns_name_to_text(&n, text, sizeof(text)), (int)strlen(esc));
    assert_string_equal(text, esc);
    /* Errors. */
    assert_int_equal(dns_name_from_text("a..b.", 5, NULL, &n), WIRE_EMALFORMED);
    assert_int_equal(dns_name_from_text(".a.", 3, NULL, &n), WIRE_EMALFORMED);
    assert_int_equal(dns_name_from_text("", 0, NULL, &n), WIRE_EMALFORMED);
    assert_int_equal(dns_name_from_text("a\\25x.", 6, NULL, &n), WIRE_EMALFORMED);
    assert_int_equal(dns_name_from_text("a\\256.", 6, NULL, &n), WIRE_EMALFORMED);
    assert_int_equal(dns_name_from_text("@", 1, NULL, &n), WIRE_EMALFORMED);
    char label64[70];
    memset(label64, 'q', 64);
    label64[64] = '.';
    assert_int_equal(dns_name_from_text(label64, 65, NULL, &n), WIRE_ELENGTH);
    assert_int_equal(dns_name_from_text(label64, 63, NULL, &n), WIRE_OK); /* 63 is fine */
    char longname[300];
    for (int i = 0; i < 128; i++)
        memcpy(longname + 2 * i, "a.", 2); /* 128 labels: 257 bytes */
    assert_int_equal(dns_name_from_text(longname, 256, NULL, &n), WIRE_ELENGTH);
    assert_int_equal(dns_name_from_text(longname, 254, NULL, &n), WIRE_OK); /* 127: 255 */
    assert_int_equal(n.len, 255);
    assert_int_equal(dns_name_to_text(&n, text, 10), WIRE_ENOSPACE);
    /* Relative plus origin over 255. */
    struct dns_name big = n;
    assert_int_equal(dns_name_from_text("x", 1, &big, &n), WIRE_ELENGTH);
}

static void test_name_compare_and_subdomain(void **state)
{
    (void)state;
    struct dns_name a = name_of("WWW.Example.COM."), b = name_of("www.example.com.");
    struct dns_name zone = name_of("example.com."), other = name_of("ample.com.");
    assert_true(dns_name_equal(&a, &b));
    assert_true(dns_name_is_subdomain(&a, &zone));
    assert_true(dns_name_is_subdomain(&zone, &zone));
    assert_false(dns_name_is_subdomain(&zone, &a));
    assert_false(dns_name_is_subdomain(&a, &other)); /* not a label boundary */
    struct dns_name root = name_of(".");
    assert_true(dns_name_is_subdomain(&a, &root));
    dns_name_lower(&a);
    assert_memory_equal(a.wire, b.wire, b.len);
    assert_int_equal(dns_name_suffix_offset(&b, 1), 4);
    assert_int_equal(dns_name_suffix_offset(&b, 3), b.len - 1);
}

/* --- Emitting and compression ----------------------------------------------------------------- */

static void test_emit_compression_bytes(void **state)
{
    (void)state;
    uint8_t buf[512];
    struct dns_emitter e;
    assert_int_equal(dns_emit_init(&e, buf, sizeof(buf)), WIRE_OK);
    struct dns_question q = {
        .name = name_of("WWW.example.com."), .type = DNS_TYPE_CNAME, .class_ = DNS_CLASS_IN};
    assert_int_equal(dns_emit_question(&e, &q), WIRE_OK);
    struct dns_rr rr = {.name = name_of("www.EXAMPLE.com."),
                        .type = DNS_TYPE_CNAME,
                        .class_ = DNS_CLASS_IN,
                        .ttl = 300};
    rr.u.target = name_of("web.example.com.");
    assert_int_equal(dns_emit_rr(&e, &rr), WIRE_OK);
    const uint8_t want[] = {
        /* question at 12 */
        3, 'W', 'W', 'W', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 5, 0, 1,
        /* answer: owner -> 12 (case-insensitive match), CNAME, IN, ttl 300, rdlength 6 */
        0xc0, 12, 0, 5, 0, 1, 0, 0, 1, 44, 0, 6,
        /* rdata: web + -> example.com. at 16 */
        3, 'w', 'e', 'b', 0xc0, 16};
    assert_int_equal(e.len, DNS_HDR_LEN + sizeof(want));
    assert_memory_equal(buf + DNS_HDR_LEN, want, sizeof(want));
    /* Without compression the name is written whole. */
    size_t before = e.len;
    assert_int_equal(dns_emit_name(&e, &rr.u.target, false), WIRE_OK);
    assert_int_equal(e.len - before, rr.u.target.len);
    /* And the parser reads the compressed answer back. */
    struct dns_hdr h = {.qdcount = 1, .ancount = 1};
    dns_hdr_emit(buf, sizeof(buf), &h);
    struct dns_rr back;
    size_t pos = DNS_HDR_LEN + 21;
    assert_int_equal(dns_rr_parse(buf, before, pos, &back, &pos), WIRE_OK);
    assert_int_equal(pos, before);
    assert_true(dns_name_equal(&back.name, &rr.name));
    assert_true(dns_name_equal(&back.u.target, &rr.u.target));
    assert_int_equal(back.rdlength, 6);
}

/* Found by the fuzzer: a name whose labels repeat must not point into itself. */
static void test_emit_repeated_labels(void **state)
{
    (void)state;
    static const char *names[] = {"a.a.a.", "\\000.\\000.\\000.", "x.y.x.y.", "a.a.b.a.a."};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        uint8_t buf[128];
        memset(buf, 0, sizeof(buf)); /* stale zeros after the write position look like a root */
        struct dns_emitter e;
        dns_emit_init(&e, buf, sizeof(buf));
        struct dns_name n = name_of(names[i]), back;
        assert_int_equal(dns_emit_name(&e, &n, true), WIRE_OK);
        assert_int_equal(e.len, DNS_HDR_LEN + n.len); /* nothing to point at yet */
        assert_int_equal(dns_emit_name(&e, &n, true), WIRE_OK);
        assert_int_equal(e.len, DNS_HDR_LEN + n.len + 2); /* the second copy is one pointer */
        size_t pos = DNS_HDR_LEN;
        for (int k = 0; k < 2; k++) {
            assert_int_equal(dns_name_parse(buf, e.len, pos, &back, &pos), WIRE_OK);
            assert_true(dns_name_equal(&back, &n));
        }
    }
}

static void test_emit_nospace_rolls_back(void **state)
{
    (void)state;
    uint8_t buf[64];
    struct dns_emitter e;
    assert_int_equal(dns_emit_init(&e, buf, 11), WIRE_ENOSPACE);
    assert_int_equal(dns_emit_init(&e, buf, sizeof(buf)), WIRE_OK);
    struct dns_rr rr = {.name = name_of("a-rather-long-label.example."),
                        .type = DNS_TYPE_A,
                        .class_ = DNS_CLASS_IN,
                        .ttl = 1,
                        .u.a = {10, 0, 0, 1}};
    assert_int_equal(dns_emit_rr(&e, &rr), WIRE_OK);
    size_t len = e.len;
    unsigned names = e.nnames;
    rr.name = name_of("another-long-name-that-will-not-fit.example.");
    assert_int_equal(dns_emit_rr(&e, &rr), WIRE_ENOSPACE);
    assert_int_equal(e.len, len);
    assert_int_equal(e.nnames, names);
    /* The same record under a lowered limit. */
    dns_emit_set_limit(&e, len + 5);
    rr.name = name_of("example.");
    assert_int_equal(dns_emit_rr(&e, &rr), WIRE_ENOSPACE); /* 2 + 10 + 4 > 5 */
    dns_emit_set_limit(&e, 1000);                          /* never raises */
    assert_int_equal(e.cap, len + 5);
    assert_int_equal(dns_emit_opt(&e, 1232, 0, 0), WIRE_ENOSPACE);
    assert_int_equal(e.len, len);
}

/* A message with one record of every type, compressed; returns its length. */
static size_t build_full_message(uint8_t *buf, size_t cap)
{
    struct dns_emitter e;
    assert_int_equal(dns_emit_init(&e, buf, cap), WIRE_OK);
    struct dns_question q = {
        .name = name_of("example.org."), .type = DNS_TYPE_ANY, .class_ = DNS_CLASS_IN};
    assert_int_equal(dns_emit_question(&e, &q), WIRE_OK);
    struct dns_rr rr = {.name = name_of("example.org."), .class_ = DNS_CLASS_IN, .ttl = 7200};
    rr.type = DNS_TYPE_A;
    memcpy(rr.u.a, (uint8_t[]){192, 0, 2, 1}, 4);
    assert_int_equal(dns_emit_rr(&e, &rr), WIRE_OK);
    rr.type = DNS_TYPE_AAAA;
    memcpy(rr.u.aaaa, (uint8_t[]){0x20, 0x01, 0x0d, 0xb8, [15] = 1}, 16);
    assert_int_equal(dns_emit_rr(&e, &rr), WIRE_OK);
    rr.type = DNS_TYPE_NS;
    rr.u.target = name_of("ns1.example.org.");
    assert_int_equal(dns_emit_rr(&e, &rr), WIRE_OK);
    rr.type = DNS_TYPE_MX;
    rr.u.mx.preference = 10;
    rr.u.mx.exchange = name_of("mx.example.org.");
    assert_int_equal(dns_emit_rr(&e, &rr), WIRE_OK);
    rr.type = DNS_TYPE_TXT;
    static const uint8_t txt[] = {5, 'h', 'e', 'l', 'l', 'o', 0, 3, 'a', ' ', 'b'};
    rr.rdata = txt;
    rr.rdlength = sizeof(txt);
    assert_int_equal(dns_emit_rr(&e, &rr), WIRE_OK);
    rr.type = DNS_TYPE_SOA;
    rr.u.soa.mname = name_of("ns1.example.org.");
    rr.u.soa.rname = name_of("hostmaster.example.org.");
    rr.u.soa.serial = 2024;
    rr.u.soa.refresh = 3600;
    rr.u.soa.retry = 600;
    rr.u.soa.expire = 86400;
    rr.u.soa.minimum = 60;
    assert_int_equal(dns_emit_rr(&e, &rr), WIRE_OK);
    rr.name = name_of("www.example.org.");
    rr.type = DNS_TYPE_CNAME;
    rr.u.target = name_of("example.org.");
    assert_int_equal(dns_emit_rr(&e, &rr), WIRE_OK);
    assert_int_equal(dns_emit_opt(&e, 4096, 0, DNS_EDNS_DO), WIRE_OK);
    struct dns_hdr h = {.id = 1, .flags = DNS_FLAG_QR, .qdcount = 1, .ancount = 7, .arcount = 1};
    dns_hdr_emit(buf, cap, &h);
    return e.len;
}

static void test_every_rr_type_roundtrip(void **state)
{
    (void)state;
    uint8_t buf[1024];
    size_t len = build_full_message(buf, sizeof(buf));
    size_t pos;
    struct dns_question q;
    assert_int_equal(dns_question_parse(buf, len, DNS_HDR_LEN, &q, &pos), WIRE_OK);
    assert_int_equal(q.type, DNS_TYPE_ANY);
    struct dns_rr rr;
    struct dns_name zone = name_of("example.org.");
    assert_int_equal(dns_rr_parse(buf, len, pos, &rr, &pos), WIRE_OK);
    assert_int_equal(rr.type, DNS_TYPE_A);
    assert_memory_equal(rr.u.a, ((uint8_t[]){192, 0, 2, 1}), 4);
    assert_int_equal(rr.ttl, 7200);
    assert_true(dns_name_equal(&rr.name, &zone));
    assert_int_equal(dns_rr_parse(buf, len, pos, &rr, &pos), WIRE_OK);
    assert_int_equal(rr.type, DNS_TYPE_AAAA);
    assert_int_equal(rr.u.aaaa[0], 0x20);
    assert_int_equal(rr.u.aaaa[15], 1);
    assert_int_equal(dns_rr_parse(buf, len, pos, &rr, &pos), WIRE_OK);
    assert_int_equal(rr.type, DNS_TYPE_NS);
    struct dns_name ns1 = name_of("ns1.example.org.");
    assert_true(dns_name_equal(&rr.u.target, &ns1));
    assert_int_equal(rr.rdlength, 6); /* ns1 + pointer */
    assert_int_equal(dns_rr_parse(buf, len, pos, &rr, &pos), WIRE_OK);
    assert_int_equal(rr.type, DNS_TYPE_MX);
    assert_int_equal(rr.u.mx.preference, 10);
    struct dns_name mx = name_of("mx.example.org.");
    assert_true(dns_name_equal(&rr.u.mx.exchange, &mx));
    assert_int_equal(dns_rr_parse(buf, len, pos, &rr, &pos), WIRE_OK);
    assert_int_equal(rr.type, DNS_TYPE_TXT);
    assert_int_equal(rr.rdlength, 11);
    assert_memory_equal(rr.rdata,
                        "\x05hello\x00\x03"
                        "a b",
                        11);
    assert_int_equal(dns_rr_parse(buf, len, pos, &rr, &pos), WIRE_OK);
    assert_int_equal(rr.type, DNS_TYPE_SOA);
    assert_true(dns_name_equal(&rr.u.soa.mname, &ns1));
    struct dns_name hm = name_of("hostmaster.example.org.");
    assert_true(dns_name_equal(&rr.u.soa.rname, &hm));
    assert_int_equal(rr.u.soa.serial, 2024);
    assert_int_equal(rr.u.soa.minimum, 60);
    assert_int_equal(rr.rdlength, 2 + 13 + 20); /* both names fully compressed after a label */
    assert_int_equal(dns_rr_parse(buf, len, pos, &rr, &pos), WIRE_OK);
    assert_int_equal(rr.type, DNS_TYPE_CNAME);
    assert_true(dns_name_equal(&rr.u.target, &zone));
    assert_int_equal(rr.rdlength, 2); /* a bare pointer */
    assert_int_equal(dns_rr_parse(buf, len, pos, &rr, &pos), WIRE_OK);
    assert_int_equal(rr.type, DNS_TYPE_OPT);
    assert_int_equal(rr.u.opt.udp_size, 4096);
    assert_int_equal(rr.u.opt.version, 0);
    assert_int_equal(rr.u.opt.flags, DNS_EDNS_DO);
    assert_int_equal(pos, len);
    size_t skipped;
    assert_int_equal(dns_rr_skip(buf, len, DNS_HDR_LEN + 17, 8, &skipped), WIRE_OK);
    assert_int_equal(skipped, len);
}

static void test_truncation_at_every_byte(void **state)
{
    (void)state;
    uint8_t buf[1024];
    size_t len = build_full_message(buf, sizeof(buf));
    unsigned records = 0;
    assert_int_equal(walk(buf, len, &records), WIRE_OK);
    assert_int_equal(records, 8);
    for (size_t cut = 0; cut < len; cut++) {
        /* A copy of exactly (cut) bytes so that ASan sees any read past the end. */
        uint8_t copy[1024];
        memcpy(copy, buf, cut);
        int err = walk(copy, cut, NULL);
        assert_true(err == WIRE_ETRUNCATED || err == WIRE_ELENGTH);
    }
}

/* --- Record errors and EDNS ----------------------------------------------------------------- */

/* Header + root-owned record of (type) with (rdata); returns the record's offset. */
static size_t raw_rr(uint8_t *msg, uint16_t type, uint16_t class_, const uint8_t *rdata,
                     uint16_t rdlength, uint8_t owner_len_byte)
{
    memset(msg, 0, DNS_HDR_LEN);
    size_t pos = DNS_HDR_LEN;
    if (owner_len_byte) {
        msg[pos++] = owner_len_byte;
        memset(msg + pos, 'o', owner_len_byte);
        pos += owner_len_byte;
    }
    msg[pos++] = 0;
    const uint8_t fixed[] = {(uint8_t)(type >> 8),
                             (uint8_t)type,
                             (uint8_t)(class_ >> 8),
                             (uint8_t)class_,
                             0,
                             0,
                             0,
                             60,
                             (uint8_t)(rdlength >> 8),
                             (uint8_t)rdlength};
    memcpy(msg + pos, fixed, sizeof(fixed));
    if (rdlength)
        memcpy(msg + pos + sizeof(fixed), rdata, rdlength);
    return pos + sizeof(fixed) + rdlength;
}

static void test_rdata_length_checks(void **state)
{
    (void)state;
    uint8_t msg[256];
    struct dns_rr rr;
    size_t next, end;
    end = raw_rr(msg, DNS_TYPE_A, 1, (uint8_t[]){1, 2, 3, 4, 5}, 5, 0);
    assert_int_equal(dns_rr_parse(msg, end, DNS_HDR_LEN, &rr, &next), WIRE_ELENGTH);
    end = raw_rr(msg, DNS_TYPE_AAAA, 1, (uint8_t[4]){0}, 4, 0);
    assert_int_equal(dns_rr_parse(msg, end, DNS_HDR_LEN, &rr, &next), WIRE_ELENGTH);
    /* CNAME whose name ends before its rdata does. */
    end = raw_rr(msg, DNS_TYPE_CNAME, 1, (uint8_t[]){1, 'a', 0, 9}, 4, 0);
    assert_int_equal(dns_rr_parse(msg, end, DNS_HDR_LEN, &rr, &next), WIRE_ELENGTH);
    /* CNAME whose name runs past its rdata. */
    end = raw_rr(msg, DNS_TYPE_CNAME, 1, (uint8_t[]){1, 'a', 0}, 2, 0);
    assert_int_equal(dns_rr_parse(msg, end + 5, DNS_HDR_LEN, &rr, &next), WIRE_ELENGTH);
    /* TXT strings must tile the rdata. */
    end = raw_rr(msg, DNS_TYPE_TXT, 1, (uint8_t[]){3, 'a', 'b'}, 3, 0);
    assert_int_equal(dns_rr_parse(msg, end, DNS_HDR_LEN, &rr, &next), WIRE_ELENGTH);
    end = raw_rr(msg, DNS_TYPE_TXT, 1, (uint8_t[]){0}, 1, 0);
    assert_int_equal(dns_rr_parse(msg, end, DNS_HDR_LEN, &rr, &next), WIRE_OK);
    /* MX too short for a preference and a name; SOA missing a number. */
    end = raw_rr(msg, DNS_TYPE_MX, 1, (uint8_t[]){0, 1}, 2, 0);
    assert_int_equal(dns_rr_parse(msg, end, DNS_HDR_LEN, &rr, &next), WIRE_ELENGTH);
    uint8_t soa[2 + 16] = {0};
    end = raw_rr(msg, DNS_TYPE_SOA, 1, soa, sizeof(soa), 0);
    assert_int_equal(dns_rr_parse(msg, end, DNS_HDR_LEN, &rr, &next), WIRE_ELENGTH);
    /* Unknown types pass through raw. */
    end = raw_rr(msg, 99, 1, (uint8_t[]){7, 7, 7}, 3, 0);
    assert_int_equal(dns_rr_parse(msg, end, DNS_HDR_LEN, &rr, &next), WIRE_OK);
    assert_int_equal(rr.type, 99);
    assert_ptr_equal(rr.rdata, msg + end - 3);
    assert_int_equal(next, end);
    /* rdlength beyond the message. */
    end = raw_rr(msg, 99, 1, (uint8_t[]){7, 7, 7}, 3, 0);
    assert_int_equal(dns_rr_parse(msg, end - 1, DNS_HDR_LEN, &rr, &next), WIRE_ETRUNCATED);
    assert_int_equal(dns_rr_skip(msg, end - 1, DNS_HDR_LEN, 1, &next), WIRE_ETRUNCATED);
}

static void test_edns_opt(void **state)
{
    (void)state;
    uint8_t msg[256];
    struct dns_rr rr;
    size_t next, end;
    /* An option (cookie, code 10, 8 bytes) tiling the rdata. */
    const uint8_t cookie[] = {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
    end = raw_rr(msg, DNS_TYPE_OPT, 1232, cookie, sizeof(cookie), 0);
    msg[DNS_HDR_LEN + 5] = 0x01; /* ext rcode */
    msg[DNS_HDR_LEN + 7] = 0x80; /* DO */
    msg[DNS_HDR_LEN + 8] = 0;
    assert_int_equal(dns_rr_parse(msg, end, DNS_HDR_LEN, &rr, &next), WIRE_OK);
    assert_int_equal(rr.u.opt.udp_size, 1232);
    assert_int_equal(rr.u.opt.ext_rcode, 1);
    assert_int_equal(rr.u.opt.flags, DNS_EDNS_DO);
    assert_int_equal(rr.u.opt.options_len, sizeof(cookie));
    /* An option longer than the rdata left. */
    const uint8_t overrun[] = {0, 10, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8};
    end = raw_rr(msg, DNS_TYPE_OPT, 1232, overrun, sizeof(overrun), 0);
    assert_int_equal(dns_rr_parse(msg, end, DNS_HDR_LEN, &rr, &next), WIRE_EOPTION);
    const uint8_t stub[] = {0, 10, 0};
    end = raw_rr(msg, DNS_TYPE_OPT, 1232, stub, sizeof(stub), 0);
    assert_int_equal(dns_rr_parse(msg, end, DNS_HDR_LEN, &rr, &next), WIRE_EOPTION);
    /* OPT owned by a name other than the root. */
    end = raw_rr(msg, DNS_TYPE_OPT, 1232, NULL, 0, 3);
    assert_int_equal(dns_rr_parse(msg, end, DNS_HDR_LEN, &rr, &next), WIRE_EOPTION);
    /* dns_emit_opt's bytes. */
    uint8_t buf[64];
    struct dns_emitter e;
    dns_emit_init(&e, buf, sizeof(buf));
    assert_int_equal(dns_emit_opt(&e, 1232, 1, DNS_EDNS_DO), WIRE_OK);
    const uint8_t want[] = {0, 0, 41, 0x04, 0xd0, 1, 0, 0x80, 0, 0, 0};
    assert_int_equal(e.len, DNS_HDR_LEN + sizeof(want));
    assert_memory_equal(buf + DNS_HDR_LEN, want, sizeof(want));
}

static void test_compression_table_full(void **state)
{
    (void)state;
    /* More distinct names than the table remembers: later ones are written whole, but the
     * message stays correct. */
    static uint8_t buf[8192];
    struct dns_emitter e;
    dns_emit_init(&e, buf, sizeof(buf));
    char text[32];
    for (int i = 0; i < 2 * DNS_COMPRESS_MAX; i++) {
        int n = snprintf(text, sizeof(text), "n%d.z%d.", i, i);
        struct dns_name name;
        assert_int_equal(dns_name_from_text(text, (size_t)n, NULL, &name), WIRE_OK);
        assert_int_equal(dns_emit_name(&e, &name, true), WIRE_OK);
    }
    assert_int_equal(e.nnames, DNS_COMPRESS_MAX);
    size_t pos = DNS_HDR_LEN;
    for (int i = 0; i < 2 * DNS_COMPRESS_MAX; i++) {
        struct dns_name name;
        assert_int_equal(dns_name_parse(buf, e.len, pos, &name, &pos), WIRE_OK);
        int n = snprintf(text, sizeof(text), "n%d.z%d.", i, i);
        struct dns_name want;
        dns_name_from_text(text, (size_t)n, NULL, &want);
        assert_true(dns_name_equal(&name, &want));
    }
    assert_int_equal(pos, e.len);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_roundtrip),
        cmocka_unit_test(test_name_plain_and_compressed),
        cmocka_unit_test(test_name_pointer_loops_rejected),
        cmocka_unit_test(test_name_out_of_bounds_pointer),
        cmocka_unit_test(test_name_length_limits),
        cmocka_unit_test(test_name_text_forms),
        cmocka_unit_test(test_name_compare_and_subdomain),
        cmocka_unit_test(test_emit_compression_bytes),
        cmocka_unit_test(test_emit_repeated_labels),
        cmocka_unit_test(test_emit_nospace_rolls_back),
        cmocka_unit_test(test_every_rr_type_roundtrip),
        cmocka_unit_test(test_truncation_at_every_byte),
        cmocka_unit_test(test_rdata_length_checks),
        cmocka_unit_test(test_edns_opt),
        cmocka_unit_test(test_compression_table_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
