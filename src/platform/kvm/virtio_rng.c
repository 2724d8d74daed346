/*
 * virtio-rng (virtio 1.x section 5.4): the host's entropy, for plat_random when the CPU has
 * no RDRAND/RDSEED (QEMU's default CPU, some hypervisors). QEMU: -device virtio-rng-device
 * (microvm) or virtio-rng-pci (q35); Firecracker has one too ("entropy device").
 *
 * One queue, used synchronously and without interrupts: plat_random offers a buffer, kicks the
 * device and polls the used ring for a bounded time. It is asked rarely (the core's ChaCha20
 * generator reseeds from plat_random now and then), so the wait costs nothing that matters.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "cpu.h"
#include "kvm.h"
#include "unic/platform.h"
#include "virtio.h"

#define RNG_QUEUE_SIZE 8u
#define RNG_CHUNK 64u            /* bytes asked for at once */
#define RNG_WAIT_NS 200000000ull /* per request: QEMU's backend (/dev/urandom) is quick */

static struct {
    struct vtransport *t;
    struct virtq q;
    uint8_t buf[RNG_CHUNK];
    uint64_t bytes, timeouts;
} rng;

static int rng_init(struct vtransport *t)
{
    t->ops->set_status(t, 0);
    t->ops->set_status(t, VIRTIO_STATUS_ACK);
    t->ops->set_status(t, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
    t->ops->set_features(t, t->ops->get_features(t) & (t->modern ? VIRTIO_F_VERSION_1 : 0));
    uint8_t status = VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER;
    if (t->modern) {
        status |= VIRTIO_STATUS_FEATURES_OK;
        t->ops->set_status(t, status);
        if (!(t->ops->get_status(t) & VIRTIO_STATUS_FEATURES_OK))
            return -EIO;
    }
    uint16_t max = t->ops->queue_max(t, 0);
    uint16_t size = t->queue_size_fixed || max <= RNG_QUEUE_SIZE ? max : RNG_QUEUE_SIZE;
    if (!size || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
        return -EIO;
    int r = virtq_alloc(&rng.q, size);
    if (r < 0)
        return r;
    virtq_irq(&rng.q, false); /* polled */
    if ((r = t->ops->queue_setup(t, 0, &rng.q, 0)) < 0)
        return r;
    t->ops->set_status(t, status | VIRTIO_STATUS_DRIVER_OK);
    return 0;
}

static void rng_found(struct vtransport *t)
{
    if (rng.t)
        return; /* one is enough */
    int r = rng_init(t);
    if (r < 0) {
        t->ops->set_status(t, VIRTIO_STATUS_FAILED);
        kprintf("kvm: virtio-rng (%s) setup failed: %d\n", t->name, r);
        return;
    }
    rng.t = t;
    kprintf("kvm: virtio-rng %s\n", t->name);
}

void virtio_rng_probe(const char *cmdline)
{
    virtio_mmio_probe(cmdline, VIRTIO_ID_RNG, rng_found);
    if (!rng.t)
        virtio_pci_probe(VIRTIO_ID_RNG, rng_found);
}

bool virtio_rng_present(void)
{
    return rng.t != NULL;
}

/* One request of up to RNG_CHUNK bytes: how many the device wrote, or -EIO (no answer). */
static int rng_request(size_t want)
{
    rng.q.desc[0] = (struct virtq_desc){
        .addr = (uintptr_t)rng.buf, .len = (uint32_t)want, .flags = VIRTQ_DESC_F_WRITE};
    virtq_push(&rng.q, 0);
    virtq_publish(&rng.q);
    (void)virtq_kick_prepare(&rng.q);
    rng.t->ops->notify(rng.t, 0);
    uint64_t end = plat_clock_monotonic() + RNG_WAIT_NS;
    uint16_t id;
    uint32_t len;
    while (!virtq_pop(&rng.q, &id, &len)) {
        if (plat_clock_monotonic() > end) {
            rng.timeouts++;
            return -EIO; /* the descriptor stays with the device: no more requests */
        }
        cpu_pause();
    }
    return len > want ? (int)want : (int)len;
}

int virtio_rng_read(void *buf, size_t n)
{
    uint8_t *out = buf;
    size_t got = 0;
    for (int tries = 0; rng.t && !rng.timeouts && got < n && tries < 64; tries++) {
        size_t want = n - got < RNG_CHUNK ? n - got : RNG_CHUNK;
        int r = rng_request(want);
        if (r < 0)
            break;
        memcpy(out + got, rng.buf, (size_t)r);
        got += (size_t)r;
    }
    memset(rng.buf, 0, sizeof(rng.buf));
    rng.bytes += got;
    return got == n ? 0 : -EIO;
}
