/*
 * libFuzzer harness for DHCP.
 *  1. Wire: dhcp_parse on the whole input; what parses must survive emit -> parse unchanged
 *     (compared through a second emit: the struct has padding).
 *  2. Client state machine: stack B runs the DHCP client; the input is a sequence of server
 *     messages (1-byte clock step in seconds, 2-byte length, bytes) that stack A broadcasts to
 *     port 68, with the client's current xid and MAC patched in so that they reach the state
 *     machine. Afterwards: the client is alive (it holds an address, or it sent something in
 *     the last 65 s), and every buffer goes back to the pool.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "unic/dhcp.h"
#include "unic/udp.h"
#include "unic/wire/bytes.h"
#include "unic/wire/dhcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_wire(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1); /* exact size: ASan catches reads past the end */
    memcpy(copy, data, size);
    struct dhcp_msg m, back;
    if (dhcp_parse(copy, size, &m) == 0) {
        uint8_t out[DHCP_MAX_LEN], again[DHCP_MAX_LEN];
        int n = dhcp_emit(out, sizeof(out), &m);
        if (n < DHCP_BOOTP_MIN_LEN || n > DHCP_MAX_LEN || dhcp_parse(out, (size_t)n, &back) != 0)
            abort();
        if (dhcp_emit(again, sizeof(again), &back) != n || memcmp(out, again, (size_t)n) != 0)
            abort();
    }
    free(copy);
}

/* Stack A's view of the client: its last message. */
struct server_view {
    uint32_t xid;
    uint64_t last_at;
    unsigned count;
};

static struct harness h;

static void server_recv(struct udp_sock *sock, const struct udp_meta *meta, const uint8_t *d,
                        size_t len)
{
    (void)meta;
    struct server_view *v = udp_sock_user(sock);
    struct dhcp_msg m;
    if (dhcp_parse(d, len, &m) != 0 || m.op != DHCP_OP_REQUEST)
        abort(); /* the client only sends well-formed requests */
    v->xid = m.xid;
    v->last_at = h.timers.now;
    v->count++;
}

static void run_client(const uint8_t *data, size_t size)
{
    static const struct harness_opts opts = {.unconfigured_b = true, .pool_buffers = 128};
    harness_init(&h, &opts);
    struct server_view v = {0};
    struct udp_sock *srv = udp_bind(harness_a(&h), DHCP_SERVER_PORT, server_recv, &v, NULL);
    if (!srv || dhcp_start(harness_b(&h)) != 0)
        abort();
    harness_run(&h, NSEC_PER_SEC);
    size_t at = 0;
    uint8_t msg[DHCP_MAX_LEN];
    while (at + 3 <= size) {
        uint8_t step = data[at];
        size_t len = (size_t)(data[at + 1] << 8 | data[at + 2]) % (DHCP_MAX_LEN + 1);
        at += 3;
        if (len > size - at)
            len = size - at;
        memcpy(msg, data + at, len);
        at += len;
        if (len >= 8)
            wr32(msg + 4, v.xid);
        if (len >= 34)
            memcpy(msg + 28, harness_b(&h)->mac, 6);
        udp_sendto(srv, unic_addr_ip4(0xffffffffu), DHCP_CLIENT_PORT, msg, len);
        harness_run(&h, (uint64_t)step * NSEC_PER_SEC + NSEC_PER_MSEC);
    }
    /* Nobody answers any more: a client without an address must keep asking. */
    harness_run(&h, 600 * NSEC_PER_SEC);
    if (!harness_b(&h)->addr && h.timers.now - v.last_at > 65 * NSEC_PER_SEC)
        abort();
    if (harness_destroy(&h) != 0)
        abort(); /* a leaked buffer */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_wire(data, size);
    run_client(data, size);
    return 0;
}
