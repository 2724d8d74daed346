/* The service API's surface: the addresses TCP and UDP hand a service and take from it (struct
 * unic_addr), the IPv6 addresses they refuse until IPv6 exists, and the small accessors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"
#include "unic/tcp.h"
#include "unic/timer.h"
#include "unic/udp.h"

#define ADDR_A 0x0a000001u
#define ADDR_B 0x0a000002u

static struct unic_addr fd00_1(void)
{
    struct unic_addr a;
    assert_int_equal(unic_addr_parse("fd00::1", &a), 0);
    return a;
}

struct accepted {
    struct tcp_conn *conn;
};

static void on_accept(struct tcp_conn *conn, void *user)
{
    ((struct accepted *)user)->conn = conn;
}

static void on_connected(struct tcp_conn *conn, int err)
{
    (void)conn;
    assert_int_equal(err, 0);
}

/* Both ends of a connection see the same two endpoints, crossed. */
static void test_tcp_peer_and_local_addresses(void **state)
{
    (void)state;
    struct harness h;
    harness_init(&h, NULL);
    struct accepted acc = {0};
    int err;
    struct tcp_listener *l = tcp_listen(harness_b(&h), 8080, on_accept, &acc, &err);
    assert_non_null(l);
    struct tcp_conn *c =
        tcp_connect(harness_a(&h), unic_addr_ip4(ADDR_B), 8080, on_connected, NULL, &err);
    assert_non_null(c);
    harness_run(&h, 50 * NSEC_PER_MSEC);
    assert_non_null(acc.conn);
    char text[UNIC_ADDR_STRLEN];
    assert_string_equal(unic_addr_format(tcp_peer_addr(acc.conn), text), "10.0.0.1");
    assert_string_equal(unic_addr_format(tcp_local_addr(acc.conn), text), "10.0.0.2");
    assert_string_equal(unic_addr_format(tcp_peer_addr(c), text), "10.0.0.2");
    assert_string_equal(unic_addr_format(tcp_local_addr(c), text), "10.0.0.1");
    assert_int_equal(tcp_peer_port(c), 8080);
    assert_int_equal(tcp_local_port(acc.conn), 8080);
    assert_int_equal(tcp_peer_port(acc.conn), tcp_local_port(c));
    assert_true(tcp_local_port(c) >= 49152);
    tcp_abort(c);
    tcp_abort(acc.conn);
    tcp_unlisten(l);
    harness_run(&h, 50 * NSEC_PER_MSEC);
    assert_int_equal(harness_destroy(&h), 0);
}

static void test_tcp_connect_ip6_without_address(void **state)
{
    (void)state;
    struct harness h;
    harness_init(&h, NULL);
    harness_run(&h, 10 * NSEC_PER_MSEC);
    uint64_t frames = h.frames_sent[SIDE_A]; /* the gratuitous ARP */
    int err = 0;
    assert_null(tcp_connect(harness_a(&h), fd00_1(), 80, on_connected, NULL, &err));
    assert_int_equal(err, -EADDRNOTAVAIL); /* IPv6 is not started on the harness' stacks */
    assert_null(tcp_connect(harness_a(&h), unic_addr_ip4(0), 80, on_connected, NULL, &err));
    assert_int_equal(err, -EINVAL);
    harness_run(&h, 10 * NSEC_PER_MSEC);
    assert_int_equal(h.frames_sent[SIDE_A], frames);
    assert_int_equal(harness_destroy(&h), 0);
}

/* tcp_send_queued counts what is buffered until the peer acknowledged it. */
static void test_tcp_send_queued(void **state)
{
    (void)state;
    struct harness h;
    harness_init(&h, NULL);
    struct accepted acc = {0};
    int err;
    struct tcp_listener *l = tcp_listen(harness_b(&h), 8080, on_accept, &acc, &err);
    struct tcp_conn *c =
        tcp_connect(harness_a(&h), unic_addr_ip4(ADDR_B), 8080, on_connected, NULL, &err);
    assert_non_null(c);
    assert_int_equal(tcp_send_queued(c), 0);
    assert_int_equal(tcp_send(c, "hello", 5), 5); /* queued in SYN_SENT */
    assert_int_equal(tcp_send_queued(c), 5);
    harness_run(&h, 50 * NSEC_PER_MSEC);
    assert_int_equal(tcp_state(c), TCP_ESTABLISHED);
    assert_int_equal(tcp_send_queued(c), 0); /* sent and acknowledged */
    tcp_abort(c);
    tcp_abort(acc.conn);
    tcp_unlisten(l);
    harness_run(&h, 50 * NSEC_PER_MSEC);
    assert_int_equal(harness_destroy(&h), 0);
}

static void count_up(struct inet *inet, void *arg)
{
    assert_false(unic_addr_is_unspecified(inet_address(inet)));
    (*(int *)arg)++;
}

/* inet_address() is 0.0.0.0 until the stack has an address; inet_on_up() hears it come. */
static void test_inet_address_and_on_up(void **state)
{
    (void)state;
    struct harness h;
    harness_init(&h, &(struct harness_opts){.unconfigured_b = true});
    char text[UNIC_ADDR_STRLEN];
    assert_string_equal(unic_addr_format(inet_address(harness_a(&h)), text), "10.0.0.1");
    assert_true(unic_addr_is_unspecified(inet_address(harness_b(&h))));
    int ups = 0;
    inet_on_up(harness_b(&h), count_up, &ups);
    inet_set_addr(harness_b(&h), 0x0a000007u, 24, 0); /* what DHCP does when bound */
    assert_int_equal(ups, 1);
    assert_string_equal(unic_addr_format(inet_address(harness_b(&h)), text), "10.0.0.7");
    inet_set_addr(harness_b(&h), 0, 0, 0); /* the lease ended: no call */
    assert_int_equal(ups, 1);
    inet_on_up(harness_b(&h), NULL, NULL);
    inet_set_addr(harness_b(&h), 0x0a000008u, 24, 0);
    assert_int_equal(ups, 1);
    harness_run(&h, 10 * NSEC_PER_MSEC);
    assert_int_equal(harness_destroy(&h), 0);
}

struct received {
    struct udp_meta meta;
    unsigned n;
};

static void on_datagram(struct udp_sock *sock, const struct udp_meta *meta, const uint8_t *data,
                        size_t len)
{
    (void)data;
    (void)len;
    struct received *r = udp_sock_user(sock);
    r->meta = *meta;
    r->n++;
}

static void test_udp_meta_and_ip6_without_address(void **state)
{
    (void)state;
    struct harness h;
    harness_init(&h, NULL);
    struct received r = {0};
    struct udp_sock *rx = udp_bind(harness_b(&h), 5000, on_datagram, &r, NULL);
    struct udp_sock *tx = udp_bind(harness_a(&h), 0, NULL, NULL, NULL);
    assert_non_null(rx);
    assert_non_null(tx);
    assert_int_equal(udp_sendto(tx, fd00_1(), 5000, "x", 1), -EADDRNOTAVAIL); /* no IPv6 */
    struct netbuf *nb = udp_alloc(tx, 1);
    assert_non_null(nb);
    assert_int_equal(udp_send_buf(tx, fd00_1(), 5000, nb), -EADDRNOTAVAIL);
    assert_int_equal(udp_sendto_from(tx, fd00_1(), unic_addr_ip4(ADDR_B), 5000, "x", 1),
                     -EINVAL); /* the families differ */
    assert_int_equal(udp_sendto(tx, unic_addr_ip4(ADDR_B), 5000, "x", 1), 0);
    harness_run(&h, 10 * NSEC_PER_MSEC);
    assert_int_equal(r.n, 1);
    assert_true(unic_addr_equal(r.meta.src, unic_addr_ip4(ADDR_A)));
    assert_true(unic_addr_equal(r.meta.dst, unic_addr_ip4(ADDR_B)));
    assert_int_equal(r.meta.sport, udp_sock_port(tx));
    assert_int_equal(r.meta.dport, 5000);
    assert_int_equal(udp_stat(harness_a(&h), "tx_bad_dest"), 3);
    udp_close(rx);
    udp_close(tx);
    assert_int_equal(harness_destroy(&h), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_peer_and_local_addresses),
        cmocka_unit_test(test_tcp_connect_ip6_without_address),
        cmocka_unit_test(test_tcp_send_queued),
        cmocka_unit_test(test_inet_address_and_on_up),
        cmocka_unit_test(test_udp_meta_and_ip6_without_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
