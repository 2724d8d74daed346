/*
 * The data streams of one iperf3 test (examples/iperf3): TCP connections or UDP peers, each
 * a sender or a receiver. iperf3.c runs the control connection and owns the test; this file
 * moves and counts the data.
 */
#ifndef IPERF3_STREAM_H
#define IPERF3_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "iperf3_proto.h"
#include "unic.h"
#include "unic/tcp.h"
#include "unic/udp.h"

struct iperf3_stream {
    uint32_t id; /* iperf3's numbering: 1, 3, 4, 5, ... */
    bool sender;
    struct tcp_conn *conn; /* TCP; NULL once closed */
    struct unic_addr peer; /* UDP */
    uint16_t peer_port;
    uint64_t bytes;   /* sent (accepted by TCP / handed to UDP) or received while running */
    uint64_t omitted; /* of bytes (rx.bytes for UDP receivers), those of the -O seconds */
    uint64_t udp_seq; /* UDP sender: the last sequence number sent */
    struct iperf3_udp_rx rx;
};

enum iperf3_phase {
    IPERF3_IDLE,
    IPERF3_WAIT_PARAMS,
    IPERF3_CREATING, /* CREATE_STREAMS sent, streams connecting */
    IPERF3_RUNNING,
    IPERF3_WAIT_RESULTS, /* EXCHANGE_RESULTS sent */
    IPERF3_WAIT_DONE,    /* DISPLAY_RESULTS sent */
};

struct iperf3_test {
    enum iperf3_phase phase;
    struct tcp_conn *ctrl;
    char cookie[IPERF3_COOKIE_SIZE];
    struct iperf3_params params;
    struct iperf3_stream *streams; /* expected of them, allocated at CREATE_STREAMS */
    unsigned count, expected;
    struct udp_sock *udp;
    uint64_t start_ns, end_ns;
    uint64_t pace_start_ns;
    struct timer pace; /* UDP senders */
    struct timer omit; /* the end of the -O seconds */
};

/* A TCP connection whose cookie matched joins (t) as its next stream; false when no more are
 * expected (the caller turns it away). */
bool iperf3_stream_add_tcp(struct iperf3_test *t, struct tcp_conn *c);
/* A datagram on the iperf3 port: a UDP stream's handshake or its data. */
void iperf3_stream_udp_recv(struct udp_sock *s, const struct udp_meta *m, const uint8_t *d,
                            size_t len);
/* Every stream connected: senders start. */
void iperf3_streams_start(struct iperf3_test *t);
/* TEST_END (or the test failed): senders stop, TCP streams are closed (their data discarded). */
void iperf3_streams_stop(struct iperf3_test *t);
/* The results of this side for the client. */
void iperf3_stream_result(const struct iperf3_test *t, const struct iperf3_stream *s,
                          struct iperf3_stream_result *r);

/* iperf3.c: every expected stream is there. */
void iperf3_streams_ready(struct iperf3_test *t);
/* Counters both files update. */
extern uint64_t iperf3_udp_unknown, iperf3_udp_late;

#endif
