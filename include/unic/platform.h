/*
 * The platform interface: the only functions src/core and src/net may call outside themselves
 * (besides the small libc subset: string.h, stdlib.h malloc/free, stdio.h vsnprintf).
 *
 * Modelled on Solo5's solo5.h: small, synchronous, no callbacks. Two implementations exist:
 * src/platform/hosted (a Linux process on a TAP device) and src/platform/kvm (a bare x86-64 VM
 * with virtio-net). Unit tests link a third, deterministic one (tests/unit/fake_platform.c).
 *
 * Error contract: functions returning int return 0 (or a non-negative count) on success and a
 * negative errno value (-EAGAIN, -EINVAL, -EIO, ...) on failure. No function here calls back
 * into core or net.
 */
#ifndef UNIC_PLATFORM_H
#define UNIC_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PLAT_MAX_NICS 4

/* Offload features a NIC may report in plat_net_info.features. */
#define PLAT_NET_F_CSUM_TX (1u << 0) /* may send frames with partial L4 checksums */
#define PLAT_NET_F_CSUM_RX (1u << 1) /* delivers frames with verified L4 checksums */

/* Longest frame a NIC may deliver: Ethernet (14) + VLAN tag (4) + a 65535-byte IPv4 packet. */
#define PLAT_NET_MAX_FRAME (18 + 65535)

struct plat_net_info {
    uint8_t mac[6];        /* the device's MAC address (hosted: random or --mac)    */
    uint16_t mtu;          /* largest IP packet the link carries, usually 1500       */
    uint32_t features;     /* PLAT_NET_F_* bits                                      */
    uint32_t rx_max_frame; /* longest frame plat_net_recv may deliver, at most
                            * PLAT_NET_MAX_FRAME; 0 means mtu + 18. A NIC with receive
                            * offloads (hosted TAP: TCP super-packets of up to 64 KB)
                            * delivers frames far longer than its MTU. */
    uint32_t tx_tso_max;   /* TCP segmentation offload: the longest IP packet (IPv4 total
                            * length, or IPv6 40-byte header plus payload; at most
                            * 65535) of a TCP super-packet that
                            * plat_net_send takes with a struct plat_net_tso and cuts into
                            * segments itself; 0 = none (every frame fits the MTU). */
};

/* How the NIC cuts one TCP/IPv4 or TCP/IPv6 super-packet (an Ethernet header, an IPv4 header or
 * a 40-byte IPv6 header without extension headers, a TCP header and the payload, at most
 * tx_tso_max bytes from the IP header on) into segments, as Linux's GSO does: (gso_size) payload
 * bytes each, the last one shorter; every segment gets a copy of the headers with the IPv4 total
 * length, ID (one more per segment) and header checksum, or the IPv6 payload length, and the TCP
 * sequence number adjusted; FIN and PSH only on the last. The TCP checksum is partial: the field at
 * (csum_start + csum_offset) holds only the folded pseudo-header sum (addresses, protocol, the
 * super-packet's TCP length), and the NIC completes it per segment over the bytes from csum_start
 * on (virtio-net NEEDS_CSUM). */
struct plat_net_tso {
    uint16_t gso_size;    /* payload bytes per segment (the connection's MSS)       */
    uint16_t hdr_len;     /* Ethernet + IPv4 + TCP header bytes at the frame's start */
    uint16_t csum_start;  /* offset of the TCP header in the frame                   */
    uint16_t csum_offset; /* offset of the TCP checksum from csum_start (16)         */
    bool ip6;             /* TCP/IPv6 (virtio-net GSO TCPV6), else TCP/IPv4          */
};

/* Nanoseconds since boot (an arbitrary fixed origin). Never goes back. */
uint64_t plat_clock_monotonic(void);

/* Nanoseconds since the Unix epoch, best effort (kvm: from the CMOS RTC at boot). */
uint64_t plat_clock_wall(void);

/* Write (n) bytes of (s) to the console (hosted: stderr; kvm: COM1). Never fails visibly. */
void plat_console_write(const char *s, size_t n);

/* Print the platform's own device counters on the console, one "stats NAME: key=value ..."
 * line per group (hosted: the TAP's offloads; kvm: each virtio-net device). The core calls it
 * when the counters are asked for while running (PLAT_WAIT_STATS, --stats-interval); at exit
 * the platform prints them itself. */
void plat_print_stats(void);

/* Fill (buf) with (n) unpredictable bytes (hosted: getrandom(); kvm: RDSEED/RDRAND and the
 * virtio-rng device, XORed; an image with none of them stops at boot unless
 * --allow-weak-random). */
void plat_random(void *buf, size_t n);

/* The command line the image was started with: argv joined by spaces (hosted) or the kernel
 * command line (kvm). Never NULL. */
const char *plat_cmdline(void);

/* End the process / virtual machine with (status). kvm: through isa-debug-exit when present,
 * else hlt forever with interrupts off. */
_Noreturn void plat_exit(int status);

/* Block until a NIC has frames to read, a NIC that refused a frame (plat_net_send -EAGAIN) can
 * take frames again, a shutdown was requested, or the monotonic clock reaches (deadline_ns);
 * UINT64_MAX means no deadline. Returns a bit set: bit i set means NIC i may have frames to read
 * or room to send (spurious bits are allowed, missed ones are not). PLAT_WAIT_SHUTDOWN is set
 * once a shutdown was requested (SIGINT/SIGTERM on hosted). PLAT_WAIT_STATS is set once per
 * request to print the counters (SIGUSR1 on hosted); a request also ends the wait. Never
 * busy-waits. A deadline that has already passed makes it a poll: it does not block, but still
 * looks at the devices, the signals and the shutdown request (the core polls so under a flood
 * that never runs dry). */
#define PLAT_WAIT_SHUTDOWN (1ull << 63)
#define PLAT_WAIT_STATS (1ull << 62)
uint64_t plat_wait(uint64_t deadline_ns);

/* Number of NICs, 0..PLAT_MAX_NICS. NICs are numbered 0..count-1. */
unsigned plat_net_count(void);

/* Describe NIC (nic) into (out). -ENODEV for a bad index. */
int plat_net_info(unsigned nic, struct plat_net_info *out);

/* Queue one Ethernet frame (no FCS) of (len) bytes for sending. The platform copies it or
 * is done with it on return. It may hold queued frames back until the next plat_wait() or a
 * plat_net_recv() that finds nothing (kvm: one kick per batch), never longer. (tso) is NULL for a
 * frame that goes on the wire as it is, or describes a TCP super-packet (struct plat_net_tso) for a
 * NIC that stated tx_tso_max. Returns 0, -EAGAIN when the device queue is full, -EINVAL when len is
 * out of range (or a super-packet goes to a NIC without TSO), or -EIO. After -EAGAIN the caller
 * keeps the frame (and those after it) and tries again once plat_wait() reports the NIC: the
 * platform must make plat_wait() return, with the NIC's bit, as soon as the device can take frames
 * again (kvm: the virtio transmit interrupt is enabled until a completion is reclaimed; hosted: the
 * TAP is polled for writability). */
int plat_net_send(unsigned nic, const void *frame, size_t len, const struct plat_net_tso *tso);

/* Set in plat_net_rx.flags by plat_net_recv. */
#define PLAT_NET_RX_CSUM_OK                                                                        \
    (1u << 0) /* the transport (TCP/UDP) checksum needs no check: the                              \
               * device verified it, or the host built the frame itself                            \
               * and it never crossed a wire (a partial checksum) */

/* Where plat_net_recv puts a frame: in (buf), (cap) bytes, when it fits; a longer one, when
 * (large) is given (large_cap > cap), whole in (large): the platform reads its first (cap) bytes
 * into (buf) and the rest into (large + cap), then moves the head over, so a small frame is
 * never copied and a large one only by its head. */
struct plat_net_rx {
    void *buf;
    size_t cap;
    void *large; /* NULL: frames longer than cap are dropped (-EMSGSIZE) */
    size_t large_cap;
    size_t len;     /* out: the frame's length                             */
    bool in_large;  /* out: the frame is in (large), not in (buf)          */
    uint32_t flags; /* out: PLAT_NET_RX_* bits                             */
};

/* Receive one frame (struct plat_net_rx: where it goes, and what the platform says about it).
 * Returns 0, -EAGAIN when none is pending, or -EIO. A frame longer than the room offered is
 * dropped and reported as -EMSGSIZE; one the device delivered malformed (a bad offload header)
 * is dropped, counted by the platform, and reported as -EBADMSG. Frames may be as long as
 * rx_max_frame (plat_net_info): the caller offers that much room to get them. A frame that
 * arrived with a partial transport checksum (offload) is flagged PLAT_NET_RX_CSUM_OK; its
 * checksum field may then be left partial (hosted completes it only for a --pcap capture). */
int plat_net_recv(unsigned nic, struct plat_net_rx *rx);

/* For platforms that copy each frame out of a device buffer: (len) bytes of (frame) into (rx)
 * as plat_net_recv delivers them (flags 0). 0, or -EMSGSIZE when the room offered is short. */
static inline int plat_net_rx_copy(struct plat_net_rx *rx, const void *frame, size_t len)
{
    bool large = len > rx->cap;
    if (large && (!rx->large || len > rx->large_cap))
        return -90; /* -EMSGSIZE: <errno.h> is the platform's */
    __builtin_memcpy(large ? rx->large : rx->buf, frame, len);
    rx->len = len;
    rx->in_large = large;
    rx->flags = 0;
    return 0;
}

/* The memory region the OS may use as its heap: kvm returns the free RAM after the image;
 * hosted returns NULL (core then uses malloc). (*len) receives the size in bytes (hosted: the
 * physical memory, or RLIMIT_AS when lower: what malloc may take at most). */
void *plat_heap(size_t *len);

#endif
