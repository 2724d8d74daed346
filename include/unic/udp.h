/*
 * UDP (RFC 768): bind/close, send and receive with callbacks.
 *
 * Receive: the callback gets the payload in place in the received buffer (no copy), valid for
 * the duration of the call. Send: udp_sendto() copies once into a fresh buffer; for zero-copy
 * sends, udp_alloc() gives a buffer with room for all headers, the caller writes the payload
 * (netbuf_put) and udp_send_buf() takes it.
 * Sockets receive both families on their port (one port space); sends go over IPv4 or IPv6 as
 * the destination is. Closed ports answer ICMP port unreachable (rate limited); an ICMP(v6)
 * error about a datagram a socket sent reaches it if it asked (udp_set_on_error). Checksums are
 * verified on input (a zero checksum is accepted over IPv4, RFC 768, and refused over IPv6, RFC
 * 8200 8.1) and always computed on output. Ephemeral ports are random
 * (RFC 6056, algorithm 1) in 49152..65535.
 */
#ifndef UNIC_UDP_H
#define UNIC_UDP_H

#include <stddef.h>
#include <stdint.h>

#include "unic/addr.h"
#include "unic/netbuf.h"

struct inet;
struct udp_sock;

struct udp_meta {
    struct unic_addr src, dst; /* dst may be a broadcast */
    uint16_t sport, dport;
};

typedef void (*udp_recv_fn)(struct udp_sock *sock, const struct udp_meta *meta, const uint8_t *data,
                            size_t len);

/* An ICMP or ICMPv6 error about a datagram (sock) sent to (peer):(peer_port) (RFC 1122
 * 4.1.3.3): (err) -ECONNREFUSED (port unreachable), -EHOSTUNREACH, -ENETUNREACH, -EPROTO, ...
 * Errors are unauthenticated: a client may give up on that peer, a server should not act on
 * them beyond counting. */
typedef void (*udp_error_fn)(struct udp_sock *sock, struct unic_addr peer, uint16_t peer_port,
                             int err);

/* Bind (port) (0: a random ephemeral port) on every local address. (on_recv) NULL makes a send-only
 * socket (what arrives is dropped and counted). NULL with (*err) = -EADDRINUSE / -ENOMEM. */
struct udp_sock *udp_bind(struct inet *inet, uint16_t port, udp_recv_fn on_recv, void *user,
                          int *err);
/* Unbind and free (sock) (NULL is ignored); the handle is invalid on return. May be called from
 * the socket's own receive callback. */
void udp_close(struct udp_sock *sock);

/* Copy (len) bytes into a datagram to (dst):(dport). 0 or -errno: -EMSGSIZE over 65507 bytes,
 * -EINVAL for an unspecified (dst) or port 0, -EADDRNOTAVAIL for an IPv6 (dst) while the stack
 * has no usable IPv6 address, -EHOSTUNREACH, -ENOBUFS. */
int udp_sendto(struct udp_sock *sock, struct unic_addr dst, uint16_t dport, const void *data,
               size_t len);

/* From a specific source address (e.g. 0.0.0.0 for DHCP before an address is set; an
 * unspecified (src) means the interface's address, or for IPv6 the one the stack selects).
 * It must be one of ours (RFC 1122 4.1.3.6): -EADDRNOTAVAIL for another host's; a broadcast
 * or multicast (src), as the meta->dst of a datagram sent to one, means our unicast address.
 * -EINVAL when (src) and (dst) are of different families. */
int udp_sendto_from(struct udp_sock *sock, struct unic_addr src, struct unic_addr dst,
                    uint16_t dport, const void *data, size_t len);

/* A buffer with headroom for UDP/IP/Ethernet and (size) bytes of tailroom; NULL if none is
 * free or (size) is over 65507 (both counted). */
struct netbuf *udp_alloc(struct udp_sock *sock, size_t size);

/* Send the payload at nb->data; takes ownership of (nb). Returns as udp_sendto(). */
int udp_send_buf(struct udp_sock *sock, struct unic_addr dst, uint16_t dport, struct netbuf *nb);
/* The same from (src), as udp_sendto_from: a server answers from the address it was asked at
 * (meta->dst), which matters with several IPv6 addresses (link-local, SLAAC, static). */
int udp_send_buf_from(struct udp_sock *sock, struct unic_addr src, struct unic_addr dst,
                      uint16_t dport, struct netbuf *nb);

/* The IPv4 TTL / IPv6 hop limit of (sock)'s datagrams (0: the stack's default, 64, or 1 for an
 * IPv4 group; RFC 1122 4.1.4, MUST), and their Differentiated Services codepoint (0..63, RFC
 * 2474: the IPv4 TOS / IPv6 traffic class is dscp << 2). */
void udp_set_ttl(struct udp_sock *sock, uint8_t ttl);
void udp_set_dscp(struct udp_sock *sock, uint8_t dscp);

/* Receive the ICMP(v6) errors about (sock)'s datagrams (NULL: stop; the default: counted by
 * UDP as rx_icmp_unclaimed). */
void udp_set_on_error(struct udp_sock *sock, udp_error_fn on_error);

/* The (user) given to udp_bind(), the port bound (the ephemeral one for 0) and the stack. */
void *udp_sock_user(const struct udp_sock *sock);
uint16_t udp_sock_port(const struct udp_sock *sock);
struct inet *udp_sock_inet(const struct udp_sock *sock);

/* Number of bound sockets (for tests and the no-leak checks). */
unsigned udp_sock_count(const struct inet *inet);

/* Value of UDP counter (name) (e.g. "rx_bad_checksum"), 0 before UDP is attached, -1 if the
 * name is unknown: for tests. */
int64_t udp_stat(const struct inet *inet, const char *name);

#endif
