/* The basics of unic.h on the fake platform: unic_now() and unic_wall_time() from a running
 * loop, unic_strerror() against glibc's strerror(), and what the log calls and unic_printf()
 * write (level filter, prefixes, the newline, the cut at UNIC_LOG_LINE_MAX). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h> /* before unic.h: its LOG_INFO / LOG_DEBUG macros must not clash with unic's */
#include <cmocka.h>

#include "fake_platform.h"
#include "loop_runner.h"
#include "unic.h"
#include "unic/platform.h"

#define FAKE_WALL_ORIGIN_NS (1700000000ull * NSEC_PER_SEC) /* fake_platform.c's epoch offset */
#define STOP_AFTER_NS (3 * NSEC_PER_MSEC)

static struct timer stop_timer;
static uint64_t now_at_start, wall_at_start, now_at_stop, wall_at_stop;

static void on_stop(struct timer *t)
{
    (void)t;
    now_at_stop = unic_now();
    wall_at_stop = unic_wall_time();
    unic_shutdown(0);
}

int service_start(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    now_at_start = unic_now();
    wall_at_start = unic_wall_time();
    timer_init(&stop_timer, on_stop, NULL);
    timer_arm_in(unic_timers(), &stop_timer, STOP_AFTER_NS);
    return 0;
}

/* unic_now() is the loop's monotonic clock; unic_wall_time() the platform's epoch time. */
static void test_clocks_in_a_running_loop(void **state)
{
    (void)state;
    static char console[4096];
    static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x01};
    fake_clock_set(5 * NSEC_PER_SEC);
    fake_net_enable(mac);
    struct unic_config cfg = {
        .have_ip = true, .ip = 0x0a000001u, .prefix_len = 24, .verbosity = -1};
    assert_int_equal(loop_run_captured(&cfg, console, sizeof(console)), 0);
    assert_in_range(now_at_start, 5 * NSEC_PER_SEC, 5 * NSEC_PER_SEC + NSEC_PER_MSEC);
    assert_in_range(now_at_stop - now_at_start, STOP_AFTER_NS, STOP_AFTER_NS + NSEC_PER_MSEC);
    /* The wall clock is the epoch time: the fake platform's origin plus its monotonic time. */
    assert_int_equal(wall_at_start, FAKE_WALL_ORIGIN_NS + now_at_start);
    assert_int_equal(wall_at_stop - wall_at_start, now_at_stop - now_at_start);
}

/* Every name unic_strerror knows is glibc's; every code the API returns has a name. */
static void test_strerror_is_glibcs(void **state)
{
    (void)state;
    unsigned known = 0;
    for (int e = 0; e < 200; e++) {
        const char *ours = unic_strerror(-e);
        assert_string_equal(unic_strerror(e), ours);
        if (strcmp(ours, "Unknown error") == 0)
            continue;
        assert_string_equal(ours, strerror(e));
        known++;
    }
    assert_true(known >= 60);
    static const int api_codes[] = {
        EINVAL,       ENOMEM,       EAGAIN,       EIO,        ENOBUFS,      ETIMEDOUT,
        ENODEV,       EMSGSIZE,     ENOENT,       EEXIST,     EBADMSG,      EADDRINUSE,
        EAFNOSUPPORT, EHOSTUNREACH, EDOM,         ECONNRESET, ECONNREFUSED, EADDRNOTAVAIL,
        ENOTCONN,     EDESTADDRREQ, ECONNABORTED, E2BIG,      EALREADY,     ENETUNREACH};
    for (size_t i = 0; i < sizeof(api_codes) / sizeof(api_codes[0]); i++)
        assert_string_not_equal(unic_strerror(-api_codes[i]), "Unknown error");
    assert_string_equal(unic_strerror(-ECONNREFUSED), "Connection refused");
    assert_string_equal(unic_strerror(-100000), "Unknown error");
    assert_string_equal(unic_strerror(-2147483647 - 1), "Unknown error");
}

static char captured[2048];

static void capture_start(void)
{
    memset(captured, 0, sizeof(captured));
    fake_console_quiet(1);
    fake_console_capture(captured, sizeof(captured));
}

static void test_log_levels_and_prefixes(void **state)
{
    (void)state;
    enum log_level saved = log_get_level();
    capture_start();
    log_set_level(UNIC_LOG_WARN);
    log_error("e %d", 1);
    log_warn("w");
    log_info("dropped");
    log_debug("dropped too");
    unic_printf("always"); /* whatever the level */
    log_set_level(UNIC_LOG_DEBUG);
    log_info("i");
    log_debug("d");
    fake_console_capture(NULL, 0);
    fake_console_quiet(0);
    assert_string_equal(captured, "error: e 1\nwarn: w\nalways\ni\ndebug: d\n");
    log_set_level((enum log_level)99); /* out of range: the nearest level */
    assert_int_equal(log_get_level(), UNIC_LOG_DEBUG);
    log_set_level(saved);
}

/* unic_printf: one line per call, the newline added once, a long text cut to the line size. */
static void test_printf_is_one_bounded_line(void **state)
{
    (void)state;
    capture_start();
    unic_printf("a");
    unic_printf("b\n");
    unic_printf("%s", "");
    fake_console_capture(NULL, 0);
    fake_console_quiet(0);
    assert_string_equal(captured, "a\nb\n\n");

    static char long_text[1000];
    memset(long_text, 'x', sizeof(long_text) - 1);
    capture_start();
    unic_printf("%s", long_text);
    fake_console_capture(NULL, 0);
    fake_console_quiet(0);
    size_t len = strlen(captured);
    assert_int_equal(len, UNIC_LOG_LINE_MAX - 1);
    assert_int_equal(captured[len - 1], '\n');
    assert_int_equal(captured[len - 2], 'x');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clocks_in_a_running_loop),
        cmocka_unit_test(test_strerror_is_glibcs),
        cmocka_unit_test(test_log_levels_and_prefixes),
        cmocka_unit_test(test_printf_is_one_bounded_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
