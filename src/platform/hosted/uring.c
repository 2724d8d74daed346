/*
 * Frames to a TAP in batches through io_uring (liburing): the fewer system calls of the fast path.
 *
 * A TAP takes one frame per write(), and on this kind of host a system call costs more than the
 * work of a small frame (a write() of a 60-byte frame: about 8 us; the same frames 32 to an
 * io_uring_enter: about 2.5 us each). So tap_send copies a frame that fits a slot (header and
 * frame up to URING_SLOT bytes: every wire-sized frame) into one of URING_SLOTS slots and queues a
 * write for it; the queue goes to the kernel in one io_uring_enter when the platform is about to
 * sleep or poll (plat_wait), when a read finds the TAP empty (the end of a receive batch), when
 * the slots run out, and before a frame that goes the direct way (a TCP super-packet: one write
 * moves 64 KB, and copying it would cost more than the call). The order on the wire stays the
 * order of plat_net_send. tun completes a write inside the submitting call, so completions are
 * reaped right after it; a slot is free again once its completion is seen.
 *
 * A write that fails after tap_send returned 0 is a frame lost on the way, as on a wire: counted
 * (tx_uring_errors), a TAP that is down is said once, and a dead device shuts the process down
 * as in the direct path. Without io_uring (the kernel has it disabled, a seccomp policy, or
 * UNIC_HOSTED_URING=0 in the environment) every frame is one writev, as before.
 * The ring is restricted to writes to the TAP (uring_setup_restricted).
 * System calls: io_uring_setup and io_uring_register (at open, with mmap), io_uring_enter.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <liburing.h>

#include "hosted.h"

#define URING_SLOTS 64
/* A slot holds a 10-byte header and a wire frame at MTU 1500; larger frames go direct. */
#define URING_SLOT 2048

struct uring_tx {
    struct io_uring ring;
    unsigned free[URING_SLOTS]; /* stack of free slot numbers */
    unsigned nfree;
    unsigned queued;   /* writes prepared but not yet submitted */
    unsigned inflight; /* submitted writes whose completion was not seen yet */
    uint32_t len[URING_SLOTS];
    uint8_t slot[URING_SLOTS][URING_SLOT];
};

/* UNIC_HOSTED_URING=0 asks for the direct path (to compare, or where io_uring misbehaves). */
static bool uring_wanted(void)
{
    const char *v = getenv("UNIC_HOSTED_URING");
    return !v || strcmp(v, "0") != 0;
}

/* io_uring_register itself: liburing 2.3 (Debian 12) declares io_uring_register_restrictions
 * and io_uring_enable_rings but does not export them. */
static int uring_register(struct io_uring *ring, unsigned op, const void *arg, unsigned n)
{
    return syscall(__NR_io_uring_register, ring->ring_fd, op, arg, n) < 0 ? -errno : 0;
}

/* The ring can do nothing but write to the TAP: created disabled, the TAP registered as its one
 * file, then restricted to IORING_OP_WRITE on registered files, with no later registration, and
 * only then enabled. A process that drops privileges and filters system calls after start-up
 * thus keeps a ring that cannot open, read or send anything else. */
static int uring_setup_restricted(struct io_uring *ring, int fd)
{
    struct io_uring_restriction res[] = {
        {.opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_WRITE},
        {.opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED, .sqe_flags = IOSQE_FIXED_FILE},
        {.opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED, .sqe_flags = IOSQE_FIXED_FILE},
    };
    int r = io_uring_queue_init(URING_SLOTS, ring, IORING_SETUP_R_DISABLED);
    if (r < 0)
        return r;
    if ((r = io_uring_register_files(ring, &fd, 1)) < 0 ||
        (r = uring_register(ring, IORING_REGISTER_RESTRICTIONS, res,
                            sizeof(res) / sizeof(res[0]))) < 0 ||
        (r = uring_register(ring, IORING_REGISTER_ENABLE_RINGS, NULL, 0)) < 0) {
        io_uring_queue_exit(ring);
        return r;
    }
    return 0;
}

int uring_open(struct hosted_nic *nic)
{
    nic->uring = NULL;
    if (!uring_wanted())
        return 0;
    struct uring_tx *u = calloc(1, sizeof(*u));
    if (!u)
        return -ENOMEM;
    int r = uring_setup_restricted(&u->ring, nic->fd);
    if (r < 0) {
        hosted_warn("TAP %s: no io_uring (%s): one system call per frame sent", nic->name,
                    strerror(-r));
        free(u);
        return r;
    }
    for (unsigned i = 0; i < URING_SLOTS; i++)
        u->free[i] = URING_SLOTS - 1 - i;
    u->nfree = URING_SLOTS;
    nic->uring = u;
    return 0;
}

/* The result (res) of the write of (slot): give the slot back, count a failure. */
static void uring_completed(struct hosted_nic *nic, unsigned slot, int res)
{
    struct uring_tx *u = nic->uring;
    u->free[u->nfree++] = slot;
    u->inflight--;
    if (res == (int)u->len[slot]) {
        nic->link_down = false;
        return;
    }
    nic->tap_stats.tx_uring_errors++;
    if (res == -EIO)
        tap_link_down(nic);
    else if (res < 0 && res != -EAGAIN && res != -ENOBUFS && res != -EINVAL && res != -EINTR)
        tap_hard_error(nic, "write", -res);
}

static void uring_reap(struct hosted_nic *nic)
{
    struct uring_tx *u = nic->uring;
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&u->ring, head, cqe)
    {
        uring_completed(nic, (unsigned)cqe->user_data, cqe->res);
        seen++;
    }
    io_uring_cq_advance(&u->ring, seen);
}

/* Submit what is queued; (wait) completions at least (a full ring: slots are needed). */
static void uring_submit(struct hosted_nic *nic, unsigned wait)
{
    struct uring_tx *u = nic->uring;
    if (u->queued) {
        nic->tap_stats.tx_uring_batches++;
        nic->tap_stats.tx_uring_frames += u->queued;
    }
    for (;;) {
        int r = wait ? io_uring_submit_and_wait(&u->ring, wait) : io_uring_submit(&u->ring);
        if (r != -EINTR)
            break;
    }
    u->inflight += u->queued;
    u->queued = 0;
    uring_reap(nic);
}

void uring_flush(struct hosted_nic *nic)
{
    struct uring_tx *u = nic->uring;
    if (u && (u->queued || u->inflight))
        uring_submit(nic, 0);
}

int uring_send(struct hosted_nic *nic, const struct iovec *iov, int iovcnt, size_t total)
{
    struct uring_tx *u = nic->uring;
    if (!u || total > URING_SLOT)
        return -ENOTSUP;
    if (!u->nfree)
        uring_submit(nic, u->inflight || u->queued ? 1 : 0);
    if (!u->nfree)
        return -EAGAIN; /* every slot still in the kernel: the core retries later */
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
    if (!sqe)
        return -EAGAIN; /* cannot happen: one entry per slot */
    unsigned slot = u->free[--u->nfree];
    uint8_t *p = u->slot[slot];
    for (int i = 0; i < iovcnt; i++) {
        memcpy(p, iov[i].iov_base, iov[i].iov_len);
        p += iov[i].iov_len;
    }
    u->len[slot] = (uint32_t)total;
    io_uring_prep_write(sqe, 0, u->slot[slot], (unsigned)total, 0); /* registered file 0 */
    io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
    io_uring_sqe_set_data64(sqe, slot);
    u->queued++;
    return 0;
}

void uring_close(struct hosted_nic *nic)
{
    struct uring_tx *u = nic->uring;
    if (!u)
        return;
    uring_submit(nic, 0);
    if (u->inflight)
        uring_submit(nic, u->inflight); /* the last answers go out before the TAP closes */
    io_uring_queue_exit(&u->ring);
    free(u);
    nic->uring = NULL;
}
