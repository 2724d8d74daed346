/*
 * virtio-rng (virtio 1.x section 5.4): the host's entropy, for plat_random when the CPU has
 * no RDRAND/RDSEED (QEMU's default CPU, some hypervisors). QEMU: -device virtio-rng-device
 * (microvm) or virtio-rng-pci (q35); Firecracker has one too ("entropy device").
 *
 * One queue, one request of 64 bytes always outstanding, no interrupts: the answer is taken
 * from the used ring when bytes are wanted, and the next request goes out at once. With
 * RDRAND/RDSEED, plat_random XORs in what the device has already delivered, without waiting
 * for it (under TCG on a busy host an answer can take tens of milliseconds); without them it
 * waits (bounded) for the device.
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
    uint8_t buf[RNG_CHUNK];    /* the device writes here; then it is the pool */
    size_t pool_off, pool_len; /* bytes of buf not handed out yet: [pool_off, pool_len) */
    bool pending;              /* buf is with the device */
    uint64_t bytes, timeouts;
} rng;

static void rng_post(void);

static int rng_init(struct vtransport *t)
{
    virtio_begin(t);
    t->ops->set_features(t, t->ops->get_features(t) & (t->modern ? VIRTIO_F_VERSION_1 : 0));
    uint8_t status;
    int r = virtio_features_ok(t, &status);
    if (r < 0)
        return r;
    uint16_t size = virtio_queue_size(t, 0, RNG_QUEUE_SIZE);
    if (!size)
        return -EIO;
    r = virtq_alloc(&rng.q, size);
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
    rng_post(); /* the first bytes arrive while the boot goes on */
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

/* Offer the buffer to the device for the next RNG_CHUNK bytes (one request at a time). */
static void rng_post(void)
{
    rng.q.desc[0] = (struct virtq_desc){
        .addr = (uintptr_t)rng.buf, .len = RNG_CHUNK, .flags = VIRTQ_DESC_F_WRITE};
    virtq_push(&rng.q, 0);
    virtq_publish(&rng.q);
    (void)virtq_kick_prepare(&rng.q);
    rng.t->ops->notify(rng.t, 0);
    rng.pending = true;
}

/* Take the answer to the outstanding request if it is there (or, with (wait), once it comes,
 * for a bounded time): its bytes become the pool. */
static void rng_harvest(bool wait)
{
    uint64_t end = wait ? plat_clock_monotonic() + RNG_WAIT_NS : 0;
    uint16_t id;
    uint32_t len;
    while (!virtq_pop(&rng.q, &id, &len)) {
        if (!wait || plat_clock_monotonic() > end) {
            rng.timeouts += wait;
            return;
        }
        cpu_pause();
    }
    rng.pending = false;
    rng.pool_len = len > RNG_CHUNK ? RNG_CHUNK : len;
    rng.pool_off = 0;
}

size_t virtio_rng_take(void *buf, size_t n, bool wait)
{
    uint8_t *out = buf;
    size_t got = 0;
    for (int turns = 0; rng.t && got < n && turns < 64; turns++) {
        if (rng.pending)
            rng_harvest(wait && !rng.timeouts);
        size_t k = rng.pool_len - rng.pool_off;
        k = k < n - got ? k : n - got;
        memcpy(out + got, rng.buf + rng.pool_off, k);
        memset(rng.buf + rng.pool_off, 0, k); /* each byte is handed out once */
        rng.pool_off += k;
        got += k;
        if (rng.pool_off == rng.pool_len && !rng.pending)
            rng_post(); /* the next bytes are on their way before they are needed */
        if (rng.pending && (!wait || rng.timeouts))
            break;
    }
    rng.bytes += got;
    return got;
}
