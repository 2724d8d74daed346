/*
 * Split virtqueues (virtio 1.x section 2.7), in the legacy layout: descriptor table, then the
 * available ring, then the used ring on the next 4 KiB boundary. The driver side only: the
 * device writes the used ring, we read it after a barrier.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "virtio.h"

#define VQ_ALIGN 4096u

static size_t align_up(size_t v, size_t a)
{
    return (v + a - 1) & ~(a - 1);
}

int virtq_alloc(struct virtq *q, uint16_t size)
{
    size_t desc = 16u * size, avail = 6u + 2u * size, used = 6u + 8u * size;
    size_t used_off = align_up(desc + avail, VQ_ALIGN);
    size_t total = used_off + align_up(used, VQ_ALIGN);
    void *mem = malloc(total + VQ_ALIGN);
    if (!mem)
        return -ENOMEM;
    uint8_t *base = (uint8_t *)align_up((uintptr_t)mem, VQ_ALIGN);
    memset(base, 0, total);
    *q = (struct virtq){
        .desc = (struct virtq_desc *)base,
        .avail = (struct virtq_avail *)(base + desc),
        .used = (struct virtq_used *)(base + used_off),
        .size = size,
        .mem = mem,
    };
    return 0;
}

void virtq_push(struct virtq *q, uint16_t id)
{
    q->avail->ring[q->avail_idx % q->size] = id;
    q->avail_idx++;
}

void virtq_publish(struct virtq *q)
{
    barrier(); /* ring entries before the index (x86 keeps stores in order) */
    *(volatile uint16_t *)&q->avail->idx = q->avail_idx;
    mb(); /* the index store before reading used->flags / avail_event in virtq_kick_prepare */
}

bool virtq_pop(struct virtq *q, uint16_t *id, uint32_t *len)
{
    uint16_t used_idx = *(volatile uint16_t *)&q->used->idx;
    if (used_idx == q->last_used)
        return false;
    barrier(); /* the index before the element it covers */
    struct virtq_used_elem e = q->used->ring[q->last_used % q->size];
    q->last_used++;
    *id = (uint16_t)e.id;
    *len = e.len;
    return true;
}

uint16_t virtq_used_pending(const struct virtq *q)
{
    return (uint16_t)(*(volatile uint16_t *)&q->used->idx - q->last_used);
}

/* virtio 1.x 2.7.10: notify when (new_idx - event - 1) < (new_idx - old_idx), mod 2^16. */
static bool virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

bool virtq_kick_prepare(struct virtq *q)
{
    uint16_t old = q->kicked_idx, now = q->avail_idx;
    q->kicked_idx = now;
    if (old == now)
        return false;
    if (q->event_idx) { /* avail_event sits after the used ring's elements */
        uint16_t event = *(volatile uint16_t *)&q->used->ring[q->size];
        return virtq_need_event(event, now, old);
    }
    return !(*(volatile uint16_t *)&q->used->flags & VIRTQ_USED_F_NO_NOTIFY);
}

uint16_t virtq_unkicked(const struct virtq *q)
{
    return (uint16_t)(q->avail_idx - q->kicked_idx);
}

void virtq_irq(struct virtq *q, bool on)
{
    if (q->event_idx) /* used_event sits after the available ring's entries */
        *(volatile uint16_t *)&q->avail->ring[q->size] =
            on ? q->last_used : (uint16_t)(q->last_used - 0x8000);
    else
        *(volatile uint16_t *)&q->avail->flags = on ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT;
    mb(); /* the request before the caller looks at used->idx again */
}
