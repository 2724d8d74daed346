/*
 * The steps of bringing up a virtio device that every driver takes the same way, over any
 * struct vtransport (virtio 1.x section 3.1.1): reset and acknowledge, features accepted, and
 * the size of a queue. The drivers (virtio_net.c, virtio_rng.c) choose their features and set
 * up their own queues between these.
 */
#include <errno.h>

#include "virtio.h"

void virtio_begin(struct vtransport *t)
{
    t->ops->set_status(t, 0);
    t->ops->set_status(t, VIRTIO_STATUS_ACK);
    t->ops->set_status(t, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
}

int virtio_features_ok(struct vtransport *t, uint8_t *status)
{
    *status = VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER;
    if (!t->modern)
        return 0; /* legacy devices have no FEATURES_OK step */
    *status |= VIRTIO_STATUS_FEATURES_OK;
    t->ops->set_status(t, *status);
    return (t->ops->get_status(t) & VIRTIO_STATUS_FEATURES_OK) ? 0 : -EIO;
}

uint16_t virtio_queue_size(struct vtransport *t, unsigned index, uint16_t limit)
{
    uint16_t max = t->ops->queue_max(t, index);
    uint16_t size = t->queue_size_fixed || max <= limit ? max : limit;
    if (!size || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
        return 0;
    return size;
}
