/*
 * malloc/calloc/realloc/free for the kvm platform, over the free RAM that plat_heap() reports
 * (the largest usable range of the boot memory map after the image). Hand-written: see
 * string.c for why no Debian libc fits a freestanding kernel.
 *
 * Two kinds of blocks, each with a 16-byte header (alignment 16, as max_align_t wants):
 * - small (up to 4 KiB with the header): power-of-two size classes, each with a free list,
 *   carved from the arena when the list is empty. O(1); no splitting or merging.
 * - large: page multiples, first fit from an address-sorted free list that merges neighbours;
 *   new ones are carved from the arena.
 * The arena is a bump pointer with a hard end: when it is used up malloc returns NULL; it
 * never touches memory outside [start, end). Single-threaded, like the whole OS: interrupt
 * stubs never allocate.
 *
 * Gauges ("stats kvm.heap:", with the platform's counters): in_use, the bytes of the blocks
 * handed out and not yet freed (headers and size-class rounding included: what the guest's
 * RAM really pays per allocation), its peak, the arena carved so far (never given back: free
 * blocks stay on their lists), the heap's size, and the requests refused (failed).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../kvm.h"
#include "unic/platform.h"
#include "unic/stats.h"

#define HDR 16u
#define SMALL_MIN_SHIFT 5 /* 32-byte blocks */
#define SMALL_MAX_SHIFT 12
#define PAGE 4096u
#define MAGIC_USED 0x75736564u
#define MAGIC_FREE 0x66726565u

struct block {
    size_t size;        /* whole block, header included */
    uint32_t magic;     /* MAGIC_USED or MAGIC_FREE: catches double free and wild pointers */
    uint32_t small;     /* 1 for size-class blocks */
    struct block *next; /* free lists only: overlaps the payload */
};

static struct {
    uintptr_t next, end;
    struct block *small_free[SMALL_MAX_SHIFT + 1];
    struct block *large_free; /* sorted by address */
    uintptr_t start;
    bool ready;
} heap;

#define HEAP_STATS(X) X(in_use) X(peak) X(carved) X(size) X(failed)
static struct {
    HEAP_STATS(STATS_FIELD)
} heap_stats;
static const char *const heap_stat_names[] = {HEAP_STATS(STATS_NAME)};

static bool heap_init(void)
{
    size_t len = 0;
    uintptr_t start = (uintptr_t)plat_heap(&len);
    if (!start)
        return false;
    heap.next = (start + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
    heap.end = start + len;
    heap.start = heap.next;
    heap.ready = heap.next < heap.end;
    return heap.ready;
}

static struct block *carve(size_t size)
{
    if (!heap.ready && !heap_init())
        return NULL;
    if (size > heap.end - heap.next)
        return NULL;
    struct block *b = (struct block *)heap.next;
    heap.next += size;
    heap_stats.carved += size;
    b->size = size;
    return b;
}

static unsigned size_class(size_t total)
{
    unsigned shift = SMALL_MIN_SHIFT;
    while (((size_t)1 << shift) < total)
        shift++;
    return shift;
}

static struct block *alloc_small(size_t total)
{
    unsigned shift = size_class(total);
    struct block *b = heap.small_free[shift];
    if (b)
        heap.small_free[shift] = b->next;
    else if (!(b = carve((size_t)1 << shift)))
        return NULL;
    b->small = 1;
    return b;
}

static struct block *alloc_large(size_t total)
{
    size_t size = (total + PAGE - 1) & ~(size_t)(PAGE - 1);
    for (struct block **p = &heap.large_free; *p; p = &(*p)->next) {
        struct block *b = *p;
        if (b->size < size)
            continue;
        if (b->size - size >= PAGE) { /* split: the tail stays free */
            struct block *rest = (struct block *)((uintptr_t)b + size);
            rest->size = b->size - size;
            rest->magic = MAGIC_FREE;
            rest->next = b->next;
            b->size = size;
            *p = rest;
        } else {
            *p = b->next;
        }
        b->small = 0;
        return b;
    }
    struct block *b = carve(size);
    if (b)
        b->small = 0;
    return b;
}

void *malloc(size_t size)
{
    if (size > SIZE_MAX / 2) {
        heap_stats.failed++;
        return NULL;
    }
    size_t total = size + HDR;
    struct block *b =
        total <= ((size_t)1 << SMALL_MAX_SHIFT) ? alloc_small(total) : alloc_large(total);
    if (!b) {
        heap_stats.failed++;
        return NULL;
    }
    b->magic = MAGIC_USED;
    heap_stats.in_use += b->size;
    if (heap_stats.in_use > heap_stats.peak)
        heap_stats.peak = heap_stats.in_use;
    return (char *)b + HDR;
}

static struct block *block_of(void *ptr)
{
    struct block *b = (struct block *)((char *)ptr - HDR);
    if (b->magic != MAGIC_USED)
        trap_fatal("free/realloc of a pointer malloc did not return (or freed twice)");
    return b;
}

/* Insert (b) into the sorted large list, merging with the blocks right before and after. */
static void free_large(struct block *b)
{
    struct block *prev = NULL, **p = &heap.large_free;
    while (*p && *p < b) {
        prev = *p;
        p = &(*p)->next;
    }
    b->next = *p;
    *p = b;
    if (b->next && (uintptr_t)b + b->size == (uintptr_t)b->next) {
        b->size += b->next->size;
        b->next = b->next->next;
    }
    if (prev && (uintptr_t)prev + prev->size == (uintptr_t)b) {
        prev->size += b->size;
        prev->next = b->next;
    }
}

void free(void *ptr)
{
    if (!ptr)
        return;
    struct block *b = block_of(ptr);
    b->magic = MAGIC_FREE;
    heap_stats.in_use -= b->size;
    if (b->small) {
        unsigned shift = size_class(b->size);
        b->next = heap.small_free[shift];
        heap.small_free[shift] = b;
    } else {
        free_large(b);
    }
}

void *calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = malloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void *realloc(void *ptr, size_t size)
{
    if (!ptr)
        return malloc(size);
    struct block *b = block_of(ptr);
    size_t have = b->size - HDR;
    if (size <= have)
        return ptr;
    void *n = malloc(size);
    if (!n)
        return NULL;
    memcpy(n, ptr, have);
    free(ptr);
    return n;
}

size_t kvm_heap_in_use(void)
{
    return (size_t)heap_stats.in_use;
}

void kvm_heap_print_stats(void)
{
    /* Nothing before the heap exists: an image stopped by a bad option prints its one line,
     * as the NICs' counters are not printed before the NICs are found. */
    if (!heap.ready)
        return;
    heap_stats.size = heap.end - heap.start;
    stats_print("kvm.heap", heap_stat_names, &heap_stats, STATS_COUNT(heap_stat_names), 1);
}
