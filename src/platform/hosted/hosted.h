/*
 * The hosted platform's internal interface: a unic service as an ordinary Linux process.
 *
 * main.c    main(): parse the command line, open the NICs, start the wait machinery, unic_main()
 * nic.c     the NIC table and plat_net_*: dispatches to a TAP or a replay NIC, feeds --pcap
 * tap.c     a TAP device through /dev/net/tun (IFF_TAP | IFF_NO_PI, non-blocking), with
 *           receive offloads (IFF_VNET_HDR: 64 KB TCP super-packets, partial checksums)
 * uring.c   frames sent to a TAP in batches through io_uring (liburing)
 * replay.c  a NIC that feeds the frames of a pcap file into the stack, then asks for shutdown
 * capture.c the --pcap writer (libpcap pcap_dump), flushed before sleeping and at exit
 * wait.c    plat_wait() on libuv: uv_poll_t per TAP, uv_timer_t deadline, uv_signal_t (SIGINT,
 *           SIGTERM: shutdown; SIGUSR1: PLAT_WAIT_STATS)
 * sys.c     clocks, console, random, plat_exit, plat_heap
 * sandbox.c after init: drop root and capabilities, no_new_privs, a seccomp allowlist
 *           (docs/sandbox.md); entered by the first plat_wait(), before any frame is read
 *
 * Only this directory includes Linux, libuv, libpcap, liburing and libseccomp headers.
 */
#ifndef UNIC_HOSTED_H
#define UNIC_HOSTED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pcap/pcap.h>

#include "unic/config.h"
#include "unic/platform.h"
#include "unic/stats.h"

enum hosted_nic_kind { HOSTED_NIC_TAP, HOSTED_NIC_REPLAY };

/* TAP offload counters: super-packets received, frames whose checksum the stack need not verify
 * (partial: built by the host; valid: verified by the kernel), frames that went to the caller's
 * large buffer, malformed headers; TCP super-packets sent (TSO); frames sent through io_uring,
 * in how many submissions, and those whose write failed after the send returned (uring.c). */
/* clang-format does not settle on one layout for X-macro lists. */
/* clang-format off */
#define TAP_STATS(X)                                                                               \
    X(rx_gso_frames) X(rx_gso_bytes) X(rx_csum_partial) X(rx_csum_valid) X(rx_scatter_large)      \
    X(rx_bad_vnet_hdr) X(rx_short_vnet_hdr) X(tx_tso_frames) X(tx_tso_bytes)                     \
    X(tx_uring_frames) X(tx_uring_batches) X(tx_uring_errors)
/* clang-format on */
struct tap_stats {
    TAP_STATS(STATS_FIELD)
};

struct hosted_nic {
    enum hosted_nic_kind kind;
    int fd;            /* TAP: the /dev/net/tun file descriptor, else -1              */
    pcap_t *replay;    /* REPLAY: the capture being fed in                              */
    bool exhausted;    /* REPLAY: every frame of the capture was delivered              */
    uint64_t replayed; /* REPLAY: frames read from the capture so far                 */
    bool failed;       /* a hard device error: the NIC is dead, the process shuts down */
    bool link_down;    /* TAP: the last write found the interface down (warned once)    */
    bool vnet_hdr;     /* TAP: frames carry a virtio-net header                         */
    bool offloaded;    /* TAP: the kernel agreed to the receive offloads                */
    struct tap_stats tap_stats;
    struct uring_tx *uring; /* TAP: frames sent in batches (uring.c), or NULL            */
    char name[256];         /* interface or file name, for messages                         */
    struct plat_net_info info;
};

/* Fill (err) with a one-line message and return -1. */
int hosted_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Print "unic: hosted: <message>\n" on the console (device errors found at run time). */
void hosted_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* nic.c: open the NIC that (cfg) names (--tap or --replay) and the --pcap writer. Returns 0, or
 * -1 with a message in (err) and the exit status to use in (*status): 2 for bad options, 1 for a
 * device that cannot be opened. */
int nic_open_all(const struct unic_config *cfg, char *err, size_t errlen, int *status);
struct hosted_nic *nic_get(unsigned nic);
bool nic_any_failed(void);
void nic_print_stats(void);
void nic_flush_all(void); /* frames queued for sending go to the devices (before sleeping) */
void nic_close_all(void);

/* heap.c: on the way to sleep (until deadline_ns), give free heap memory back (at most once a
 * second); returns when to wake (earlier, once, when a trim was due too soon); the heap's
 * gauges for plat_print_stats (hosted.heap). */
uint64_t heap_trim_before_sleep(uint64_t deadline_ns);
void heap_print_stats(void);

/* tap.c */
/* Open TAP (ifname), which must exist unless (create) (--tap-create); with (offload), with
 * IFF_VNET_HDR and TCPv4 segmentation and checksum offloads (frames up to PLAT_NET_MAX_FRAME),
 * else one wire frame per read. */
int tap_open(struct hosted_nic *nic, const char *ifname, bool create, bool offload, char *err,
             size_t errlen);
/* Send one frame; (tso) NULL, or a TCP super-packet for Linux to segment (IFF_VNET_HDR). */
int tap_send(struct hosted_nic *nic, const void *frame, size_t len, const struct plat_net_tso *tso);
int tap_recv(struct hosted_nic *nic, struct plat_net_rx *rx);
void tap_close(struct hosted_nic *nic);
void tap_print_stats(const struct hosted_nic *nic);
/* A write that failed: the interface is down (said once; -EIO), or the device is dead (the
 * process shuts down; -EIO). */
int tap_link_down(struct hosted_nic *nic);
int tap_hard_error(struct hosted_nic *nic, const char *op, int e);

/* uring.c: wire-sized frames to a TAP in batches through io_uring. uring_open: 0 with
 * nic->uring set, or left NULL (io_uring unavailable or UNIC_HOSTED_URING=0: the caller writes
 * each frame itself). uring_send: 0 queued, -EAGAIN no slot, -ENOTSUP for the caller to write
 * (no ring, or a frame larger than a slot: flush first). uring_flush: submit what is queued. */
struct iovec;
int uring_open(struct hosted_nic *nic);
int uring_send(struct hosted_nic *nic, const struct iovec *iov, int iovcnt, size_t total);
void uring_flush(struct hosted_nic *nic);
void uring_close(struct hosted_nic *nic);

/* replay.c */
int replay_open(struct hosted_nic *nic, const char *path, char *err, size_t errlen);
int replay_recv(struct hosted_nic *nic, struct plat_net_rx *rx);
void replay_close(struct hosted_nic *nic);

/* capture.c: every frame in and out of any NIC, when --pcap was given. */
int capture_open(const char *path, char *err, size_t errlen);
void capture_frame(const void *frame, size_t len);
bool capture_active(void); /* a --pcap capture is being written */
void capture_flush(void);
void capture_close(void);

/* wait.c */
int wait_init(char *err, size_t errlen);
/* A send to TAP (nic) found it full: the next plat_wait() also returns once it has room. */
void wait_watch_writable(unsigned nic);

/* sandbox.c */
/* Check the sandbox's options and resolve --user, before any device is opened. 0, or -1 with
 * a message in (err) (exit status 2). */
int sandbox_prepare(const struct unic_config *cfg, const char *prog, char *err, size_t errlen);
/* Drop the privileges and load the filter (once; a failure exits with status 1). */
void sandbox_enter(void);

#endif
