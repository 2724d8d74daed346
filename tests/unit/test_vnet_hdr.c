/* The virtio-net header (src/net/wire/vnet_hdr.c): layout, every check, checksum completion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unic/wire/bytes.h"
#include "unic/wire/checksum.h"
#include "unic/wire/ip4.h"
#include "unic/wire/tcp.h"
#include "unic/wire/udp.h"
#include "unic/wire/vnet_hdr.h"
#include "unic/wire/wire.h"

#define SRC 0x0a000001u
#define DST 0x0a000002u
#define L4_START (14 + 20) /* Ethernet + IPv4 without options */
#define TCP_OK VNET_HDR_GSO_BIT(VNET_HDR_GSO_TCPV4)

/* Bytes as Linux's tun wrote them for a 64 KB TCPv4 super-packet (flags NEEDS_CSUM, gso
 * TCPV4, hdr_len 66, gso_size 1448, csum_start 34, csum_offset 16). */
static const uint8_t linux_gso_hdr[VNET_HDR_LEN] = {0x01, 0x01, 0x42, 0x00, 0xa8,
                                                    0x05, 0x22, 0x00, 0x10, 0x00};

static void test_parse_little_endian(void **state)
{
    (void)state;
    struct vnet_hdr h;
    assert_int_equal(vnet_hdr_parse(linux_gso_hdr, sizeof(linux_gso_hdr), &h), WIRE_OK);
    assert_int_equal(h.flags, VNET_HDR_F_NEEDS_CSUM);
    assert_int_equal(h.gso_type, VNET_HDR_GSO_TCPV4);
    assert_int_equal(h.hdr_len, 66);
    assert_int_equal(h.gso_size, 1448);
    assert_int_equal(h.csum_start, 34);
    assert_int_equal(h.csum_offset, 16);
    for (size_t n = 0; n < VNET_HDR_LEN; n++)
        assert_int_equal(vnet_hdr_parse(linux_gso_hdr, n, &h), WIRE_ETRUNCATED);
}

static void test_emit_round_trip(void **state)
{
    (void)state;
    struct vnet_hdr h, back;
    uint8_t out[VNET_HDR_LEN + 1];
    assert_int_equal(vnet_hdr_parse(linux_gso_hdr, sizeof(linux_gso_hdr), &h), WIRE_OK);
    memset(out, 0xee, sizeof(out));
    assert_int_equal(vnet_hdr_emit(out, sizeof(out), &h), VNET_HDR_LEN);
    assert_memory_equal(out, linux_gso_hdr, VNET_HDR_LEN);
    assert_int_equal(out[VNET_HDR_LEN], 0xee); /* nothing past the header */
    assert_int_equal(vnet_hdr_emit(out, VNET_HDR_LEN - 1, &h), WIRE_ENOSPACE);
    struct vnet_hdr zero = {0};
    assert_int_equal(vnet_hdr_emit(out, sizeof(out), &zero), VNET_HDR_LEN);
    assert_int_equal(vnet_hdr_parse(out, VNET_HDR_LEN, &back), WIRE_OK);
    assert_memory_equal(&back, &zero, sizeof(zero));
}

static void test_check_plain_frames(void **state)
{
    (void)state;
    struct vnet_hdr none = {0}, valid = {.flags = VNET_HDR_F_DATA_VALID};
    assert_int_equal(vnet_hdr_check(&none, 60, 0), WIRE_OK);
    assert_int_equal(vnet_hdr_check(&none, 0, 0), WIRE_OK);
    assert_int_equal(vnet_hdr_check(&valid, 60, TCP_OK), WIRE_OK);
    for (unsigned bit = 2; bit < 8; bit++) {
        struct vnet_hdr unknown = {.flags = (uint8_t)(1u << bit)};
        assert_int_equal(vnet_hdr_check(&unknown, 60, TCP_OK), WIRE_EUNSUPPORTED);
    }
    struct vnet_hdr ecn_alone = {.gso_type = VNET_HDR_GSO_ECN};
    assert_int_equal(vnet_hdr_check(&ecn_alone, 60, TCP_OK), WIRE_EMALFORMED);
}

static void test_check_csum_bounds(void **state)
{
    (void)state;
    struct vnet_hdr h = {.flags = VNET_HDR_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 16};
    assert_int_equal(vnet_hdr_check(&h, 52, 0), WIRE_OK); /* the field is the last 2 bytes */
    assert_int_equal(vnet_hdr_check(&h, 51, 0), WIRE_ELENGTH);
    assert_int_equal(vnet_hdr_check(&h, 34, 0), WIRE_ELENGTH);
    assert_int_equal(vnet_hdr_check(&h, 0, 0), WIRE_ELENGTH);
    h.csum_offset = 17;
    assert_int_equal(vnet_hdr_check(&h, 1000, 0), WIRE_EMALFORMED);
    /* The largest values must not wrap around. */
    h.csum_start = 0xffff;
    h.csum_offset = 0xfffe;
    assert_int_equal(vnet_hdr_check(&h, 65536, 0), WIRE_ELENGTH);
    assert_int_equal(vnet_hdr_check(&h, 0xffff + 0xfffe + 1, 0), WIRE_ELENGTH);
    assert_int_equal(vnet_hdr_check(&h, 0xffff + 0xfffe + 2, 0), WIRE_OK);
}

static void test_check_gso(void **state)
{
    (void)state;
    struct vnet_hdr h;
    assert_int_equal(vnet_hdr_parse(linux_gso_hdr, sizeof(linux_gso_hdr), &h), WIRE_OK);
    assert_int_equal(vnet_hdr_check(&h, 65000, TCP_OK), WIRE_OK);
    assert_int_equal(vnet_hdr_check(&h, 65000, 0), WIRE_EUNSUPPORTED); /* not negotiated */
    assert_int_equal(vnet_hdr_check(&h, 65000, VNET_HDR_GSO_BIT(VNET_HDR_GSO_TCPV6)),
                     WIRE_EUNSUPPORTED);
    h.gso_type = VNET_HDR_GSO_TCPV4 | VNET_HDR_GSO_ECN;
    assert_int_equal(vnet_hdr_check(&h, 65000, TCP_OK), WIRE_OK);
    h.gso_type = VNET_HDR_GSO_TCPV6;
    assert_int_equal(vnet_hdr_check(&h, 65000, TCP_OK), WIRE_EUNSUPPORTED);
    h.gso_type = 0x7f; /* past any bit of the negotiated set */
    assert_int_equal(vnet_hdr_check(&h, 65000, ~0u), WIRE_EUNSUPPORTED);
    h.gso_type = VNET_HDR_GSO_TCPV4;
    h.gso_size = 0;
    assert_int_equal(vnet_hdr_check(&h, 65000, TCP_OK), WIRE_EMALFORMED);
    h.gso_size = 1448;
    h.flags = VNET_HDR_F_DATA_VALID; /* a super-packet always leaves its checksum partial */
    assert_int_equal(vnet_hdr_check(&h, 65000, TCP_OK), WIRE_EMALFORMED);
    h.flags = VNET_HDR_F_NEEDS_CSUM;
    h.hdr_len = 101;
    assert_int_equal(vnet_hdr_check(&h, 100, TCP_OK), WIRE_ELENGTH);
    assert_int_equal(vnet_hdr_check(&h, 101, TCP_OK), WIRE_OK);
}

/* What both platforms send in front of a super-packet: the very bytes Linux's tun gives for
 * one (so the kernel cuts ours as it cuts its own), TCPV6 for IPv6, and nothing the receiver's
 * check would refuse. */
static void test_tcp_gso_for_send(void **state)
{
    (void)state;
    struct vnet_hdr h;
    uint8_t out[VNET_HDR_LEN];
    assert_int_equal(vnet_hdr_tcp_gso(&h, 65000, false, 1448, 66, 34, 16), WIRE_OK);
    assert_int_equal(vnet_hdr_emit(out, sizeof(out), &h), VNET_HDR_LEN);
    assert_memory_equal(out, linux_gso_hdr, VNET_HDR_LEN);
    assert_int_equal(vnet_hdr_tcp_gso(&h, 65000, true, 1428, 86, 54, 16), WIRE_OK);
    assert_int_equal(h.gso_type, VNET_HDR_GSO_TCPV6);
    assert_int_equal(h.flags, VNET_HDR_F_NEEDS_CSUM);
    assert_int_equal(h.gso_size, 1428);
    assert_int_equal(h.hdr_len, 86);
    assert_int_equal(vnet_hdr_tcp_gso(&h, 65000, false, 0, 66, 34, 16), WIRE_EMALFORMED);
    assert_int_equal(vnet_hdr_tcp_gso(&h, 51, false, 1448, 50, 34, 16), WIRE_ELENGTH);
    assert_int_equal(vnet_hdr_tcp_gso(&h, 52, false, 1448, 52, 34, 16), WIRE_OK);
    assert_int_equal(vnet_hdr_tcp_gso(&h, 65000, false, 1448, 66, 34, 15), WIRE_EMALFORMED);
    assert_int_equal(vnet_hdr_tcp_gso(&h, 65, false, 1448, 66, 34, 16), WIRE_ELENGTH);
}

/* An Ethernet + IPv4 + TCP frame with (payload) bytes of pseudo-random data, checksum right. */
static uint8_t *tcp_frame(size_t payload, size_t *len)
{
    size_t l4 = TCP_HDR_LEN + payload;
    *len = L4_START + l4;
    uint8_t *f = malloc(*len);
    assert_non_null(f);
    memset(f, 0, L4_START);
    wr16(f + 12, 0x0800);
    struct ip4_hdr ip = {.total_len = (uint16_t)(20 + l4),
                         .ttl = 64,
                         .proto = IP4_PROTO_TCP,
                         .src = SRC,
                         .dst = DST,
                         .df = true};
    assert_int_equal(ip4_emit(f + 14, 20, &ip), 20);
    struct tcp_hdr t = {.sport = 40000, .dport = 9, .seq = 1, .ack = 1, .flags = TCP_ACK};
    t.window = 512;
    assert_int_equal(tcp_emit(f + L4_START, l4, &t), TCP_HDR_LEN);
    uint32_t x = 12345;
    for (size_t i = L4_START + TCP_HDR_LEN; i < *len; i++) {
        x = x * 1103515245u + 12345u;
        f[i] = (uint8_t)(x >> 16);
    }
    tcp_set_checksum(f + L4_START, l4, SRC, DST);
    return f;
}

/* What Linux leaves in the field of a partial checksum: the folded pseudo-header sum. */
static void make_partial(uint8_t *f, size_t len, size_t field)
{
    uint32_t pseudo = csum_pseudo_ip4(SRC, DST, IP4_PROTO_TCP, (uint16_t)(len - L4_START));
    wr16(f + field, (uint16_t)~csum_fold(pseudo));
}

static void complete_and_compare(size_t payload)
{
    size_t len;
    uint8_t *f = tcp_frame(payload, &len);
    uint8_t *want = malloc(len);
    memcpy(want, f, len);
    make_partial(f, len, L4_START + 16);
    struct vnet_hdr h = {.flags = VNET_HDR_F_NEEDS_CSUM, .csum_start = L4_START, .csum_offset = 16};
    assert_int_equal(vnet_hdr_check(&h, len, 0), WIRE_OK);
    assert_false(tcp_checksum_ok(f + L4_START, len - L4_START, SRC, DST));
    assert_int_equal(vnet_hdr_complete_csum(f, len, &h), WIRE_OK);
    assert_true(tcp_checksum_ok(f + L4_START, len - L4_START, SRC, DST));
    if (rd16(want + L4_START + 16) != 0)
        assert_memory_equal(f, want, len);
    free(want);
    free(f);
}

static void test_complete_tcp_checksum(void **state)
{
    (void)state;
    complete_and_compare(0);
    complete_and_compare(1);
    complete_and_compare(1448);
    complete_and_compare(1449);
    complete_and_compare(65535 - 20 - TCP_HDR_LEN); /* the largest super-packet */
}

/* A sum that comes out as 0 is stored as 0xffff (what UDP needs, 0 meaning "none"). */
static void test_complete_zero_becomes_ffff(void **state)
{
    (void)state;
    uint8_t f[L4_START + UDP_HDR_LEN + 4] = {0};
    uint8_t *udp = f + L4_START;
    struct udp_hdr u = {.sport = 53, .dport = 5353};
    assert_int_equal(udp_emit(udp, UDP_HDR_LEN + 4, &u, SRC, DST, 4), UDP_HDR_LEN);
    /* Choose the last payload word so that the whole sum is 0xffff: the checksum of the
     * datagram with that word zero, put in the word, makes the new checksum 0. */
    wr16(udp + 6, 0);
    wr16(udp + UDP_HDR_LEN + 2, 0);
    uint32_t pseudo = csum_pseudo_ip4(SRC, DST, IP4_PROTO_UDP, UDP_HDR_LEN + 4);
    wr16(udp + UDP_HDR_LEN + 2, csum_fold(csum_partial(udp, UDP_HDR_LEN + 4, pseudo)));
    wr16(udp + 6, (uint16_t)~csum_fold(pseudo));
    struct vnet_hdr h = {.flags = VNET_HDR_F_NEEDS_CSUM, .csum_start = L4_START, .csum_offset = 6};
    assert_int_equal(vnet_hdr_complete_csum(f, sizeof(f), &h), WIRE_OK);
    assert_int_equal(rd16(udp + 6), 0xffff);
    struct udp_hdr back;
    assert_int_equal(udp_parse(udp, UDP_HDR_LEN + 4, SRC, DST, &back), WIRE_OK);
}

static void test_complete_refuses_bad_offsets(void **state)
{
    (void)state;
    uint8_t f[64];
    memset(f, 0x5a, sizeof(f));
    uint8_t copy[64];
    memcpy(copy, f, sizeof(f));
    struct vnet_hdr h = {.flags = VNET_HDR_F_NEEDS_CSUM, .csum_start = 40, .csum_offset = 24};
    assert_int_equal(vnet_hdr_complete_csum(f, sizeof(f), &h), WIRE_ELENGTH);
    h.csum_offset = 21; /* inside the frame, but odd */
    assert_int_equal(vnet_hdr_complete_csum(f, sizeof(f), &h), WIRE_EMALFORMED);
    h.csum_start = 0xffff;
    h.csum_offset = 0xffff;
    assert_int_equal(vnet_hdr_complete_csum(f, sizeof(f), &h), WIRE_ELENGTH);
    assert_memory_equal(f, copy, sizeof(f)); /* untouched */
    struct vnet_hdr plain = {0};
    assert_int_equal(vnet_hdr_complete_csum(f, sizeof(f), &plain), WIRE_OK);
    assert_memory_equal(f, copy, sizeof(f));
    h.csum_start = 40;
    h.csum_offset = 22; /* the last two bytes */
    assert_int_equal(vnet_hdr_complete_csum(f, sizeof(f), &h), WIRE_OK);
    /* The field held 0x5a5a as the "pseudo-header" sum: with it added back, all verifies. */
    assert_int_equal(csum_fold(csum_partial(f + 40, 24, 0x5a5a)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_little_endian),
        cmocka_unit_test(test_emit_round_trip),
        cmocka_unit_test(test_check_plain_frames),
        cmocka_unit_test(test_check_csum_bounds),
        cmocka_unit_test(test_check_gso),
        cmocka_unit_test(test_tcp_gso_for_send),
        cmocka_unit_test(test_complete_tcp_checksum),
        cmocka_unit_test(test_complete_zero_becomes_ffff),
        cmocka_unit_test(test_complete_refuses_bad_offsets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
