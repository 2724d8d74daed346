/* The hosted heap's trim on the way to sleep (src/platform/hosted/heap.c): a burst's freed
 * memory goes back to the OS once the loop sleeps, at most once a second, and a trim that is
 * due too soon wakes the loop once at the interval's end instead of being lost. RSS from
 * /proc/self/statm; skipped under ASan (its allocator is not glibc's). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "fake_platform.h"
#include "hosted.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define SEC 1000000000ull
#define BLOCKS 4096

static long rss_bytes(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld %ld", &pages, &resident), 2);
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

/* 8 MiB of 2 KiB blocks, touched, then freed behind a small block allocated after them (which
 * pins the top of the heap, so glibc's own trimming cannot give them back). */
static void *burst(void)
{
    static void *blocks[BLOCKS];
    for (int i = 0; i < BLOCKS; i++) {
        blocks[i] = malloc(2048);
        assert_non_null(blocks[i]);
        for (int k = 0; k < 2048; k += 512)
            ((volatile char *)blocks[i])[k] = 1;
    }
    void *pin = malloc(64);
    for (int i = 0; i < BLOCKS; i++)
        free(blocks[i]);
    return pin;
}

static void test_burst_given_back_on_sleep(void **state)
{
    (void)state;
#ifdef UNDER_ASAN
    skip();
#endif
    fake_clock_set(10 * SEC);
    void *pin = burst();
    long before = rss_bytes();
    /* Work due now: no trim, the deadline as it was. */
    assert_int_equal(heap_trim_before_sleep(10 * SEC), 10 * SEC);
    assert_true(rss_bytes() > before - (1 << 20));
    /* Going to sleep: the free memory goes back. */
    assert_int_equal(heap_trim_before_sleep(UINT64_MAX), UINT64_MAX);
    long after = rss_bytes();
    assert_true(after < before - 6 * (1 << 20));
    /* Another burst within the second: too soon, so the sleep ends at the interval's end
     * (10 s + 1 s), where it is given back. */
    fake_clock_set(10 * SEC + SEC / 2);
    void *pin2 = burst();
    long again = rss_bytes();
    assert_int_equal(heap_trim_before_sleep(UINT64_MAX), 11 * SEC);
    assert_int_equal(heap_trim_before_sleep(10 * SEC + SEC / 4 * 3), 10 * SEC + SEC / 4 * 3);
    fake_clock_set(11 * SEC);
    assert_int_equal(heap_trim_before_sleep(UINT64_MAX), UINT64_MAX);
    assert_true(rss_bytes() < again - 6 * (1 << 20));
    free(pin);
    free(pin2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_given_back_on_sleep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
