/*
 * The process heap (glibc malloc) seen from the platform: what it holds for the OS, and what
 * it keeps free, given back when the loop goes to sleep.
 *
 * glibc keeps freed memory for reuse and trims only the top of the heap, which any long-lived
 * allocation made after a burst pins: after 10,000 connections each echoed 16 KiB, 200 at a
 * time, the service's RSS stayed hundreds of bytes per connection above what they held (the
 * burst's buffers, freed). malloc_trim() gives back every free page (MADV_DONTNEED, in the
 * sandbox's allowlist); its cost grows with the free chunks, so it runs only on the way to
 * sleep (the loop has nothing due within a millisecond), at most once a second, and only when
 * glibc holds more than HEAP_TRIM_FREE free: memory follows the data held, not the last peak.
 */
#include <malloc.h>

#include "hosted.h"
#include "unic/stats.h"

#define HEAP_TRIM_INTERVAL_NS 1000000000ull
#define HEAP_TRIM_FREE (1u << 20)
#define NS_PER_MS 1000000ull

/* clang-format off */
#define HEAP_STATS(X) X(in_use) X(free) X(mmapped) X(trims)
/* clang-format on */
static struct {
    HEAP_STATS(STATS_FIELD)
} heap_stats;
static const char *const heap_stat_names[] = {HEAP_STATS(STATS_NAME)};

uint64_t heap_trim_before_sleep(uint64_t deadline_ns)
{
    static uint64_t checked;
    uint64_t now = plat_clock_monotonic();
    if (deadline_ns <= now + NS_PER_MS)
        return deadline_ns; /* not going to sleep: work is due */
    if (checked && now - checked < HEAP_TRIM_INTERVAL_NS) {
        /* Too soon to look: wake once at the interval's end, so that a burst's memory is
         * given back when the service goes idle right after it. */
        uint64_t at = checked + HEAP_TRIM_INTERVAL_NS;
        return at < deadline_ns ? at : deadline_ns;
    }
    checked = now;
    /* mallinfo2() walks the free chunks: once per interval at most, as the trim. */
    if (mallinfo2().fordblks > HEAP_TRIM_FREE) {
        malloc_trim(0);
        heap_stats.trims++;
    }
    return deadline_ns;
}

void heap_print_stats(void)
{
    struct mallinfo2 m = mallinfo2();
    heap_stats.in_use = m.uordblks + m.hblkhd; /* mmapped blocks are in use too */
    heap_stats.free = m.fordblks;
    heap_stats.mmapped = m.hblkhd;
    stats_print("hosted.heap", heap_stat_names, &heap_stats, STATS_COUNT(heap_stat_names), 1);
}
