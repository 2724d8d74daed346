/* The command line of a service that declares its options (struct unic_service, unic.h), as both
 * platforms parse it (config_parse + config_parse_service), its --help, the hosted-only options,
 * and the counters on demand: PLAT_WAIT_STATS (hosted SIGUSR1) and --stats-interval print the
 * service's counters and the OS's while the service keeps running. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fake_platform.h"
#include "loop_runner.h"
#include "unic.h"
#include "unic/config.h"

static const struct option_spec svc_options[] = {
    {"--port", OPTION_UINT, "N", "6000", 1, 65535, "TCP port"},
    {"--loud", OPTION_FLAG, NULL, NULL, 0, 0, "say more"},
};

static unsigned service_stats_printed;
static struct timer stop_timer, ask_timer;
static uint64_t run_ns;
static char console[65536];

static void svc_print_stats(void)
{
    service_stats_printed++;
    unic_printf("stats svc: printed=%u", service_stats_printed);
}

const struct unic_service unic_service = {
    .summary = "a test service",
    .options = svc_options,
    .option_count = sizeof(svc_options) / sizeof(svc_options[0]),
    .operands = "NAME...",
    .min_operands = 1,
    .max_operands = 2,
    .print_stats = svc_print_stats,
};

static struct unic_config cfg;
static char err[160];

/* config_parse and config_parse_service on the words of (line). */
static int parse(const char *line)
{
    static char buf[512];
    static char *argv[64];
    snprintf(buf, sizeof(buf), "%s", line);
    int argc = config_split(buf, argv, 64);
    err[0] = 0;
    int r = config_parse(&cfg, argc, argv, err, sizeof(err));
    return r < 0 || cfg.help ? r : config_parse_service(&cfg, err, sizeof(err));
}

static void test_service_options_and_operands(void **state)
{
    (void)state;
    assert_int_equal(parse("svc --ip 10.0.0.1/24 -- --port 7 one --loud two"), 0);
    assert_int_equal(options_uint(&cfg.service, "--port"), 7);
    assert_true(options_flag(&cfg.service, "--loud"));
    assert_int_equal(cfg.service_argc, 3); /* the program name and the operands */
    assert_string_equal(cfg.service_argv[0], "svc");
    assert_string_equal(cfg.service_argv[1], "one");
    assert_string_equal(cfg.service_argv[2], "two");
    assert_null(cfg.service_argv[3]);
    assert_int_equal(parse("svc -- x"), 0);
    assert_int_equal(options_uint(&cfg.service, "--port"), 6000);
    assert_int_equal(cfg.service_argc, 2);
}

static void test_bad_service_words(void **state)
{
    (void)state;
    assert_int_equal(parse("svc --tap t0 -- --bogus"), -EINVAL);
    assert_string_equal(err, "unknown option '--bogus' (try --help)");
    assert_int_equal(parse("svc -- --port 70000"), -EINVAL);
    assert_string_equal(err, "--port: '70000' is not a number in 1..65535");
    assert_int_equal(parse("svc -- a b c"), -EINVAL);
    assert_non_null(strstr(err, "at most 2"));
    assert_int_equal(parse("svc -- --loud"), -EINVAL);
    assert_string_equal(err, "needs at least 1 argument (NAME...; try --help)");
}

static void test_help_lists_both_halves(void **state)
{
    (void)state;
    assert_int_equal(parse("svc -- --port 7 --help"), 0); /* no operand needed for --help */
    assert_true(cfg.help);
    assert_int_equal(parse("svc --help -- --bogus"), 0); /* help wins over a bad service word */
    assert_true(cfg.help);
    char help[8192];
    size_t n = config_help("svc", help, sizeof(help));
    assert_int_equal(n, strlen(help));
    assert_non_null(strstr(help, "usage: svc [options] [-- service options NAME...]\n"));
    assert_non_null(strstr(help, "  --tap IF "));
    assert_non_null(strstr(help, "  --stats-interval S "));
    assert_non_null(strstr(help, "service options (svc: a test service):\n"));
    assert_non_null(strstr(help, "TCP port (1..65535, default 6000)\n"));
    assert_non_null(strstr(help, "  --loud "));
    assert_non_null(strstr(help, "NAME..."));
}

static void test_os_options_of_this_change(void **state)
{
    (void)state;
    assert_int_equal(parse("svc --stats-interval 5 --tap t0 --tap-create -- x"), 0);
    assert_int_equal(cfg.stats_interval_s, 5);
    assert_true(cfg.tap_create);
    assert_string_equal(config_hosted_only(&cfg), "--tap");
    assert_int_equal(parse("svc --stats-interval 0"), -EINVAL);
    assert_int_equal(parse("svc --stats-interval 86401"), -EINVAL);
    assert_non_null(strstr(err, "--stats-interval"));
    assert_int_equal(parse("svc --ip 10.0.0.1/24 --loss 0.1 -- x"), 0);
    assert_null(config_hosted_only(&cfg));
    const char *each[] = {"--pcap x", "--replay x",   "--tap-create",
                          "--user x", "--no-sandbox", "--sandbox-selftest execve"};
    for (size_t i = 0; i < sizeof(each) / sizeof(each[0]); i++) {
        char line[64];
        snprintf(line, sizeof(line), "svc %s -- x", each[i]);
        assert_int_equal(parse(line), 0);
        assert_non_null(config_hosted_only(&cfg));
        assert_int_equal(
            strncmp(config_hosted_only(&cfg), each[i], strlen(config_hosted_only(&cfg))), 0);
    }
    /* --no-offload is for both platforms; a fault option turns the offloads off too. */
    assert_int_equal(parse("svc --no-offload -- x"), 0);
    assert_null(config_hosted_only(&cfg));
    assert_false(config_offload(&cfg));
    assert_int_equal(parse("svc --loss 0.1 -- x"), 0);
    assert_false(config_offload(&cfg));
    assert_int_equal(parse("svc -- x"), 0);
    assert_true(config_offload(&cfg));
}

static void on_stop(struct timer *t)
{
    (void)t;
    unic_shutdown(0);
}

static void on_ask(struct timer *t)
{
    (void)t;
    fake_stats_request(); /* as SIGUSR1 does on hosted */
}

int service_start(int argc, char **argv)
{
    (void)argc, (void)argv;
    timer_init(&stop_timer, on_stop, NULL);
    timer_arm_in(unic_timers(), &stop_timer, run_ns);
    timer_init(&ask_timer, on_ask, NULL);
    timer_arm_in(unic_timers(), &ask_timer, 1500 * NSEC_PER_MSEC);
    return 0;
}

static unsigned count(const char *s, const char *what)
{
    unsigned n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

/* Run for (ns) of virtual time with --stats-interval (interval); the status. */
static int run(uint64_t ns, uint32_t interval)
{
    static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x01};
    fake_net_enable(mac);
    service_stats_printed = 0;
    run_ns = ns;
    struct unic_config c = {.have_ip = true,
                            .ip = 0x0a000001,
                            .prefix_len = 24,
                            .verbosity = -1,
                            .stats_interval_s = interval};
    return loop_run_captured(&c, console, sizeof(console));
}

static void test_stats_on_request_and_at_exit(void **state)
{
    (void)state;
    assert_int_equal(run(3500 * NSEC_PER_MSEC, 0), 0);
    /* once on request (1.5 s), once at exit */
    assert_int_equal(service_stats_printed, 2);
    assert_int_equal(count(console, "stats svc:"), 2);
    assert_int_equal(count(console, "stats loop:"), 2);
    assert_int_equal(count(console, "stats pool:"), 2);
}

static void test_stats_every_interval(void **state)
{
    (void)state;
    assert_int_equal(run(3500 * NSEC_PER_MSEC, 1), 0);
    /* at 1, 2 and 3 s, on request at 1.5 s, and at exit */
    assert_int_equal(service_stats_printed, 5);
    assert_int_equal(count(console, "stats loop:"), 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_service_options_and_operands),
        cmocka_unit_test(test_bad_service_words),
        cmocka_unit_test(test_help_lists_both_halves),
        cmocka_unit_test(test_os_options_of_this_change),
        cmocka_unit_test(test_stats_on_request_and_at_exit),
        cmocka_unit_test(test_stats_every_interval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
