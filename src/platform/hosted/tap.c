/*
 * A TAP device as a NIC: /dev/net/tun with IFF_TAP | IFF_NO_PI, so each read() returns exactly
 * one Ethernet frame and each write() sends one. The descriptor is non-blocking: reads return
 * EAGAIN when nothing is pending, and plat_wait() sleeps in epoll on it (wait.c).
 *
 * An existing TAP (`ip tuntap add mode tap user U name IF`) can be opened by its owner without
 * privileges; a missing one is created when the process has CAP_NET_ADMIN (then it lives only
 * as long as the process). Every failure is turned into one line that says what to do.
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

#define TAP_ETH_HLEN 14
#define TAP_VLAN_HLEN 4
#define TAP_SCRATCH 65536 /* larger than any frame a TAP hands out */

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

int tap_open(struct hosted_nic *nic, const char *ifname, char *err, size_t errlen)
{
    if (!ifname[0] || strlen(ifname) >= IFNAMSIZ || strchr(ifname, '/'))
        return hosted_fail(err, errlen, "bad TAP name '%s' (1 to %d characters, no '/')", ifname,
                           IFNAMSIZ - 1);
    bool existed = tap_sysfs_exists(ifname, "");
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
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int e = errno;
        close(fd);
        return tap_explain(ifname, existed, e, err, errlen);
    }
    if (!existed)
        tap_set_up(ifname);
    nic->kind = HOSTED_NIC_TAP;
    nic->fd = fd;
    snprintf(nic->name, sizeof(nic->name), "%s", ifname);
    nic->info.mtu = tap_read_mtu(ifname);
    nic->info.features = 0;
    return 0;
}

/* A device error that will not go away (EBADFD: the interface was deleted under us): the NIC
 * is dead and the process shuts down, rather than spinning on a descriptor that polls ready. */
static int tap_hard_error(struct hosted_nic *nic, const char *op, int e)
{
    if (!nic->failed)
        hosted_warn("TAP %s: %s failed: %s; shutting down", nic->name, op, strerror(e));
    nic->failed = true;
    return -EIO;
}

/* write() gives EIO while the interface is administratively down: frames are dropped (the
 * core counts them) until someone brings it up. Said once per down period. */
static int tap_link_down(struct hosted_nic *nic)
{
    if (!nic->link_down)
        hosted_warn("TAP %s is down: frames are dropped until it is up (ip link set %s up)",
                    nic->name, nic->name);
    nic->link_down = true;
    return -EIO;
}

int tap_send(struct hosted_nic *nic, const void *frame, size_t len)
{
    if (len < TAP_ETH_HLEN || len > (size_t)nic->info.mtu + TAP_ETH_HLEN + TAP_VLAN_HLEN)
        return -EINVAL;
    if (nic->failed)
        return -EIO;
    for (;;) {
        ssize_t n = write(nic->fd, frame, len);
        if (n == (ssize_t)len) {
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

int tap_recv(struct hosted_nic *nic, void *buf, size_t cap, size_t *len)
{
    /* Frames longer than (cap) land in the scratch buffer, so they are recognised and
     * dropped whole instead of being delivered truncated. */
    static uint8_t scratch[TAP_SCRATCH];
    struct iovec iov[2] = {{buf, cap}, {scratch, sizeof(scratch)}};
    if (nic->failed)
        return -EAGAIN;
    for (;;) {
        ssize_t n = readv(nic->fd, iov, 2);
        if (n > (ssize_t)cap)
            return -EMSGSIZE;
        if (n > 0) {
            *len = (size_t)n;
            return 0;
        }
        if (n == 0 || errno == EAGAIN)
            return -EAGAIN;
        if (errno != EINTR)
            return tap_hard_error(nic, "read", errno);
    }
}

void tap_close(struct hosted_nic *nic)
{
    if (nic->fd >= 0)
        close(nic->fd);
    nic->fd = -1;
}
