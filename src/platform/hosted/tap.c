/*
 * A TAP device as a NIC: /dev/net/tun with IFF_TAP | IFF_NO_PI, so each read() returns exactly
 * one Ethernet frame and each write() sends one. The descriptor is non-blocking: reads return
 * EAGAIN when nothing is pending, and plat_wait() sleeps in epoll on it (wait.c).
 *
 * Receive offloads (unless --no-offload, --replay or a fault option): IFF_VNET_HDR puts a
 * virtio-net header in front of every frame, and TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4 |
 * TUN_F_TSO6) lets Linux hand up its TCP super-packets of either family (up to 64 KB, as gVisor
 * and QEMU take them) and frames whose transport checksum was left partial. One read() then moves
 * up to 44 segments' worth. tap_recv checks the header against the frame (src/net/wire/vnet_hdr.c:
 * malformed -> dropped, counted, -EBADMSG). A frame with a partial checksum (built by the host, it
 * crossed no wire) or one the kernel marked valid is flagged PLAT_NET_RX_CSUM_OK, so the stack
 * does not sum a 64 KB super-packet again; the partial checksum is completed only for a --pcap
 * capture (so that it replays). Reads scatter: a frame goes into the caller's small buffer first
 * and only the rest of a longer one into its large buffer (platform.h), so small frames are never
 * copied. Sending (TSO, with the same offloads on): a TCP super-packet of up to 64 KB goes in one
 * write() with a GSO TCPV4 or TCPV6 header and its checksum partial, and Linux cuts it into
 * segments (or takes it whole when it delivers locally); every other frame gets a zero header.
 * Wire-sized frames are sent in batches through io_uring where the kernel has it (uring.c). The
 * offloads are set on every open, also to none, and turned off at close: they outlive the process
 * on a persistent TAP, and a reader without headers must not be handed super-packets or partial
 * checksums.
 *
 * An existing TAP (`ip tuntap add mode tap user U name IF`) can be opened by its owner without
 * privileges. A missing one is an error (a mistyped name would otherwise become a new TAP
 * connected to nothing) unless --tap-create asks for it: then it is created when the process has
 * CAP_NET_ADMIN, and lives only as long as the process. Every failure is turned into one line
 * that says what to do.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/if_tun.h>

#include "hosted.h"
#include "unic/wire/vnet_hdr.h"
#include "unic/wire/wire.h"

#define TAP_ETH_HLEN 14
#define TAP_VLAN_HLEN 4
#define TAP_SCRATCH 65536 /* larger than any frame a TAP hands out */
#define TAP_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)
#define TAP_GSO_OK (VNET_HDR_GSO_BIT(VNET_HDR_GSO_TCPV4) | VNET_HDR_GSO_BIT(VNET_HDR_GSO_TCPV6))

static bool tap_sysfs_exists(const char *ifname, const char *leaf)
{
    char path[128];
    struct stat st;
    snprintf(path, sizeof(path), "/sys/class/net/%s%s%s", ifname, leaf[0] ? "/" : "", leaf);
    return stat(path, &st) == 0;
}

/* Run an SIOC* ioctl on (ifr) through a throwaway socket: MTU and flags need no privilege. */
static int tap_ifreq_ioctl(unsigned long request, struct ifreq *ifr)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -errno;
    int r = ioctl(s, request, ifr) < 0 ? -errno : 0;
    close(s);
    return r;
}

static uint16_t tap_read_mtu(const char *ifname)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    if (tap_ifreq_ioctl(SIOCGIFMTU, &ifr) < 0 || ifr.ifr_mtu < 68 || ifr.ifr_mtu > 65535)
        return 1500;
    return (uint16_t)ifr.ifr_mtu;
}

/* A TAP we created starts down; bring it up so frames flow once it has an address. */
static void tap_set_up(const char *ifname)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    if (tap_ifreq_ioctl(SIOCGIFFLAGS, &ifr) < 0)
        return;
    ifr.ifr_flags |= IFF_UP;
    if (tap_ifreq_ioctl(SIOCSIFFLAGS, &ifr) < 0)
        hosted_warn("created TAP %s but could not bring it up", ifname);
}

static int tap_explain(const char *ifname, bool existed, int e, char *err, size_t errlen)
{
    if (e == EPERM && existed)
        return hosted_fail(err, errlen,
                           "no permission to open TAP %s: it belongs to another user "
                           "(ip tuntap add mode tap user $USER name %s)",
                           ifname, ifname);
    if (e == EPERM)
        return hosted_fail(err, errlen,
                           "TAP %s does not exist and creating it needs CAP_NET_ADMIN "
                           "(as root: ip tuntap add mode tap user $USER name %s)",
                           ifname, ifname);
    if (e == EBUSY)
        return hosted_fail(err, errlen, "TAP %s is already in use by another process", ifname);
    if (e == EINVAL && existed)
        return hosted_fail(
            err, errlen, "cannot attach to %s: not a plain TAP device (tun, multi_queue?)", ifname);
    return hosted_fail(err, errlen, "cannot open TAP %s: %s", ifname, strerror(e));
}

/* TUNSETIFF with (flags); -errno on failure. */
static int tap_attach(int fd, const char *ifname, short flags)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = flags;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    return ioctl(fd, TUNSETIFF, &ifr) < 0 ? -errno : 0;
}

/* Attach (fd) to (ifname), with headers and offloads when (offload). The header size is per
 * device (a persistent TAP keeps what its last user set), so it is always set. Offloads the
 * kernel refuses leave the headers on and the frames wire-sized. */
static int tap_attach_offloaded(struct hosted_nic *nic, int fd, const char *ifname, bool offload,
                                char *err, size_t errlen)
{
    int r = tap_attach(fd, ifname, (short)(IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0)));
    if (r < 0)
        return r;
    nic->vnet_hdr = offload;
    nic->offloaded = false;
    int hdr_size = VNET_HDR_LEN;
    if (offload && ioctl(fd, TUNSETVNETHDRSZ, &hdr_size) < 0) {
        hosted_fail(err, errlen,
                    "TAP %s: cannot set the virtio-net header size: %s "
                    "(try --no-offload)",
                    ifname, strerror(errno));
        return 1;
    }
    if (offload && ioctl(fd, TUNSETOFFLOAD, (unsigned long)TAP_OFFLOADS) == 0)
        nic->offloaded = true;
    else if (offload)
        hosted_warn("TAP %s: no receive offloads (%s): one frame per read", ifname,
                    strerror(errno));
    if (!nic->offloaded)
        (void)ioctl(fd, TUNSETOFFLOAD, 0ul); /* none, whatever an earlier user asked for */
    return 0;
}

int tap_open(struct hosted_nic *nic, const char *ifname, bool create, bool offload, char *err,
             size_t errlen)
{
    if (!ifname[0] || strlen(ifname) >= IFNAMSIZ || strchr(ifname, '/'))
        return hosted_fail(err, errlen, "bad TAP name '%s' (1 to %d characters, no '/')", ifname,
                           IFNAMSIZ - 1);
    bool existed = tap_sysfs_exists(ifname, "");
    if (!existed && !create)
        return hosted_fail(err, errlen,
                           "TAP %s does not exist (create it: ip tuntap add mode tap user $USER "
                           "name %s; or --tap-create for one that lives as long as the process)",
                           ifname, ifname);
    if (existed && !tap_sysfs_exists(ifname, "tun_flags"))
        return hosted_fail(err, errlen, "%s exists but is not a TAP device", ifname);
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 && (errno == EACCES || errno == EPERM))
        return hosted_fail(err, errlen,
                           "cannot open /dev/net/tun: %s (it is usually mode 0666; "
                           "here only root may open it)",
                           strerror(errno));
    if (fd < 0)
        return hosted_fail(err, errlen, "cannot open /dev/net/tun: %s", strerror(errno));
    int r = tap_attach_offloaded(nic, fd, ifname, offload, err, errlen);
    if (r != 0) {
        close(fd);
        return r < 0 ? tap_explain(ifname, existed, -r, err, errlen) : -1;
    }
    if (!existed)
        tap_set_up(ifname);
    nic->kind = HOSTED_NIC_TAP;
    nic->fd = fd;
    snprintf(nic->name, sizeof(nic->name), "%s", ifname);
    nic->info.mtu = tap_read_mtu(ifname);
    nic->info.features = 0;
    nic->info.rx_max_frame = nic->offloaded ? PLAT_NET_MAX_FRAME : 0;
    nic->info.tx_tso_max = nic->offloaded ? 65535 : 0; /* tun takes GSO from its writer */
    (void)uring_open(nic);                             /* without it, one writev per frame */
    return 0;
}

/* A device error that will not go away (EBADFD: the interface was deleted under us): the NIC
 * is dead and the process shuts down, rather than spinning on a descriptor that polls ready. */
int tap_hard_error(struct hosted_nic *nic, const char *op, int e)
{
    if (!nic->failed)
        hosted_warn("TAP %s: %s failed: %s; shutting down", nic->name, op, strerror(e));
    nic->failed = true;
    return -EIO;
}

/* write() gives EIO while the interface is administratively down: frames are dropped (the
 * core counts them) until someone brings it up. Said once per down period. */
int tap_link_down(struct hosted_nic *nic)
{
    if (!nic->link_down)
        hosted_warn("TAP %s is down: frames are dropped until it is up (ip link set %s up)",
                    nic->name, nic->name);
    nic->link_down = true;
    return -EIO;
}

/* The virtio-net header in front of a sent frame: all zero (nothing left to the kernel), or
 * for a TCP super-packet GSO TCPV4 or TCPV6 with its partial checksum, which Linux's tun requires
 * for GSO (it completes the checksum of each segment it cuts, or of the whole packet delivered
 * locally). -EINVAL for a super-packet the TAP was not set up for. */
static int tap_tx_header(const struct hosted_nic *nic, size_t len, const struct plat_net_tso *tso,
                         uint8_t raw[VNET_HDR_LEN])
{
    struct vnet_hdr h = {0};
    size_t max = (tso ? nic->info.tx_tso_max : nic->info.mtu) + TAP_ETH_HLEN + TAP_VLAN_HLEN;
    if (len < TAP_ETH_HLEN || len > max || (tso && !nic->vnet_hdr))
        return -EINVAL;
    if (tso && vnet_hdr_tcp_gso(&h, len, tso->ip6, tso->gso_size, tso->hdr_len, tso->csum_start,
                                tso->csum_offset) != WIRE_OK)
        return -EINVAL;
    vnet_hdr_emit(raw, VNET_HDR_LEN, &h);
    return 0;
}

int tap_send(struct hosted_nic *nic, const void *frame, size_t len, const struct plat_net_tso *tso)
{
    uint8_t raw[VNET_HDR_LEN];
    struct iovec iov[2] = {{raw, VNET_HDR_LEN}, {(void *)frame, len}};
    unsigned skip = nic->vnet_hdr ? 0 : 1;
    size_t total = len + (nic->vnet_hdr ? VNET_HDR_LEN : 0);
    int bad = tap_tx_header(nic, len, tso, raw);
    if (bad < 0)
        return bad;
    if (nic->failed)
        return -EIO;
    int queued = uring_send(nic, iov + skip, (int)(2 - skip), total);
    if (queued == 0 && tso) { /* a short super-packet fits a slot */
        nic->tap_stats.tx_tso_frames++;
        nic->tap_stats.tx_tso_bytes += len;
    }
    if (queued != -ENOTSUP)
        return queued;
    uring_flush(nic); /* what was queued goes first */
    for (;;) {
        ssize_t n = writev(nic->fd, iov + skip, (int)(2 - skip));
        if (n == (ssize_t)total && tso) {
            nic->tap_stats.tx_tso_frames++;
            nic->tap_stats.tx_tso_bytes += len;
        }
        if (n == (ssize_t)total) {
            nic->link_down = false;
            return 0;
        }
        if (n >= 0)
            return -EIO; /* a TAP write is all or nothing; a short one means a broken device */
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == ENOBUFS)
            return -EAGAIN;
        if (errno == EINVAL || errno == EMSGSIZE)
            return -EINVAL;
        if (errno == EIO)
            return tap_link_down(nic);
        return tap_hard_error(nic, "write", errno);
    }
}

/* A frame read with its virtio-net header: check the header, count the offloads, flag a
 * checksum the stack need not verify. 0, or -EBADMSG for a header that does not fit its frame
 * (counted). A partial checksum (the host built the frame, nothing crossed a wire) is completed
 * only when a capture is written, so that the capture replays; the stack skips it either way. */
static int tap_finish_offloaded(struct hosted_nic *nic, const uint8_t *raw, uint8_t *frame,
                                size_t len, uint32_t *flags)
{
    struct tap_stats *st = &nic->tap_stats;
    struct vnet_hdr h;
    if (vnet_hdr_parse(raw, VNET_HDR_LEN, &h) != WIRE_OK ||
        vnet_hdr_check(&h, len, TAP_GSO_OK) != WIRE_OK ||
        (capture_active() && vnet_hdr_complete_csum(frame, len, &h) != WIRE_OK)) {
        st->rx_bad_vnet_hdr++;
        return -EBADMSG;
    }
    if (h.flags & VNET_HDR_F_NEEDS_CSUM)
        st->rx_csum_partial++;
    if (h.flags & VNET_HDR_F_DATA_VALID)
        st->rx_csum_valid++;
    if (h.flags & (VNET_HDR_F_NEEDS_CSUM | VNET_HDR_F_DATA_VALID))
        *flags |= PLAT_NET_RX_CSUM_OK;
    if (h.gso_type != VNET_HDR_GSO_NONE) {
        st->rx_gso_frames++;
        st->rx_gso_bytes += len;
    }
    return 0;
}

/* The iovec of a scatter read: the header, (rx->buf), then the rest of (rx->large) after the
 * room of buf, then a scratch buffer that only catches what fits neither (dropped whole rather
 * than delivered truncated). Returns the number of entries. */
static int tap_rx_iov(const struct hosted_nic *nic, const struct plat_net_rx *rx,
                      uint8_t raw[VNET_HDR_LEN], struct iovec iov[4])
{
    static uint8_t scratch[TAP_SCRATCH];
    int n = 0;
    if (nic->vnet_hdr)
        iov[n++] = (struct iovec){raw, VNET_HDR_LEN};
    iov[n++] = (struct iovec){rx->buf, rx->cap};
    if (rx->large && rx->large_cap > rx->cap)
        iov[n++] = (struct iovec){(uint8_t *)rx->large + rx->cap, rx->large_cap - rx->cap};
    iov[n++] = (struct iovec){scratch, sizeof(scratch)};
    return n;
}

/* (n) bytes read, (hdr) of them the virtio-net header: deliver the frame (see tap_rx_iov). */
static int tap_rx_deliver(struct hosted_nic *nic, struct plat_net_rx *rx, const uint8_t *raw,
                          size_t n, size_t hdr)
{
    if (n < hdr) {
        nic->tap_stats.rx_short_vnet_hdr++;
        return -EBADMSG;
    }
    size_t len = n - hdr;
    size_t room = rx->large && rx->large_cap > rx->cap ? rx->large_cap : rx->cap;
    if (len > room)
        return -EMSGSIZE;
    uint8_t *frame = rx->buf;
    rx->in_large = len > rx->cap;
    if (rx->in_large) {
        memcpy(rx->large, rx->buf, rx->cap);
        frame = rx->large;
        nic->tap_stats.rx_scatter_large++;
    }
    rx->len = len;
    rx->flags = 0;
    return hdr ? tap_finish_offloaded(nic, raw, frame, len, &rx->flags) : 0;
}

int tap_recv(struct hosted_nic *nic, struct plat_net_rx *rx)
{
    uint8_t raw[VNET_HDR_LEN];
    struct iovec iov[4];
    int iovcnt = tap_rx_iov(nic, rx, raw, iov);
    if (nic->failed)
        return -EAGAIN;
    for (;;) {
        ssize_t n = readv(nic->fd, iov, iovcnt);
        if (n > 0)
            return tap_rx_deliver(nic, rx, raw, (size_t)n, nic->vnet_hdr ? VNET_HDR_LEN : 0);
        if (n == 0 || errno == EAGAIN) {
            uring_flush(nic); /* the end of a receive batch: its answers go out together */
            return -EAGAIN;
        }
        if (errno != EINTR)
            return tap_hard_error(nic, "read", errno);
    }
}

void tap_print_stats(const struct hosted_nic *nic)
{
    static const char *const names[] = {TAP_STATS(STATS_NAME)};
    stats_print("tap", names, &nic->tap_stats, STATS_COUNT(names), 0);
}

void tap_close(struct hosted_nic *nic)
{
    /* A persistent TAP keeps its offloads: a later reader without virtio-net headers (an older
     * build, another program) would get super-packets and partial checksums. */
    uring_close(nic);
    if (nic->fd >= 0 && nic->offloaded)
        (void)ioctl(nic->fd, TUNSETOFFLOAD, 0ul);
    if (nic->fd >= 0)
        close(nic->fd);
    nic->fd = -1;
}
