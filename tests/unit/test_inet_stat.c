/* inet_stat(): counters of the fixed modules and of the modules attached at run time (udp, tcp,
 * dhcp, resolver) through their inet_module.stat hook, looked up as "module.name". */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"
#include "unic/dhcp.h"
#include "unic/dns_resolver.h"
#include "unic/tcp.h"
#include "unic/udp.h"

#define ADDR_B 0x0a000002u
#define PORT 4000

static void on_recv(struct udp_sock *sock, const struct udp_meta *meta, const uint8_t *data,
                    size_t len)
{
    unsigned *count = udp_sock_user(sock);
    (void)meta;
    (void)data;
    (void)len;
    (*count)++;
}

static struct harness *harness_new(const struct harness_opts *opts)
{
    struct harness *h = malloc(sizeof(*h));
    assert_non_null(h);
    harness_init(h, opts);
    harness_run(h, NSEC_PER_MSEC); /* gratuitous ARPs */
    return h;
}

static void harness_free(struct harness *h)
{
    assert_int_equal(harness_destroy(h), 0);
    free(h);
}

static void test_fixed_modules_and_malformed_names(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    assert_int_equal(inet_stat(harness_a(h), "arp.tx_gratuitous"), 1);
    assert_int_equal(inet_stat(harness_a(h), "arp"), -1);
    assert_int_equal(inet_stat(harness_a(h), "nosuch.rx"), -1);
    assert_int_equal(inet_stat(harness_a(h), ".rx"), -1);
    harness_free(h);
}

static void test_udp_counters_seen_once_attached(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    assert_int_equal(inet_stat(harness_a(h), "udp.tx"), -1); /* not attached yet */
    unsigned received = 0;
    struct udp_sock *rx = udp_bind(harness_b(h), PORT, on_recv, &received, NULL);
    struct udp_sock *tx = udp_bind(harness_a(h), 0, on_recv, &received, NULL);
    assert_non_null(rx);
    assert_non_null(tx);
    for (int i = 0; i < 3; i++)
        assert_int_equal(udp_sendto(tx, unic_addr_ip4(ADDR_B), PORT, "abc", 3), 0);
    assert_int_equal(udp_sendto(tx, unic_addr_ip4(ADDR_B), PORT + 1, "abc", 3),
                     0); /* closed port */
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(received, 3);
    assert_int_equal(inet_stat(harness_a(h), "udp.tx"), 4);
    assert_int_equal(inet_stat(harness_b(h), "udp.rx_delivered"), 3);
    assert_int_equal(inet_stat(harness_b(h), "udp.rx_no_port"), 1);
    assert_int_equal(inet_stat(harness_b(h), "udp.rx_no_port"),
                     udp_stat(harness_b(h), "rx_no_port"));
    assert_int_equal(inet_stat(harness_b(h), "udp.no_such_counter"), -1);
    assert_int_equal(inet_stat(harness_b(h), "udpx.rx"), -1); /* prefix of a name is no match */
    udp_close(rx);
    udp_close(tx);
    harness_free(h);
}

static void on_connected(struct tcp_conn *conn, int err)
{
    *(int *)tcp_user(conn) = err;
}

static void on_accept(struct tcp_conn *conn, void *listener_user)
{
    (void)listener_user;
    tcp_abort(conn);
}

static void test_tcp_counters(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    int err = 0, connect_err = 1;
    assert_int_equal(inet_stat(harness_b(h), "tcp.tx_rst"), -1);
    struct tcp_listener *l = tcp_listen(harness_b(h), 80, on_accept, NULL, &err);
    assert_non_null(l);
    struct tcp_conn *c =
        tcp_connect(harness_a(h), unic_addr_ip4(ADDR_B), 81, on_connected, &connect_err, &err);
    assert_non_null(c);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(connect_err, -ECONNREFUSED);
    assert_int_equal(inet_stat(harness_b(h), "tcp.tx_rst"), 1); /* nothing on port 81 */
    assert_int_equal(inet_stat(harness_b(h), "tcp.tx_rst"), tcp_stat(harness_b(h), "tx_rst"));
    assert_int_equal(inet_stat(harness_a(h), "tcp.conn_refused"), 1);
    assert_int_equal(inet_stat(harness_a(h), "tcp.conn_open"), 0); /* a gauge, refreshed */
    tcp_unlisten(l);
    harness_free(h);
}

static void test_dhcp_counters(void **state)
{
    (void)state;
    struct harness_opts opts = {.unconfigured_b = true};
    struct harness *h = harness_new(&opts);
    assert_int_equal(inet_stat(harness_b(h), "dhcp.tx_discover"), -1);
    assert_int_equal(dhcp_start(harness_b(h)), 0);
    harness_run(h, NSEC_PER_SEC); /* the first DISCOVER leaves within 200 ms; nobody answers */
    assert_int_equal(inet_stat(harness_b(h), "dhcp.tx_discover"), 1);
    assert_int_equal(inet_stat(harness_b(h), "dhcp.rx_offer"), 0);
    assert_int_equal(inet_stat(harness_b(h), "dhcp.tx_discover"),
                     dhcp_stat(harness_b(h), "tx_discover"));
    harness_free(h);
}

static void on_resolved(struct inet *inet, const char *name, int status, struct unic_addr addr,
                        uint32_t ttl, void *arg)
{
    (void)inet;
    (void)name;
    (void)addr;
    (void)ttl;
    *(int *)arg = status;
}

static void test_resolver_counters(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    harness_a(h)->dns = ADDR_B; /* B serves no DNS: the query goes out and is not answered */
    int status = 1;
    assert_int_equal(inet_stat(harness_a(h), "resolver.queries"), -1);
    assert_int_equal(dns_resolve(harness_a(h), "example.com", on_resolved, &status), 0);
    harness_run(h, 10 * NSEC_PER_MSEC);
    assert_int_equal(inet_stat(harness_a(h), "resolver.queries"), 1);
    assert_int_equal(inet_stat(harness_a(h), "resolver.tx"), 1);
    assert_int_equal(inet_stat(harness_a(h), "resolver.tx"), dns_resolver_stat(harness_a(h), "tx"));
    dns_cancel(harness_a(h), on_resolved, &status);
    harness_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_modules_and_malformed_names),
        cmocka_unit_test(test_udp_counters_seen_once_attached),
        cmocka_unit_test(test_tcp_counters),
        cmocka_unit_test(test_dhcp_counters),
        cmocka_unit_test(test_resolver_counters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
