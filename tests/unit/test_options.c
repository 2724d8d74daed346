/* Declared options (src/core/options.c): defaults, types and ranges, the two value syntaxes,
 * operands and "--", every error as one line, tables that are themselves wrong, --help lines. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "unic/options.h"

static const struct option_spec specs[] = {
    {"--port", OPTION_UINT, "N", "6000", 1, 65535, "TCP port"},
    {"--max-keys", OPTION_UINT, "N", NULL, 1, 1000, "keys"},
    {"--name", OPTION_STRING, "TEXT", "kv", 0, 0, "a name"},
    {"--file", OPTION_STRING, "FILE", NULL, 0, 0, "a file"},
    {"--fast", OPTION_FLAG, NULL, NULL, 0, 0, "go fast"},
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

static struct option_set o;
static char err[160];

/* Parse the words of (line) (split at spaces) with at most (max_operands) operands. */
static int parse(const char *line, unsigned max_operands)
{
    static char buf[256];
    static char *words[32];
    int n = 0;
    snprintf(buf, sizeof(buf), "%s", line);
    for (char *w = strtok(buf, " "); w && n < 32; w = strtok(NULL, " "))
        words[n++] = w;
    err[0] = 0;
    return options_parse(&o, specs, NSPECS, max_operands, n, words, err, sizeof(err));
}

static void test_defaults_without_words(void **state)
{
    (void)state;
    assert_int_equal(parse("", 0), 0);
    assert_int_equal(options_uint(&o, "--port"), 6000);
    assert_false(options_given(&o, "--port"));
    assert_int_equal(options_uint(&o, "--max-keys"), 0);
    assert_string_equal(options_string(&o, "--name"), "kv");
    assert_null(options_string(&o, "--file"));
    assert_false(options_flag(&o, "--fast"));
    assert_int_equal(o.operand_count, 0);
}

static void test_values_both_syntaxes_last_wins(void **state)
{
    (void)state;
    assert_int_equal(parse("--port 7 --max-keys=1000 --file a --file=b --fast --port=65535", 0), 0);
    assert_int_equal(options_uint(&o, "--port"), 65535);
    assert_true(options_given(&o, "--port"));
    assert_int_equal(options_uint(&o, "--max-keys"), 1000);
    assert_string_equal(options_string(&o, "--file"), "b");
    assert_true(options_flag(&o, "--fast"));
    assert_string_equal(options_string(&o, "--name"), "kv");
}

static void test_operands_and_double_dash(void **state)
{
    (void)state;
    assert_int_equal(parse("a --fast b -- --port c -", 5), 0);
    assert_int_equal(o.operand_count, 5);
    assert_string_equal(o.operands[0], "a");
    assert_string_equal(o.operands[1], "b");
    assert_string_equal(o.operands[2], "--port");
    assert_string_equal(o.operands[3], "c");
    assert_string_equal(o.operands[4], "-");
    assert_null(o.operands[5]);
    assert_true(options_flag(&o, "--fast"));
    assert_int_equal(parse("a b c d e", 4), -EINVAL);
    assert_non_null(strstr(err, "at most 4"));
    assert_int_equal(parse("stray", 0), -EINVAL);
    assert_string_equal(err, "unexpected argument 'stray' (try --help)");
}

static void test_errors_are_one_line(void **state)
{
    (void)state;
    static const struct {
        const char *line, *msg;
    } bad[] = {
        {"--bogus", "unknown option '--bogus' (try --help)"},
        {"--bogus=1", "unknown option '--bogus' (try --help)"},
        {"--port", "--port needs a value (N)"},
        {"--port 0", "--port: '0' is not a number in 1..65535"},
        {"--port 65536", "--port: '65536' is not a number in 1..65535"},
        {"--port -1", "--port: '-1' is not a number in 1..65535"},
        {"--port 12x", "--port: '12x' is not a number in 1..65535"},
        {"--port=", "--port: '' is not a number in 1..65535"},
        {"--max-keys 99999999999999999999999", "--max-keys: '99999999999999999999999' is not a "
                                               "number in 1..1000"},
        {"--fast=yes", "--fast takes no value"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(bad[i].line, 8), -EINVAL);
        assert_string_equal(err, bad[i].msg);
        assert_null(strchr(err, '\n'));
    }
}

static void test_bad_tables_are_refused(void **state)
{
    (void)state;
    char *none[] = {NULL};
    static const struct option_spec bad_default[] = {{"--n", OPTION_UINT, "N", "9", 1, 5, ""}};
    static const struct option_spec min_max[] = {{"--n", OPTION_UINT, "N", NULL, 5, 1, ""}};
    static const struct option_spec no_dashes[] = {{"n", OPTION_FLAG, NULL, NULL, 0, 0, ""}};
    static const struct option_spec flag_default[] = {{"--f", OPTION_FLAG, NULL, "1", 0, 0, ""}};
    const struct option_spec *tables[] = {bad_default, min_max, no_dashes, flag_default};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(options_parse(&o, tables[i], 1, 0, 0, none, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "option table"));
    }
    assert_int_equal(options_parse(&o, specs, OPTIONS_MAX + 1, 0, 0, none, err, sizeof(err)),
                     -EINVAL);
}

static void test_help_lines(void **state)
{
    (void)state;
    char help[1024];
    size_t n = options_help(specs, NSPECS, help, sizeof(help));
    assert_int_equal(n, strlen(help));
    assert_non_null(strstr(help, "  --port N           TCP port (1..65535, default 6000)\n"));
    assert_non_null(strstr(help, "  --max-keys N       keys (1..1000)\n"));
    assert_non_null(strstr(help, "  --name TEXT        a name (default kv)\n"));
    assert_non_null(strstr(help, "  --fast             go fast\n"));
    char small[16];
    assert_int_equal(options_help(specs, NSPECS, small, sizeof(small)), n); /* truncated */
    assert_int_equal(strlen(small), sizeof(small) - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_without_words),
        cmocka_unit_test(test_values_both_syntaxes_last_wins),
        cmocka_unit_test(test_operands_and_double_dash),
        cmocka_unit_test(test_errors_are_one_line),
        cmocka_unit_test(test_bad_tables_are_refused),
        cmocka_unit_test(test_help_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
