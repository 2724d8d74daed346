/*
 * The iperf3 protocol (ESnet iperf 3.x) apart from any network: constants, the client's test
 * parameters, the results both sides exchange, and the UDP packet header with the receiver's
 * loss, order and jitter accounting (RFC 1889 A.8, as iperf3 computes it).
 *
 * The control connection (TCP, port 5201): the client sends a 37-byte cookie; from then on the
 * server sends one signed byte per state change, and both sides send JSON as a 4-byte
 * big-endian length and that many bytes:
 *
 *   server: PARAM_EXCHANGE        client: parameters (JSON)
 *   server: CREATE_STREAMS        client: opens the data streams (TCP: connect, the cookie;
 *                                         UDP: a 4-byte datagram, answered with 4 bytes)
 *   server: TEST_START, TEST_RUNNING       data flows
 *   client: TEST_END
 *   server: EXCHANGE_RESULTS      client: its results (JSON); server: its results (JSON)
 *   server: DISPLAY_RESULTS       client: IPERF_DONE, closes
 *
 * Errors: SERVER_ERROR followed by two 4-byte big-endian numbers (iperf3's error number, then
 * an errno) makes the client print the error and stop; ACCESS_DENIED turns away a client while
 * another test runs.
 */
#ifndef IPERF3_PROTO_H
#define IPERF3_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPERF3_PORT 5201
#define IPERF3_COOKIE_SIZE 37
#define IPERF3_MAX_STREAMS 128        /* iperf3's own limit on -P */
#define IPERF3_MAX_TIME 86400         /* seconds, iperf3's own limit on -t */
#define IPERF3_MAX_TCP_LEN (1u << 20) /* iperf3's MAX_BLOCKSIZE */
#define IPERF3_MAX_UDP_LEN 65507
#define IPERF3_MIN_UDP_LEN 16 /* iperf3's MIN_UDP_BLOCKSIZE: the 64-bit header */
#define IPERF3_MAX_JSON 65536 /* the longest JSON message accepted */

enum iperf3_state {
    IPERF3_TEST_START = 1,
    IPERF3_TEST_RUNNING = 2,
    IPERF3_TEST_END = 4,
    IPERF3_PARAM_EXCHANGE = 9,
    IPERF3_CREATE_STREAMS = 10,
    IPERF3_SERVER_TERMINATE = 11,
    IPERF3_CLIENT_TERMINATE = 12,
    IPERF3_EXCHANGE_RESULTS = 13,
    IPERF3_DISPLAY_RESULTS = 14,
    IPERF3_IPERF_START = 15,
    IPERF3_IPERF_DONE = 16,
    IPERF3_ACCESS_DENIED = -1,
    IPERF3_SERVER_ERROR = -2,
};

/* iperf3's error numbers (iperf_api.h) the server sends after SERVER_ERROR. */
enum iperf3_error {
    IPERF3_IEDURATION = 5,
    IPERF3_IENUMSTREAMS = 6,
    IPERF3_IEBLOCKSIZE = 7,
    IPERF3_IEUDPBLOCKSIZE = 20,
    IPERF3_IEMESSAGE = 110,
    IPERF3_IERECVPARAMS = 114,
    IPERF3_IEPROTOCOL = 131, /* "protocol does not exist" (e.g. SCTP) */
};

/* The 4 bytes of the UDP stream handshake, as iperf3 writes them (a host-order integer on a
 * little-endian machine, which every peer it talks to has been). */
#define IPERF3_UDP_CONNECT_REPLY 0x39383736u
#define IPERF3_UDP_LEGACY_REPLY 987654321u

enum iperf3_mode { IPERF3_FORWARD, IPERF3_REVERSE, IPERF3_BIDIR };

struct iperf3_params {
    bool udp; /* else TCP */
    enum iperf3_mode mode;
    uint32_t time_s;    /* 0 with bytes or blocks given */
    uint64_t bytes;     /* -n */
    uint64_t blocks;    /* -k */
    uint32_t parallel;  /* -P, streams per direction */
    uint32_t len;       /* -l: bytes per write or datagram */
    uint64_t rate;      /* -b: bits/s per stream, 0 unlimited */
    uint32_t pacing_us; /* --pacing-timer */
    uint32_t omit_s;    /* -O */
    bool counters64;    /* --udp-counters-64bit */
    bool get_server_output;
    char client_version[24];
};

/* Parameters from the client's JSON. 0; -EINVAL (malformed JSON, or a field of the wrong
 * type); -EPROTONOSUPPORT (neither TCP nor UDP); -ERANGE (a value outside iperf3's limits;
 * (*ie) then holds the iperf3 error to send back). */
int iperf3_params_parse(const char *json, size_t len, struct iperf3_params *p, int *ie);

/* One stream as either side reports it at the end. */
struct iperf3_stream_result {
    uint32_t id;
    uint64_t bytes;
    uint64_t packets;   /* UDP: sent, or the highest sequence number received */
    uint64_t errors;    /* UDP receiver: packets lost */
    uint64_t jitter_ns; /* UDP receiver */
    uint64_t duration_us;
    bool sender;
};

/* The results JSON for (n) streams into (buf); its length, or 0 when (cap) is too small. */
size_t iperf3_results_format(char *buf, size_t cap, const struct iperf3_stream_result *s,
                             unsigned n, bool server_sends);

/* --get-server-output: add "server_output_text" (text, JSON-escaped) to results of (len) bytes
 * that iperf3_results_format() wrote into (buf). The new length, or 0 when (cap) is too small
 * (buf then holds the results unchanged). */
size_t iperf3_results_add_text(char *buf, size_t len, size_t cap, const char *text);

/* What the server keeps of the client's results. */
struct iperf3_peer_results {
    unsigned streams;
    uint64_t bytes; /* sum over the streams */
    uint64_t packets;
    uint64_t errors;
};

/* Check and sum the client's results JSON. 0 or -EINVAL (missing fields, wrong types). */
int iperf3_results_parse(const char *json, size_t len, struct iperf3_peer_results *r);

/* UDP: the header iperf3 puts first in every datagram (send time, then a sequence number from
 * 1, 32 or 64 bits) and what a receiver counts. */
#define IPERF3_UDP_HEADER(c64) ((c64) ? 16u : 12u)

struct iperf3_udp_rx {
    uint64_t bytes;
    uint64_t datagrams;
    uint64_t highest; /* highest sequence number seen: iperf3's "packets" */
    uint64_t lost;    /* gaps, less what arrived late */
    uint64_t out_of_order;
    int64_t prev_transit_ns;
    int64_t jitter16_ns; /* 16 x the jitter, so that the 1/16 steps keep their precision */
};

/* Account one datagram of (len) bytes that arrived at wall time (arrival_ns). Datagrams too
 * short for the header count bytes only. */
void iperf3_udp_account(struct iperf3_udp_rx *rx, const uint8_t *d, size_t len, bool c64,
                        uint64_t arrival_ns);

/* Write the header for sequence number (seq) sent at wall time (now_ns) into (d) (room for
 * IPERF3_UDP_HEADER(c64) bytes). */
void iperf3_udp_header(uint8_t *d, bool c64, uint64_t seq, uint64_t now_ns);

#endif
