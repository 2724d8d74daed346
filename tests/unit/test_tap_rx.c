/* The hosted TAP's receive and send path (src/platform/hosted/tap.c, uring.c) on a
 * SOCK_SEQPACKET socket pair, which keeps message boundaries as a TAP does (one read, one
 * frame), so no device or privilege is needed:
 *  - the scatter read: a small frame stays in the caller's small buffer, a longer one comes up
 *    whole in the large buffer, one longer than both is dropped whole (-EMSGSIZE);
 *  - checksums the stack need not verify: a partial one (left partial, completed only while a
 *    capture is written) and one the kernel marked valid are flagged PLAT_NET_RX_CSUM_OK;
 *  - sending through io_uring: frames are held until a flush (or a read that finds nothing) and
 *    then go out together, in order, each with its virtio-net header; UNIC_HOSTED_URING=0
 *    writes each at once. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "hosted.h"
#include "unic/wire/bytes.h"
#include "unic/wire/checksum.h"
#include "unic/wire/ip4.h"
#include "unic/wire/udp.h"
#include "unic/wire/vnet_hdr.h"
#include "unic/wire/wire.h"

#define SMALL_CAP 1584
#define LARGE_CAP 4000
#define SRC 0x0a000009u
#define DST 0x0a000001u

/* What tap.c takes from the rest of the hosted platform. */
static bool capturing;
static unsigned warnings;

bool capture_active(void)
{
    return capturing;
}

void hosted_warn(const char *fmt, ...)
{
    (void)fmt;
    warnings++;
}

int hosted_fail(char *err, size_t errlen, const char *fmt, ...)
{
    (void)fmt;
    snprintf(err, errlen, "failed");
    return -1;
}

static struct hosted_nic nic;
static int peer = -1;
static uint8_t small[SMALL_CAP], large[LARGE_CAP];

/* A NIC on one end of a fresh socket pair (the test writes "the kernel's" side on the other). */
static void open_nic(bool vnet_hdr, bool uring)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
    memset(&nic, 0, sizeof(nic));
    nic.kind = HOSTED_NIC_TAP;
    nic.fd = sv[0];
    nic.vnet_hdr = vnet_hdr;
    nic.info.mtu = 1500;
    snprintf(nic.name, sizeof(nic.name), "test");
    peer = sv[1];
    if (uring)
        unsetenv("UNIC_HOSTED_URING");
    else
        setenv("UNIC_HOSTED_URING", "0", 1);
    assert_int_equal(uring_open(&nic), 0);
    capturing = false;
}

static int close_nic(void **state)
{
    (void)state;
    uring_close(&nic);
    close(nic.fd);
    close(peer);
    return 0;
}

/* Send (len) bytes of a UDP/IPv4 frame (payload pattern) from "the kernel", with a header of
 * (flags) (NEEDS_CSUM: partial checksum at the UDP header) when the NIC has headers. */
static void kernel_sends(size_t len, uint8_t flags)
{
    static uint8_t f[VNET_HDR_LEN + 8192];
    assert_true(len >= 42 && len <= 8192);
    uint8_t *frame = f + VNET_HDR_LEN;
    memset(frame, 0, 14);
    frame[12] = 0x08;
    for (size_t i = 42; i < len; i++)
        frame[i] = (uint8_t)(i * 7);
    size_t l4 = len - 34;
    struct udp_hdr u = {.sport = 5000, .dport = 7};
    assert_int_equal(udp_emit(frame + 34, l4, &u, SRC, DST, l4 - UDP_HDR_LEN), UDP_HDR_LEN);
    struct ip4_hdr ip = {.total_len = (uint16_t)(20 + l4),
                         .ttl = 64,
                         .proto = IP4_PROTO_UDP,
                         .src = SRC,
                         .dst = DST};
    assert_int_equal(ip4_emit(frame + 14, 20, &ip), 20);
    struct vnet_hdr h = {.flags = flags};
    if (flags & VNET_HDR_F_NEEDS_CSUM) {
        h.csum_start = 34;
        h.csum_offset = 6;
        uint32_t pseudo = csum_pseudo_ip4(SRC, DST, IP4_PROTO_UDP, (uint16_t)l4);
        wr16(frame + 34 + 6, (uint16_t)~csum_fold(pseudo));
    }
    vnet_hdr_emit(f, VNET_HDR_LEN, &h);
    size_t off = nic.vnet_hdr ? 0 : VNET_HDR_LEN;
    assert_int_equal(write(peer, f + off, len + VNET_HDR_LEN - off),
                     (ssize_t)(len + VNET_HDR_LEN - off));
}

static int recv_into(struct plat_net_rx *rx, bool with_large)
{
    memset(large, 0xee, sizeof(large));
    *rx = (struct plat_net_rx){.buf = small,
                               .cap = SMALL_CAP,
                               .large = with_large ? large : NULL,
                               .large_cap = with_large ? LARGE_CAP : 0};
    return tap_recv(&nic, rx);
}

static bool udp_checksum_verifies(const uint8_t *frame, size_t len)
{
    struct udp_hdr h;
    return udp_parse(frame + 34, len - 34, SRC, DST, &h) == WIRE_OK;
}

static void test_small_frame_stays_in_small_buffer(void **state)
{
    (void)state;
    open_nic(true, true);
    kernel_sends(100, 0);
    struct plat_net_rx rx;
    assert_int_equal(recv_into(&rx, true), 0);
    assert_int_equal(rx.len, 100);
    assert_false(rx.in_large);
    assert_int_equal(rx.flags, 0);
    assert_int_equal(large[0], 0xee); /* not copied anywhere */
    assert_true(udp_checksum_verifies(small, 100));
    assert_int_equal(recv_into(&rx, true), -EAGAIN);
}

static void test_long_frame_comes_up_whole_in_large(void **state)
{
    (void)state;
    open_nic(true, true);
    kernel_sends(3000, 0);
    kernel_sends(LARGE_CAP + 1, 0); /* fits neither: dropped whole */
    kernel_sends(2000, 0);
    struct plat_net_rx rx;
    assert_int_equal(recv_into(&rx, true), 0);
    assert_true(rx.in_large);
    assert_int_equal(rx.len, 3000);
    assert_true(udp_checksum_verifies(large, 3000));
    assert_int_equal(recv_into(&rx, true), -EMSGSIZE);
    assert_int_equal(recv_into(&rx, false), -EMSGSIZE); /* no large buffer: 2000 > SMALL_CAP */
    assert_int_equal(recv_into(&rx, true), -EAGAIN);
    assert_int_equal(nic.tap_stats.rx_scatter_large, 1);
}

static void test_partial_checksum_is_flagged_not_summed(void **state)
{
    (void)state;
    open_nic(true, true);
    kernel_sends(200, VNET_HDR_F_NEEDS_CSUM);
    kernel_sends(3000, VNET_HDR_F_NEEDS_CSUM);
    struct plat_net_rx rx;
    assert_int_equal(recv_into(&rx, true), 0);
    assert_int_equal(rx.flags, PLAT_NET_RX_CSUM_OK);
    assert_false(udp_checksum_verifies(small, 200)); /* left partial */
    capturing = true;                                /* a capture must replay: completed */
    assert_int_equal(recv_into(&rx, true), 0);
    assert_true(rx.in_large);
    assert_int_equal(rx.flags, PLAT_NET_RX_CSUM_OK);
    assert_true(udp_checksum_verifies(large, 3000));
    assert_int_equal(nic.tap_stats.rx_csum_partial, 2);
}

static void test_valid_checksum_is_flagged(void **state)
{
    (void)state;
    open_nic(true, true);
    kernel_sends(300, VNET_HDR_F_DATA_VALID);
    struct plat_net_rx rx;
    assert_int_equal(recv_into(&rx, true), 0);
    assert_int_equal(rx.flags, PLAT_NET_RX_CSUM_OK);
    assert_int_equal(nic.tap_stats.rx_csum_valid, 1);
}

static void test_plain_tap_frames(void **state)
{
    (void)state;
    open_nic(false, true);
    kernel_sends(1514, 0);
    kernel_sends(1515, 0);
    struct plat_net_rx rx;
    assert_int_equal(recv_into(&rx, true), 0);
    assert_false(rx.in_large);
    assert_int_equal(rx.len, 1514);
    assert_int_equal(rx.flags, 0);
    assert_true(udp_checksum_verifies(small, 1514));
    assert_int_equal(recv_into(&rx, false), 0); /* SMALL_CAP 1584 holds 1515 */
    assert_int_equal(rx.len, 1515);
}

/* Frame (i) of a sent sequence: 60 bytes, its first payload byte i. */
static void send_numbered(unsigned i)
{
    uint8_t f[60] = {0};
    f[14] = (uint8_t)i;
    assert_int_equal(tap_send(&nic, f, sizeof(f), NULL), 0);
}

static unsigned peer_reads(uint8_t first[], unsigned max)
{
    uint8_t buf[256];
    unsigned n = 0;
    for (ssize_t r; n < max && (r = read(peer, buf, sizeof(buf))) > 0; n++) {
        assert_int_equal(r, VNET_HDR_LEN + 60);
        uint8_t zero[VNET_HDR_LEN] = {0};
        assert_memory_equal(buf, zero, VNET_HDR_LEN);
        first[n] = buf[VNET_HDR_LEN + 14];
    }
    return n;
}

static void test_sends_go_out_in_one_batch(void **state)
{
    (void)state;
    open_nic(true, true);
    assert_non_null(nic.uring);
    uint8_t got[100];
    for (unsigned i = 0; i < 3; i++)
        send_numbered(i);
    assert_int_equal(peer_reads(got, 100), 0); /* held until the flush */
    uring_flush(&nic);
    assert_int_equal(peer_reads(got, 100), 3);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(got[i], i);
    assert_int_equal(nic.tap_stats.tx_uring_batches, 1);
    assert_int_equal(nic.tap_stats.tx_uring_frames, 3);
    /* More than the slots: they go out as they fill, in order; a read that finds nothing
     * flushes the rest. */
    for (unsigned i = 0; i < 70; i++)
        send_numbered(i);
    struct plat_net_rx rx;
    assert_int_equal(recv_into(&rx, true), -EAGAIN);
    assert_int_equal(peer_reads(got, 100), 70);
    for (unsigned i = 0; i < 70; i++)
        assert_int_equal(got[i], i);
    assert_int_equal(nic.tap_stats.tx_uring_errors, 0);
}

static void test_without_uring_each_frame_is_written(void **state)
{
    (void)state;
    open_nic(true, false);
    assert_null(nic.uring);
    uint8_t got[4];
    send_numbered(7);
    assert_int_equal(peer_reads(got, 4), 1);
    assert_int_equal(got[0], 7);
    assert_int_equal(nic.tap_stats.tx_uring_frames, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_small_frame_stays_in_small_buffer, close_nic),
        cmocka_unit_test_teardown(test_long_frame_comes_up_whole_in_large, close_nic),
        cmocka_unit_test_teardown(test_partial_checksum_is_flagged_not_summed, close_nic),
        cmocka_unit_test_teardown(test_valid_checksum_is_flagged, close_nic),
        cmocka_unit_test_teardown(test_plain_tap_frames, close_nic),
        cmocka_unit_test_teardown(test_sends_go_out_in_one_batch, close_nic),
        cmocka_unit_test_teardown(test_without_uring_each_frame_is_written, close_nic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
