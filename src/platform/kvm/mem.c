/*
 * The boot memory map and command line, copied out of the PVH start_info (which lives in
 * firmware memory we do not keep mapped), and plat_heap(): the largest usable RAM range above
 * the image, which libc/malloc.c manages.
 */
#include <stdint.h>
#include <string.h>

#include "kvm.h"
#include "unic/platform.h"

#define HVM_START_MAGIC 0x336ec578u
#define E820_RAM 1
#define MEM_MAX_RANGES 32
#define FALLBACK_RAM_TOP (32ull << 20)

/* xen/include/public/arch-x86/hvm/start_info.h */
struct hvm_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr; /* version >= 1 */
    uint32_t memmap_entries;
    uint32_t reserved;
};

struct hvm_memmap_entry {
    uint64_t addr, size;
    uint32_t type, reserved;
};

struct range {
    uint64_t start, end;
};

static struct {
    struct range ram[MEM_MAX_RANGES];
    unsigned nram;
    char cmdline[CMDLINE_MAX];
    bool cmdline_too_long;
    uint64_t rsdp;
} mem;

extern char __image_end[];

static void mem_add_ram(uint64_t start, uint64_t end)
{
    if (mem.nram < MEM_MAX_RANGES && end > start)
        mem.ram[mem.nram++] = (struct range){start, end};
}

/* The start_info and the map may sit in firmware memory that the hypervisor emulates as a
 * device: read them with plain copies (rep movsb) into our own memory first. */
void mem_init(const struct hvm_start_info *firmware_si)
{
    static struct hvm_start_info copy;
    static struct hvm_memmap_entry map[MEM_MAX_RANGES];
    const struct hvm_start_info *si = NULL;
    if (firmware_si) {
        memcpy(&copy, firmware_si, sizeof(copy));
        si = &copy;
    }
    if (!si || si->magic != HVM_START_MAGIC) {
        kprintf("kvm: no PVH start_info, assuming %llu MiB of RAM\n",
                (unsigned long long)(FALLBACK_RAM_TOP >> 20));
        mem_add_ram(0x100000, FALLBACK_RAM_TOP);
        return;
    }
    if (si->cmdline_paddr) {
        const char *c = (const char *)(uintptr_t)si->cmdline_paddr;
        size_t n = strnlen(c, CMDLINE_MAX);
        mem.cmdline_too_long = n == CMDLINE_MAX;
        if (mem.cmdline_too_long)
            n = CMDLINE_MAX - 1;
        memcpy(mem.cmdline, c, n);
        mem.cmdline[n] = '\0';
    }
    mem.rsdp = si->rsdp_paddr;
    if (si->version >= 1 && si->memmap_paddr) {
        uint32_t n = si->memmap_entries < MEM_MAX_RANGES ? si->memmap_entries : MEM_MAX_RANGES;
        memcpy(map, (const void *)(uintptr_t)si->memmap_paddr, n * sizeof(map[0]));
        for (uint32_t i = 0; i < n; i++)
            if (map[i].type == E820_RAM)
                mem_add_ram(map[i].addr, map[i].addr + map[i].size);
    }
    if (mem.nram == 0) {
        kprintf("kvm: no memory map, assuming %llu MiB of RAM\n",
                (unsigned long long)(FALLBACK_RAM_TOP >> 20));
        mem_add_ram(0x100000, FALLBACK_RAM_TOP);
    }
}

const char *mem_cmdline(void)
{
    return mem.cmdline;
}

bool mem_cmdline_too_long(void)
{
    return mem.cmdline_too_long;
}

uint64_t mem_rsdp(void)
{
    return mem.rsdp;
}

uint64_t mem_ram_top(void)
{
    uint64_t top = 0;
    for (unsigned i = 0; i < mem.nram; i++)
        if (mem.ram[i].end > top)
            top = mem.ram[i].end;
    return top;
}

void mem_for_each_ram(void (*fn)(uint64_t start, uint64_t end, void *ctx), void *ctx)
{
    for (unsigned i = 0; i < mem.nram; i++)
        fn(mem.ram[i].start, mem.ram[i].end, ctx);
}

void *plat_heap(size_t *len)
{
    uint64_t floor = ((uintptr_t)__image_end + 4095) & ~4095ull;
    struct range best = {0, 0};
    for (unsigned i = 0; i < mem.nram; i++) {
        uint64_t s = mem.ram[i].start < floor ? floor : mem.ram[i].start;
        uint64_t e = mem.ram[i].end & ~4095ull;
        if (e > s && e - s > best.end - best.start)
            best = (struct range){s, e};
    }
    *len = (size_t)(best.end - best.start);
    return best.end ? (void *)(uintptr_t)best.start : NULL;
}
