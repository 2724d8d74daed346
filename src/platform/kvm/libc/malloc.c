/*
 * malloc/calloc/realloc/free for the kvm platform, over the free RAM that plat_heap() reports
 * (the largest usable range of the boot memory map after the image). Hand-written: see
 * string.c for why no Debian libc fits a freestanding kernel.
 *
 * Two kinds of blocks, each with a 16-byte header (alignment 16, as max_align_t wants):
 * - small (up to 4 KiB with the header): size classes of 32 and 64 bytes, then four per power
 *   of two (80, 96, 112, 128, 160, ..., 4096), each with a free list, carved from the arena
 *   when the list is empty. O(1); no splitting or merging. Above 64 bytes at most a fifth of
 *   a block is rounding (with power-of-two classes up to half: the 888-byte TCP control block
 *   with its header took 1 KiB, it takes 896 bytes now).
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
#define SMALL_MAX_SHIFT 12 /* 4 KiB */
#define SMALL_CLASSES (2 + (SMALL_MAX_SHIFT - 6) * 4)
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
    struct block *small_free[SMALL_CLASSES];
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

/* The class of a block of (total) bytes (header included, 1..4096): 0 (32), 1 (64), then for
 * base < total <= 2 * base (base a power of two from 64), the k-th quarter step above base. */
static unsigned size_class(size_t total)
{
    if (total <= 32)
        return 0;
    if (total <= 64)
        return 1;
    unsigned shift = 6;
    while (((size_t)2 << shift) < total)
        shift++;
    size_t base = (size_t)1 << shift, k = ((total - base) * 4 + base - 1) / base; /* 1..4 */
    return 2 + (shift - 6) * 4 + (unsigned)(k - 1);
}

static size_t class_size(unsigned c)
{
    if (c < 2)
        return (size_t)32 << c;
    size_t base = (size_t)64 << ((c - 2) / 4);
    return base + base * ((c - 2) % 4 + 1) / 4;
}

static struct block *alloc_small(size_t total)
{
    unsigned c = size_class(total);
    struct block *b = heap.small_free[c];
    if (b)
        heap.small_free[c] = b->next;
    else if (!(b = carve(class_size(c))))
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
        unsigned c = size_class(b->size);
        b->next = heap.small_free[c];
        heap.small_free[c] = b;
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
