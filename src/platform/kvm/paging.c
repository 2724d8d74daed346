/*
 * The final page tables: an identity map with W^X.
 *
 *   page 0                      not present (NULL dereferences fault)
 *   .text                       read + execute
 *   .rodata (and the PVH note)  read only, NX
 *   .data, .bss                 read + write, NX
 *   the page under the stack    not present (guard page: an overflow faults)
 *   the stack, other RAM        read + write, NX (2 MiB pages where aligned)
 *   device registers            read + write, NX, uncached, mapped on demand
 *
 * Table pages come from a fixed pool in .bss, so mapping has a bound and never allocates.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cpu.h"
#include "kvm.h"

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_PS (1ull << 7)
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull
#define PAGE_4K 0x1000ull
#define PAGE_2M 0x200000ull
#define POOL_PAGES 64

#define FLAGS_RX PTE_P
#define FLAGS_RO (PTE_P | PTE_NX)
#define FLAGS_RW (PTE_P | PTE_W | PTE_NX)
#define FLAGS_MMIO (PTE_P | PTE_W | PTE_NX | PTE_PCD | PTE_PWT)

extern char __text_start[], __text_end[], __rodata_end[], __stack_guard[], __stack_bottom[],
    __image_end[];

static uint64_t pool[POOL_PAGES][512] __attribute__((aligned(4096)));
static unsigned pool_used;
static uint64_t *pml4;

static uint64_t *table_alloc(void)
{
    if (pool_used == POOL_PAGES)
        return NULL;
    uint64_t *t = pool[pool_used++];
    memset(t, 0, PAGE_4K);
    return t;
}

/* The entry for (va) at (level) (3 = PML4 ... 0 = PT), creating tables on the way down.
 * NULL when the pool is empty or a large page already covers va. */
static uint64_t *pte_at(uint64_t va, int level)
{
    uint64_t *t = pml4;
    for (int l = 3; l > level; l--) {
        uint64_t *e = &t[(va >> (12 + 9 * l)) & 511];
        if (!(*e & PTE_P)) {
            uint64_t *n = table_alloc();
            if (!n)
                return NULL;
            *e = (uintptr_t)n | PTE_P | PTE_W;
        } else if (*e & PTE_PS) {
            return NULL;
        }
        t = (uint64_t *)(uintptr_t)(*e & PTE_ADDR);
    }
    return &t[(va >> (12 + 9 * level)) & 511];
}

static int map_4k(uint64_t pa, uint64_t flags)
{
    uint64_t *e = pte_at(pa, 0);
    if (!e)
        return -ENOMEM;
    *e = pa | flags;
    return 0;
}

static int map_2m(uint64_t pa, uint64_t flags)
{
    uint64_t *e = pte_at(pa, 1);
    if (!e)
        return -ENOMEM;
    if (!(*e & PTE_P))
        *e = pa | flags | PTE_PS;
    return 0;
}

/* Map [start, end) with (flags): 2 MiB pages where aligned, 4 KiB pages at the edges. */
static int map_range(uint64_t start, uint64_t end, uint64_t flags)
{
    start &= ~(PAGE_4K - 1);
    int r = 0;
    while (start < end && r == 0) {
        if ((start & (PAGE_2M - 1)) == 0 && end - start >= PAGE_2M) {
            r = map_2m(start, flags);
            start += PAGE_2M;
        } else {
            r = map_4k(start, flags);
            start += PAGE_4K;
        }
    }
    return r;
}

static uint64_t image_page_flags(uint64_t pa)
{
    if (pa == 0 || pa == (uintptr_t)__stack_guard)
        return 0;
    if (pa >= (uintptr_t)__text_start && pa < (uintptr_t)__text_end)
        return FLAGS_RX;
    if (pa >= (uintptr_t)__text_end && pa < (uintptr_t)__rodata_end)
        return FLAGS_RO;
    return FLAGS_RW;
}

static uint64_t low_end(void)
{
    return ((uintptr_t)__image_end + PAGE_2M - 1) & ~(PAGE_2M - 1);
}

static void map_ram(uint64_t start, uint64_t end, void *ctx)
{
    int *err = ctx;
    if (end <= low_end())
        return;
    if (start < low_end())
        start = low_end();
    if (map_range(start, end, FLAGS_RW) < 0)
        *err = -ENOMEM;
}

void paging_init(void)
{
    pml4 = table_alloc();
    int err = 0;
    /* The image and everything below it (firmware tables, low RAM): one 4 KiB page each, so
     * every section gets exactly its own permissions. */
    for (uint64_t pa = 0; pa < low_end() && err == 0; pa += PAGE_4K) {
        uint64_t flags = image_page_flags(pa);
        if (flags)
            err = map_4k(pa, flags);
    }
    mem_for_each_ram(map_ram, &err);
    if (err)
        trap_fatal("page table pool too small for the memory map");
    write_cr3((uintptr_t)pml4);
}

int paging_map_mmio(uint64_t phys, uint64_t len)
{
    uint64_t start = phys & ~(PAGE_2M - 1);
    uint64_t end = (phys + len + PAGE_2M - 1) & ~(PAGE_2M - 1);
    int r = 0;
    for (uint64_t pa = start; pa < end && r == 0; pa += PAGE_2M)
        r = map_2m(pa, FLAGS_MMIO);
    /* Mapping only ever adds entries that were not present, so no TLB flush is needed. */
    return r;
}
