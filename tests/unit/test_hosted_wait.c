/* The hosted plat_wait (src/platform/hosted/wait.c) with a deadline already past: a poll that
 * must still see signals and a readable TAP (issue 17 B: under a flood the loop asks the
 * platform only so, and a wait that returned at once left SIGTERM unseen until the flood
 * ended). wait.c is compiled with a hosted_ prefix on the plat_* calls it defines and uses
 * (tests/CMakeLists.txt), beside the fake platform; the NIC table is this file's. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "hosted.h"

/* wait.c's plat_* calls under their hosted_ names. */
uint64_t hosted_plat_wait(uint64_t deadline_ns);
unsigned hosted_plat_net_count(void);
uint64_t hosted_plat_clock_monotonic(void);

static struct hosted_nic test_nic = {.kind = HOSTED_NIC_TAP, .fd = -1};
static unsigned test_nic_count;

struct hosted_nic *nic_get(unsigned nic)
{
    return nic == 0 ? &test_nic : NULL;
}

unsigned hosted_plat_net_count(void)
{
    return test_nic_count;
}

uint64_t hosted_plat_clock_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool nic_any_failed(void)
{
    return false;
}

void nic_flush_all(void) {}

void capture_flush(void) {}

uint64_t heap_trim_before_sleep(uint64_t deadline_ns)
{
    return deadline_ns;
}

void sandbox_enter(void) {}

int hosted_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* One NIC whose descriptor is one end of a socket pair (readable once (peer) writes). */
static int setup(void **state)
{
    static int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
    test_nic.fd = sv[0];
    test_nic_count = 1;
    char err[200] = "";
    assert_int_equal(wait_init(err, sizeof(err)), 0);
    *state = &sv[1];
    return 0;
}

static void test_past_deadline_sees_readable_tap(void **state)
{
    int peer = *(int *)*state;
    assert_int_equal(hosted_plat_wait(0) & 1, 0); /* nothing to read yet */
    assert_int_equal(write(peer, "x", 1), 1);
    assert_int_equal(hosted_plat_wait(0) & 1, 1);
}

static void test_past_deadline_sees_signals(void **state)
{
    (void)state;
    assert_int_equal(raise(SIGUSR1), 0);
    assert_true(hosted_plat_wait(0) & PLAT_WAIT_STATS);
    assert_false(hosted_plat_wait(0) & PLAT_WAIT_STATS); /* reported once */
    assert_int_equal(raise(SIGTERM), 0);
    assert_true(hosted_plat_wait(0) & PLAT_WAIT_SHUTDOWN);
    assert_true(hosted_plat_wait(0) & PLAT_WAIT_SHUTDOWN); /* and from then on */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_past_deadline_sees_readable_tap),
        cmocka_unit_test(test_past_deadline_sees_signals),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
